"""The web server on the fakes: probes, security headers, no external URLs, a chat round trip
(signed in as a learner of the course; see tests/test_access.py for the access rules)."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from retrieval.ingest import ingest
from tests.conftest import write_course
from tests.test_accounts import add_user, login
from tutor.config import Settings
from tutor.server import SECURITY_HEADERS, WarmUp, create_app, readiness
from tutor.services import Services

QUESTION = "What colour does litmus paper turn in an acid?"
FAKE_REPLY = "Litmus paper turns red in an acid and blue in a base."


def make_services(settings: Settings) -> Services:
    return Services.build(settings.replace(default_course="tiny"), fake=True)


def add_course(services: Services, root: Path, course: str = "tiny") -> None:
    ingest(
        [write_course(root)], course=course, settings=services.settings, embedder=services.embedder
    )


class LiveServer:
    """The app under uvicorn in a thread, on a free loopback port (bound before it starts)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


def wait_ready(client: Any, timeout: float = 10.0) -> Any:
    """Poll /readyz until it answers 200 (the models warm up in a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


@pytest.fixture
def services(settings: Settings) -> Services:
    return make_services(settings)


def learner_app(services: Services, name: str = "ann") -> tuple[Any, str]:
    """The app with one learner of the course "tiny"; returns (app, their password)."""
    app = create_app(services)
    return app, add_user(app.state.backend, name, "learner", "tiny")


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    app, password = learner_app(services)
    with TestClient(app) as test_client:
        login(test_client, "ann", password)
        yield test_client


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_needs_a_course(client: TestClient, services: Services, tmp_path: Path) -> None:
    # Wait for the warm-up thread to finish: the reason must then be the missing course.
    deadline = time.monotonic() + 60
    response = client.get("/readyz")
    while "still loading" in response.json()["reason"] and time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["courses"] == []
    assert "tutor ingest" in body["reason"]

    add_course(services, tmp_path / "course")
    response = wait_ready(client)
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "courses": ["tiny"],
        "model": "fake-scripted",
        "embedder": services.embedder.model_id,
        "backend": "fake",
    }


def test_readyz_reports_a_failed_warm_up(services: Services, tmp_path: Path) -> None:
    add_course(services, tmp_path / "course")

    def broken() -> None:
        raise RuntimeError("no model file")

    services.llm.warm_up = broken  # type: ignore[attr-defined]
    with TestClient(create_app(services)) as client:
        deadline = time.monotonic() + 10
        while "loading" in client.get("/readyz").json().get("reason", "loading"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "no model file" in response.json()["reason"]


def test_readyz_names_the_configured_backend(services: Services, tmp_path: Path) -> None:
    add_course(services, tmp_path / "course")
    real = dataclasses.replace(
        services, settings=services.settings.replace(llm="smollm2", llm_backend="openai")
    )
    warm = WarmUp(real)
    assert readiness(real, warm)[0] == 503  # not warm yet
    warm.state = "warm"
    status, body = readiness(real, warm)
    assert status == 200 and body["backend"] == "openai"


def test_the_chat_queue_and_the_api_slots_follow_the_settings(settings: Settings) -> None:
    services = make_services(settings.replace(queue_concurrency=3, queue_max_size=7))
    app = create_app(services)
    (gradio,) = [route for route in app.routes if type(route).__name__ == "Mount"]
    queue = gradio.app.get_blocks()._queue  # type: ignore[attr-defined]
    assert (queue.default_concurrency_limit, queue.max_size) == (3, 7)
    assert (app.state.admission.concurrency, app.state.admission.max_waiting) == (3, 7)


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/gradio_api/info"])
def test_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in csp
    assert "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


class _Links(HTMLParser):
    """Every URL the browser would load from a page: src/href-like attributes and CSS."""

    ATTRS = frozenset({"src", "href", "srcset", "poster", "action", "data", "formaction"})

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.stylesheets: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            if name in self.ATTRS:
                parts = value.split(",") if name == "srcset" else [value]
                self.urls.extend(p.strip().split(" ")[0] for p in parts)
            elif name == "style":
                self.styles.append(value)
        if tag == "link" and "stylesheet" in (values.get("rel") or "") and values.get("href"):
            self.stylesheets.append(values["href"] or "")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.I)


def css_urls(css: str) -> list[str]:
    return [a or b for a, b in _CSS_URL.findall(css)]


def foreign(urls: list[str], base: str) -> list[str]:
    """The URLs (resolved against ``base``) that point to another host than ``base``."""
    own = urlsplit(base).netloc
    out = []
    for url in urls:
        resolved = urljoin(base, url)
        parts = urlsplit(resolved)
        if parts.scheme in ("http", "https", "ws", "wss", "") and parts.netloc not in ("", own):
            out.append(url)
    return out


def test_page_loads_nothing_from_other_hosts(client: TestClient) -> None:
    base = "http://testserver/"
    page = client.get("/")
    assert page.status_code == 200
    links = _Links()
    links.feed(page.text)
    assert links.stylesheets, "the page links its stylesheet"
    urls = list(links.urls)
    for style in links.styles:
        urls += css_urls(style)
    # The stylesheets the page loads, and the theme's, must not import fonts or images from afar.
    for href in [*links.stylesheets, "theme.css"]:
        css = client.get(urljoin(base, href))
        assert css.status_code == 200, href
        urls += [urljoin(urljoin(base, href), u) for u in css_urls(css.text)]
    assert foreign(urls, base) == []
    assert "fonts.googleapis.com" not in client.get("/theme.css").text


def read_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    name = ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data = line.split(":", 1)[1].strip()
            events.append((name, json.loads(data) if data else None))
    return events


def message_text(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def test_chat_round_trip_over_http(services: Services, tmp_path: Path) -> None:
    add_course(services, tmp_path / "course")
    app, password = learner_app(services)
    with (
        LiveServer(app) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        assert wait_ready(http).status_code == 200
        login(http, "ann", password)
        info = http.get("/gradio_api/info").json()
        chat = info["named_endpoints"]["/chat"]
        # The conversation memory is server-side state, not something a client can send.
        assert [p["label"] for p in chat["parameters"]] == ["Your question", "Course", "Mode"]

        start = http.post("/gradio_api/call/chat", json={"data": [QUESTION, "tiny", "explain"]})
        assert start.status_code == 200
        event_id = start.json()["event_id"]
        with http.stream("GET", f"/gradio_api/call/chat/{event_id}") as response:
            events = read_events(response)

    kinds = [name for name, _ in events]
    assert kinds[-1] == "complete", events[-1]
    assert kinds.count("generating") >= 3  # the answer streamed in pieces
    chatbot, *_rest, textbox = events[-1][1]
    assert textbox == ""
    assert [m["role"] for m in chatbot] == ["user", "assistant"]
    assert message_text(chatbot[0]) == QUESTION
    answer = message_text(chatbot[1])
    assert FAKE_REPLY in answer
    assert '<details class="tutor-sources" open>' in answer
    assert "[1] Acids and bases &gt; Indicators" in answer
    assert "Red cabbage juice" in answer  # the source's snippet


def test_chat_round_trip_with_gradio_client(services: Services, tmp_path: Path) -> None:
    gradio_client = pytest.importorskip("gradio_client")
    add_course(services, tmp_path / "course")
    app, password = learner_app(services)
    with LiveServer(app) as live:
        client = gradio_client.Client(
            live.url + "/", auth=("ann", password), verbose=False, download_files=False
        )
        first = client.predict(QUESTION, "tiny", "explain", api_name="/chat")
        missing = client.predict("Who painted the Mona Lisa?", "tiny", "guide", api_name="/chat")
        client.close()
    chatbot = first[0]
    assert FAKE_REPLY in message_text(chatbot[-1])
    assert "Not covered by the course material" in message_text(missing[0][-1])


def test_the_model_loads_beside_the_ui_import_and_its_failure_is_raised_in_the_caller():
    from types import SimpleNamespace

    from tutor.server import warm_up_beside_ui_import

    loaded: list[str] = []

    class Model:
        def warm_up(self) -> None:
            loaded.append(threading.current_thread().name)

    services = SimpleNamespace(llm=Model(), warm_up=lambda: loaded.append("rest"))
    warm_up_beside_ui_import(services)  # type: ignore[arg-type]
    assert loaded == ["tutor-load-model", "rest"]

    class Broken:
        def warm_up(self) -> None:
            raise RuntimeError("no such model file")

    broken = SimpleNamespace(llm=Broken(), warm_up=lambda: loaded.append("never"))
    with pytest.raises(RuntimeError, match="no such model file"):
        warm_up_beside_ui_import(broken)  # type: ignore[arg-type]
    assert "never" not in loaded
