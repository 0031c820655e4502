"""Every access rule over HTTP, tried by the user it must stop: anonymous requests, a learner
asking for another learner's chat, a teacher for another course's data, an admin for
transcripts. Through FastAPI's TestClient on the real app (fakes underneath)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_accounts import add_user, login
from tests.test_server import add_course, make_services
from tutor.accounts.access import AccessDenied
from tutor.config import Settings
from tutor.pipeline import Pipeline
from tutor.server import create_app
from tutor.transcripts.backend import Backend


class World:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.services = make_services(settings)
        add_course(self.services, tmp_path / "c1", "tiny")
        add_course(self.services, tmp_path / "c2", "other")
        self.backend = Backend.open(self.services.settings)
        self.passwords = {
            "ann": add_user(self.backend, "ann", "learner", "tiny"),
            "bob": add_user(self.backend, "bob", "learner", "tiny"),
            "cy": add_user(self.backend, "cy", "learner", "other"),
            "tom": add_user(self.backend, "tom", "teacher", "tiny"),
            "tess": add_user(self.backend, "tess", "teacher", "other"),
            "ada": add_user(self.backend, "ada", "admin"),
        }
        chats = self.backend.chat_service(Pipeline(self.services))
        user = self.backend.accounts.get
        self.ann = chats.ask(user("ann"), "What colour is litmus in an acid?", course="tiny")  # type: ignore[arg-type]
        self.cy = chats.ask(user("cy"), "How long does a for loop repeat?", course="other")  # type: ignore[arg-type]
        self.app = create_app(self.services, backend=self.backend)

    def client(self, name: str | None = None) -> TestClient:
        client = TestClient(self.app)
        client.__enter__()
        if name:
            login(client, name, self.passwords[name])
        return client


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[World]:
    yield World(settings, tmp_path)


ANONYMOUS_GET = [
    "/api/me",
    "/api/chats",
    "/api/teacher/queue",
    "/api/teacher/export?format=csv",
    "/api/teacher/analytics",
    "/api/admin/users",
    "/gradio_api/info",
    "/config",
]


@pytest.mark.parametrize("path", ANONYMOUS_GET)
def test_anonymous_requests_are_refused(world: World, path: str) -> None:
    client = world.client()
    assert client.get(path).status_code == 401
    assert client.get(f"/api/chats/{world.ann.chat_id}").status_code == 401
    assert client.get(f"/api/teacher/turns/{world.ann.turn_id}").status_code == 401


def test_anonymous_browser_goes_to_the_login_page_and_cannot_chat(world: World) -> None:
    client = world.client()
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    assert "<form" in client.get("/login").text
    call = client.post("/gradio_api/call/chat", json={"data": ["Hi", "tiny", "explain"]})
    assert call.status_code == 401
    assert (
        client.post(
            "/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"}
        ).status_code
        == 401
    )


def test_wrong_password_and_throttling_over_http(world: World) -> None:
    client = world.client()
    for _ in range(world.services.settings.accounts.login_failures_before_delay):
        response = client.post("/login", data={"username": "ann", "password": "nope-nope"})
        assert response.status_code == 401
    throttled = client.post("/login", data={"username": "ann", "password": world.passwords["ann"]})
    assert throttled.status_code == 429 and "try again" in throttled.text
    assert client.get("/api/me").status_code == 401


def test_a_learner_sees_only_their_own_chats(world: World) -> None:
    ann, bob = world.client("ann"), world.client("bob")
    assert ann.get("/api/me").json()["role"] == "learner"
    mine = ann.get(f"/api/chats/{world.ann.chat_id}")
    assert mine.status_code == 200 and mine.json()[0]["question"].startswith("What colour")
    assert "safety" not in mine.json()[0]  # triage data is for teachers
    assert [c["id"] for c in ann.get("/api/chats").json()] == [world.ann.chat_id]
    assert bob.get(f"/api/chats/{world.ann.chat_id}").status_code == 403
    assert bob.get("/api/chats").json() == []
    assert bob.get(f"/api/chats/{world.cy.chat_id}").status_code == 403
    assert bob.get("/api/chats/does-not-exist").status_code == 403  # same answer: no probing
    turn = world.ann.turn_id
    assert bob.post(f"/api/turns/{turn}/feedback", data={"rating": -1}).status_code == 403
    assert ann.post(f"/api/turns/{turn}/feedback", data={"rating": -1, "comment": "meh"}).json()
    for path in (
        "/api/teacher/queue",
        f"/api/teacher/turns/{turn}",
        "/api/teacher/export",
        "/api/teacher/analytics",
        "/api/admin/users",
    ):
        assert ann.get(path).status_code == 403, path
    assert ann.post(f"/api/teacher/turns/{turn}/review", data={"reviewed": True}).status_code == 403
    assert ann.post(f"/api/teacher/turns/{turn}/hide", data={"hidden": True}).status_code == 403
    added = ann.post("/api/admin/users", data={"name": "eve", "role": "admin"})
    assert added.status_code == 403 and world.backend.accounts.get("eve") is None


def test_a_learner_cannot_chat_in_another_course_through_gradio(world: World) -> None:
    from tests.test_server import message_text, read_events

    ann = world.client("ann")
    before = world.backend.store.count_since(world.backend.accounts.get("ann").id, 0)  # type: ignore[union-attr]
    start = ann.post("/gradio_api/call/chat", json={"data": ["Loops?", "other", "explain"]})
    assert start.status_code == 200
    with ann.stream("GET", f"/gradio_api/call/chat/{start.json()['event_id']}") as response:
        events = read_events(response)  # type: ignore[arg-type]
    assert "not enrolled" in message_text(events[-1][1][0][-1])
    after = world.backend.store.count_since(world.backend.accounts.get("ann").id, 0)  # type: ignore[union-attr]
    assert after == before


def test_a_teacher_sees_only_their_own_courses(world: World) -> None:
    tom = world.client("tom")
    queue = tom.get("/api/teacher/queue").json()
    assert {t["course"] for t in queue} == {"tiny"} and {t["learner"] for t in queue} == {"ann"}
    assert tom.get("/api/teacher/queue?course=other").status_code == 403
    assert tom.get(f"/api/teacher/turns/{world.cy.turn_id}").status_code == 403
    assert tom.get(f"/api/chats/{world.cy.chat_id}").status_code == 403
    assert tom.get("/api/teacher/export?format=jsonl&course=other").status_code == 403
    assert tom.get("/api/teacher/analytics?course=other").status_code == 403
    export = tom.get("/api/teacher/export?format=jsonl")
    assert export.status_code == 200 and "How long does a for loop" not in export.text
    assert "What colour is litmus" in export.text
    cy_turn = world.cy.turn_id
    assert tom.post(f"/api/teacher/turns/{cy_turn}/review", data={"note": "x"}).status_code == 403
    assert tom.post(f"/api/teacher/turns/{cy_turn}/hide", data={"hidden": True}).status_code == 403
    assert tom.get("/api/admin/users").status_code == 403
    # His own course's turns he can open, review and hide; the learner then no longer sees it.
    assert tom.get(f"/api/teacher/turns/{world.ann.turn_id}").status_code == 200
    reviewed = tom.post(
        f"/api/teacher/turns/{world.ann.turn_id}/review", data={"reviewed": True, "note": "fine"}
    )
    assert reviewed.json() == {"reviewed": True, "note": "fine"}
    assert (
        tom.post(f"/api/teacher/turns/{world.ann.turn_id}/hide", data={"hidden": True}).status_code
        == 200
    )
    ann = world.client("ann")
    assert ann.get(f"/api/chats/{world.ann.chat_id}").json() == []
    assert (
        ann.post(f"/api/turns/{world.ann.turn_id}/feedback", data={"rating": 1}).status_code == 403
    )
    actions = {(r["actor"], r["action"]) for r in world.backend.store.audit_log()}
    assert {
        ("tom", "view_queue"),
        ("tom", "view_chat"),
        ("tom", "export_jsonl"),
        ("tom", "review"),
        ("tom", "hide"),
    } <= actions


def test_an_admin_manages_users_but_reads_no_transcripts(world: World) -> None:
    ada = world.client("ada")
    names = [u["name"] for u in ada.get("/api/admin/users").json()]
    assert names == sorted(["ada", "ann", "bob", "cy", "tess", "tom"])
    added = ada.post("/api/admin/users", data={"name": "dan", "role": "learner", "courses": "tiny"})
    assert added.status_code == 201 and len(added.json()["password"]) >= 12
    assert world.backend.accounts.get("dan") is not None
    assert ada.get("/api/teacher/queue").status_code == 403
    assert ada.get(f"/api/chats/{world.ann.chat_id}").status_code == 403
    assert ada.get(f"/api/teacher/turns/{world.ann.turn_id}").status_code == 403


def test_logout_ends_the_session(world: World) -> None:
    ann = world.client("ann")
    cookie = ann.cookies.get("tutor_session")
    assert ann.get("/api/me").status_code == 200
    ann.get("/logout", follow_redirects=False)
    assert ann.get("/api/me").status_code == 401
    stale = world.client()
    stale.cookies.set("tutor_session", cookie or "")
    assert stale.get("/api/me").status_code == 401
    assert stale.get("/gradio_api/info").status_code == 401


def test_desk_functions_check_the_role_themselves(world: World) -> None:
    """What the hidden Gradio tab's handlers call: refused for anyone but the course teacher."""
    desk, get = world.backend.desk, world.backend.accounts.get
    ann, tess, ada = get("ann"), get("tess"), get("ada")
    assert ann and tess and ada
    for user in (ann, ada):
        with pytest.raises(AccessDenied):
            desk.queue(user)
        with pytest.raises(AccessDenied):
            desk.export(user, "csv")
    with pytest.raises(AccessDenied):
        desk.conversation(tess, world.ann.turn_id)
    with pytest.raises(AccessDenied):
        desk.review(tess, world.ann.turn_id, reviewed=True)
    assert desk.queue(tess)[0]["learner"] == "cy"


def test_learner_rate_limit_over_http(settings: Settings, tmp_path: Path) -> None:
    from tests.test_server import message_text, read_events
    from tutor.accounts.settings import AccountSettings

    limited = settings.replace(accounts=AccountSettings(messages_per_minute=1))
    world = World(limited, tmp_path)  # ann has asked once already
    ann = world.client("ann")
    start = ann.post("/gradio_api/call/chat", json={"data": ["Litmus?", "tiny", "explain"]})
    with ann.stream("GET", f"/gradio_api/call/chat/{start.json()['event_id']}") as response:
        events: Any = read_events(response)  # type: ignore[arg-type]
    assert "limit of 1 questions in a minute" in message_text(events[-1][1][0][-1])
