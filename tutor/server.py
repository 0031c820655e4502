"""The web server: health and readiness probes, security headers, sign-in, and the Gradio app
at "/" (the learner chat, and the review desk and user management tabs for those allowed).

``create_app`` builds the FastAPI application (cheap, testable with ``TestClient``); ``serve``
builds the services from settings, loads the models and runs uvicorn. Never ``share=True``.
One login for everything: the session cookie set by ``/login`` is read by the app's own routes
and, through ``auth_dependency``, by every Gradio route.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from retrieval.course_index import list_courses
from tutor.ui import offline_environment

if TYPE_CHECKING:
    import fastapi
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from tutor.admission import Admission
    from tutor.config import Settings
    from tutor.pipeline import Pipeline
    from tutor.services import Services
    from tutor.transcripts.backend import Backend

log = logging.getLogger(__name__)

# Gradio needs inline scripts and styles ('unsafe-eval' only for gr.HTML templates and js=
# handlers, kept for the other tabs this server may host); nothing loads from another origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "form-action 'self'",
        "connect-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
MAX_UPLOAD = "1mb"  # the chat takes no files; keep Gradio's upload route small


class SecurityHeaders:
    """Pure ASGI middleware (safe with streamed responses) that sets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                from starlette.datastructures import MutableHeaders

                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WarmUp:
    """Loads the models once, in a background thread, and remembers how that went."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.state = "cold"  # cold -> loading -> warm | failed
        self.error = ""
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self.state != "cold":
                return
            self.state = "loading"
        threading.Thread(target=self.run, name="tutor-warm-up", daemon=True).start()

    def run(self) -> None:
        try:
            self.services.warm_up()
        except Exception as exc:
            log.exception("warm-up failed")
            self.state, self.error = "failed", str(exc)
        else:
            self.state = "warm"


def readiness(services: Services, warm: WarmUp) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for ``/readyz``."""
    settings = services.settings
    courses = list_courses(settings.courses_dir)
    body: dict[str, Any] = {
        "ready": False,
        "courses": courses,
        "model": services.llm.model_id,
        "embedder": services.embedder.model_id,
        "backend": "fake" if settings.llm == "fake" else settings.llm_backend,
    }
    if warm.state == "failed":
        body["reason"] = f"the models could not be loaded: {warm.error}"
    elif warm.state != "warm":
        body["reason"] = "the models are still loading"
    elif not courses:
        body["reason"] = (
            f"no course has been indexed under {settings.courses_dir}; "
            "run `tutor ingest PATH --course NAME`"
        )
    else:
        body["ready"] = True
        return 200, body
    return 503, body


def create_app(
    services: Services,
    pipeline: Pipeline | None = None,
    *,
    backend: Backend | None = None,
    admission: Admission | None = None,
) -> fastapi.FastAPI:
    """The FastAPI app: ``/healthz``, ``/readyz``, ``/login``, the JSON API (``/api/ask``
    and the routes of ``tutor.ui.routes``) and the Gradio app mounted at ``/``.

    The models are warmed up in the background when the app starts (a no-op when ``serve``
    already did it); ``/readyz`` answers 503 until they are loaded and a course exists.
    ``backend`` (accounts and transcripts) defaults to the database under ``TUTOR_HOME``;
    ``admission`` (the ``/api/ask`` slots) to ``queue_concurrency`` and ``queue_max_size``.
    """
    offline_environment()
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from tutor.admission import Admission
    from tutor.api import add_api_routes
    from tutor.pipeline import Pipeline
    from tutor.transcripts.backend import Backend
    from tutor.ui import page_options
    from tutor.ui.app import build_app
    from tutor.ui.routes import LoginRedirect, add_routes, session_user

    settings = services.settings
    backend = backend or Backend.open(settings)
    chats = backend.chat_service(pipeline or Pipeline(services))
    warm = WarmUp(services)
    # Two pools of the same size take questions: Gradio's queue for the web chat and this one
    # for /api/ask, so up to 2 x queue_concurrency answers may be generated at once. Both feed
    # the same language model, whose backend batches the concurrent streams of all of them
    # (``llm_max_batch`` for transformers), so the pools bound the waiting, not the batching.
    admission = admission or Admission.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warm.start()
        yield

    app = FastAPI(title="Course tutor", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(LoginRedirect, backend=backend)
    app.add_middleware(SecurityHeaders)  # outermost: every response carries the headers
    app.state.warm_up = warm
    app.state.backend = backend
    app.state.admission = admission

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        status, body = readiness(services, warm)
        return JSONResponse(body, status_code=status)

    add_routes(app, backend, settings.accounts)
    add_api_routes(app, chats, backend, admission)

    def current_user(request: fastapi.Request) -> str | None:
        user = session_user(backend, request)
        return user.name if user else None

    demo = build_app(services, chats, backend)
    # At most queue_concurrency answers at once; beyond queue_max_size waiting, "queue full".
    demo.queue(
        default_concurrency_limit=settings.queue_concurrency, max_size=settings.queue_max_size
    )
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth_dependency=current_user,
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["settings"],
        run_history=False,
        show_error=False,
        max_file_size=MAX_UPLOAD,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        **page_options(),
    )


