"""The server's own HTTP routes: sign-in and sign-out, and a small JSON API over the same
access rules as the Gradio tabs (``tutor.transcripts.desk``). Declared before Gradio is
mounted, so they take precedence over Gradio's routes of the same path.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tutor.accounts.access import AccessDenied, User, require_admin
from tutor.accounts.limits import RateLimited
from tutor.accounts.users import AccountError, LoginThrottled, generate_password
from tutor.i18n import LANGUAGES, text
from tutor.ui.login import LANGUAGE_COOKIE, login_page, preferred_language

if TYPE_CHECKING:
    from tutor.accounts.settings import AccountSettings
    from tutor.transcripts.backend import Backend

log = logging.getLogger(__name__)

SESSION_COOKIE = "tutor_session"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the interface language is remembered for a year


@dataclass
class TurnFilters:
    """The review desk's filters, shared by the queue and the export routes (query parameters)."""

    course: str = ""
    learner: str = ""
    since: str = ""
    until: str = ""
    flag: str = ""
    mode: str = ""
    q: str = ""  # full-text search

    def as_kwargs(self) -> dict[str, str]:
        values = asdict(self)
        values["text"] = values.pop("q")
        return values


Filters = Annotated[TurnFilters, Depends()]


def session_user(backend: Backend, request: Any) -> User | None:
    """The signed-in user of an HTTP request (FastAPI or Gradio's), from the session cookie."""
    return backend.accounts.session_user(request.cookies.get(SESSION_COOKIE))


def add_routes(app: FastAPI, backend: Backend, settings: AccountSettings) -> None:
    desk = backend.desk

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied) -> JSONResponse:
        signed_in = session_user(backend, request) is not None
        return JSONResponse({"error": str(exc)}, status_code=403 if signed_in else 401)

    @app.exception_handler(RateLimited)
    async def limited(_request: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=429)

    @app.exception_handler(ValueError)
    async def bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    def user_of(request: Request) -> User:
        user = session_user(backend, request)
        if user is None:
            raise AccessDenied("please sign in first")
        return user

    @app.get("/login")
    @app.get("/login/")
    def login_form(request: Request, lang: str = "") -> Response:
        if session_user(backend, request) is not None:
            return RedirectResponse("/", status_code=303)
        # ?lang= is a language link of the page itself: remembered for the app in a cookie.
        chosen = lang.strip().lower()
        language = chosen if chosen in LANGUAGES else preferred_language(request)
        response = HTMLResponse(
            login_page(language=language),
            headers={
                "Cache-Control": "no-store",
                "Content-Language": language,
                "Vary": "Accept-Language, Cookie",
            },
        )
        if chosen in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_AGE, samesite="strict", path="/"
            )
        return response

    @app.post("/login")
    @app.post("/login/")
    def login(request: Request, username: str = Form(""), password: str = Form("")) -> Response:
        name = username.strip()
        language = preferred_language(request)
        try:
            user = backend.accounts.authenticate(name, password)
        except LoginThrottled as exc:
            backend.store.audit(name or "?", "login_throttled")
            wait = text("chat.login_throttled", language, seconds=max(1, round(exc.wait_s)))
            return HTMLResponse(login_page(wait, name, language), status_code=429)
        if user is None:
            backend.store.audit(name or "?", "login_failed")
            wrong = text("chat.login_wrong", language)
            return HTMLResponse(login_page(wrong, name, language), status_code=401)
        token = backend.accounts.start_session(user)
        backend.store.audit(user.name, "login")
        # A browser's form goes on to the app; a program (gradio_client, tests) gets JSON.
        response: Response = (
            RedirectResponse("/", status_code=303)
            if "text/html" in request.headers.get("accept", "")
            else JSONResponse({"name": user.name, "role": user.role})
        )
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/",
        )
        return response

    @app.get("/logout")
    @app.post("/logout")
    def logout(request: Request) -> Response:
        user = session_user(backend, request)
        backend.accounts.end_session(request.cookies.get(SESSION_COOKIE))
        if user is not None:
            backend.store.audit(user.name, "logout")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/api/me")
    def me(request: Request) -> dict[str, Any]:
        user = user_of(request)
        return {"name": user.name, "role": user.role, "courses": sorted(user.courses)}

    @app.get("/api/chats")
    def my_chats(request: Request) -> list[dict[str, Any]]:
        return desk.my_chats(user_of(request))

    @app.get("/api/chats/{chat_id}")
    def chat(chat_id: str, request: Request) -> list[dict[str, Any]]:
        user = user_of(request)
        turns = desk.chat(user, chat_id)
        if not user.is_teacher:  # a learner sees the exchange, not the triage data
            keep = ("id", "time", "mode", "question", "answer", "sources", "feedback_rating")
            return [{k: t.get(k) for k in keep} for t in turns]
        return turns

    @app.post("/api/turns/{turn_id}/feedback")
    def feedback(
        turn_id: int, request: Request, rating: int = Form(...), comment: str = Form("")
    ) -> dict[str, bool]:
        desk.feedback(user_of(request), turn_id, rating, comment)
        return {"ok": True}

    @app.get("/api/teacher/queue")
    def queue(request: Request, filters: Filters, limit: int = 200) -> list[dict[str, Any]]:
        return desk.queue(user_of(request), **filters.as_kwargs(), limit=min(max(limit, 1), 1000))

    @app.get("/api/teacher/turns/{turn_id}")
    def conversation(turn_id: int, request: Request) -> list[dict[str, Any]]:
        return desk.conversation(user_of(request), turn_id)

    @app.post("/api/teacher/turns/{turn_id}/review")
    def review(
        turn_id: int,
        request: Request,
        reviewed: bool | None = Form(None),
        note: str | None = Form(None),
        rating: int | None = Form(None),
    ) -> dict[str, Any]:
        changes = {
            k: v
            for k, v in (("reviewed", reviewed), ("note", note), ("rating", rating))
            if v is not None
        }
        turn = desk.review(user_of(request), turn_id, **changes)
        return {"reviewed": turn.get("reviewed"), "note": turn.get("review_note")}

    @app.post("/api/teacher/turns/{turn_id}/hide")
    def hide(turn_id: int, request: Request, hidden: bool = Form(True)) -> dict[str, bool]:
        desk.hide(user_of(request), turn_id, hidden)
        return {"hidden": hidden}

    @app.get("/api/teacher/export")
    def export(request: Request, filters: Filters, format: str = "jsonl") -> Response:
        if format not in ("jsonl", "csv"):
            raise ValueError("format must be jsonl or csv")
        body = desk.export(user_of(request), format, **filters.as_kwargs())
        media = "text/csv" if format == "csv" else "application/x-ndjson"
        return Response(
            body,
            media_type=f"{media}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="transcripts.{format}"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/api/teacher/analytics")
    def analytics(request: Request, course: str = "") -> dict[str, Any]:
        return desk.analytics(user_of(request), course)

    @app.get("/api/admin/users")
    def users(request: Request) -> list[dict[str, Any]]:
        require_admin(user_of(request))
        return [
            {"name": u.name, "role": u.role, "courses": sorted(u.courses)}
            for u in backend.accounts.list()
        ]

    @app.post("/api/admin/users")
    def add_user(
        request: Request,
        name: str = Form(...),
        role: str = Form(...),
        courses: str = Form(""),
        password: str = Form(""),
    ) -> JSONResponse:
        admin = require_admin(user_of(request))
        chosen = password or generate_password()
        try:
            backend.accounts.add(name, role, chosen, [c for c in courses.split(",") if c.strip()])
        except AccountError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        backend.store.audit(admin.name, "add_user", name, role)
        body: dict[str, Any] = {"name": name, "role": role}
        if not password:
            body["password"] = chosen
        return JSONResponse(body, status_code=201)


class LoginRedirect:
    """Pure ASGI middleware: a browser opening the app without a session goes to /login
    (Gradio itself would answer 401 with JSON)."""

    def __init__(self, app: Any, backend: Backend) -> None:
        self.app = app
        self.backend = backend

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] == "/":
            from starlette.requests import Request
            from starlette.responses import RedirectResponse

            if session_user(self.backend, Request(scope)) is None:
                await RedirectResponse("/login", status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)