def warm_up_beside_ui_import(services: Services) -> None:
    """Load the language model on a thread while this one imports Gradio, then the rest.

    Both hold the GIL most of the time (fbgemm's ``linear_prepack``, called from Python, keeps
    it for its whole run), so they mostly take turns; the pair still takes less than the
    two one after the other: 2.06 s against 1.02 + 1.25 s (``python -m bench.bench_start``,
    quiet machine, 3 runs each).
    """
    from tutor.llm.quantize import release_freed_memory

    failure: list[BaseException] = []
    warm_model = getattr(services.llm, "warm_up", None)

    def load() -> None:
        try:
            if callable(warm_model):
                warm_model()
        except BaseException as exc:  # raised again below, in the caller's thread
            failure.append(exc)

    loader = threading.Thread(target=load, name="tutor-load-model")
    loader.start()
    import gradio  # noqa: F401  (the UI's import: the longest part of a start)

    loader.join()
    if failure:
        raise failure[0]
    release_freed_memory(collect=False)  # what the loader thread's allocator kept (~13 MB)
    services.warm_up()  # the embedder and the filters; the model is warm already


def serve(settings: Settings, *, fake: bool = False, demo_users: bool = False) -> None:
    """Build the services, load the models, and serve the chat on ``settings.host:port``.

    ``demo_users``: on an empty user database, create a teacher and a learner of the default
    course with generated passwords, printed once to the terminal.
    """
    offline_environment()
    import uvicorn

    from tutor.services import Services
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    if demo_users:
        made = backend.demo_users(settings.default_course)
        for name, password in made.items():
            print(f"demo user {name!r} (course {settings.default_course}): password {password}")
        if not made:
            print("users exist already: no demo users created")
    elif backend.accounts.count() == 0:
        print("no users yet: add one with `tutor users add NAME --role learner --course C`")
    services = Services.build(settings, fake=fake)
    log.info(
        "loading models",
        extra={"llm": services.llm.model_id, "embedder": services.embedder.model_id},
    )
    warm_up_beside_ui_import(services)
    app = create_app(services, backend=backend)
    # What exists now (modules, models, the UI) lives as long as the server: taken out of the
    # garbage collector's view, a full collection while serving walks only what requests left
    # behind (it walked these ~335,000 objects for 0.2 s, holding the GIL, every time). No
    # collection first: it would cost start-up the same 0.2 s to find ~15 unreachable objects.
    gc.freeze()
    host = settings.host
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{settings.port}/"
    log.info("tutor chat ready at %s", url, extra={"url": url})
    # Open chat streams (Gradio's heartbeat) would hold a graceful shutdown forever: cap it.
    uvicorn.run(
        app,
        host=host,
        port=settings.port,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )
