"""``POST /api/ask`` on the fakes: sign-in, validation, JSON and streamed answers recorded in
the transcript store, concurrent streams without cross-talk, "busy" when the waiting line is
full, and a client that goes away freeing its slot. TestClient for single requests; a real
uvicorn server and httpx for concurrency and disconnects."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.test_accounts import add_user, login
from tests.test_server import LiveServer, add_course, make_services, read_events
from tutor.accounts.settings import AccountSettings
from tutor.config import Settings
from tutor.errors import ModelError
from tutor.llm.fake import ScriptedModel
from tutor.server import create_app
from tutor.services import Services

QUESTION = "What colour does litmus paper turn in an acid?"
REPLY = "Litmus turns red in an acid. It turns blue in a base. [1]"
USERS = ("ann", "bob", "cy")


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``condition`` (a deadline against hangs, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never became true")
        time.sleep(0.01)


class GatedModel:
    """The scripted model, holding each reply before its word number ``hold_at`` until ``gate``
    is set; counts replies closed before their end (``GeneratorExit``) and finished ones."""

    def __init__(self, inner: ScriptedModel, hold_at: int = 0) -> None:
        self.inner = inner
        self.hold_at = hold_at
        self.gate = threading.Event()
        self.closed_early = 0
        self.finished = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def stream(self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256) -> Any:
        return self._held(self.inner.stream(messages, max_new_tokens=max_new_tokens))

    def _held(self, pieces: Iterator[str]) -> Iterator[str]:
        try:
            for number, piece in enumerate(pieces):
                if number == self.hold_at:
                    self.gate.wait(timeout=60)
                yield piece
        except GeneratorExit:
            self.closed_early += 1
            raise
        self.finished += 1


class World:
    """The app on the fakes with the course "tiny"; ann, bob and cy learn it, dan does not."""

    def __init__(self, settings: Settings, tmp_path: Path, **changes: Any) -> None:
        self.services: Services = make_services(settings.replace(**changes))
        add_course(self.services, tmp_path / "course")
        assert isinstance(self.services.llm, ScriptedModel)
        self.model: ScriptedModel = self.services.llm
        self.model.replies = {"litmus": REPLY}
        self.app = create_app(self.services)
        self.backend = self.app.state.backend
        self.passwords = {name: add_user(self.backend, name, "learner", "tiny") for name in USERS}
        self.passwords["dan"] = add_user(self.backend, "dan", "learner", "other")

    def gate_model(self, hold_at: int = 0) -> GatedModel:
        gated = GatedModel(self.model, hold_at)
        self.services.llm = gated
        return gated

    @property
    def admission(self) -> Any:
        return self.app.state.admission

    def user_id(self, name: str) -> int:
        user = self.backend.accounts.get(name)
        assert user is not None
        return int(user.id)

    def turns_of(self, name: str) -> list[dict[str, Any]]:
        store = self.backend.store
        return [t for c in store.chats_of(self.user_id(name)) for t in store.chat_turns(c["id"])]


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return World(settings, tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app) as test_client:
        login(test_client, "ann", world.passwords["ann"])
        yield test_client


def ask(client: Any, **body: Any) -> Any:
    return client.post("/api/ask", json={"question": QUESTION, "course": "tiny", **body})


def events_of(text: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a whole server-sent events body."""
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def check_stream(events: list[tuple[str, Any]]) -> dict[str, Any]:
    """Tokens, then one answer whose text the tokens spell; returns the answer's body."""
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "answer" and kinds[:-1] == ["token"] * (len(kinds) - 1), kinds
    assert len(kinds) >= 2
    answer: dict[str, Any] = events[-1][1]
    assert "".join(data["text"] for _, data in events[:-1]) == answer["answer"]
    return answer


# ---- sign-in, access and validation --------------------------------------------------


def test_anonymous_gets_401_json_not_the_login_page(world: World) -> None:
    with TestClient(world.app) as anonymous:
        response = ask(anonymous, stream=True)
        expired = anonymous.post(
            "/api/ask",
            json={"question": QUESTION, "course": "tiny"},
            cookies={"tutor_session": "not-a-session"},
        )
    for refused in (response, expired):
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.json() == {"error": "sign in first: POST /login"}
    assert world.turns_of("ann") == []


def test_a_learner_of_another_course_is_refused(world: World) -> None:
    with TestClient(world.app) as other:
        login(other, "dan", world.passwords["dan"])
        response = ask(other)
    assert response.status_code == 403
    assert "not enrolled" in response.json()["error"]
    assert world.admission.in_use == 0


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"course": "tiny"}, "question"),
        ({"question": "   ", "course": "tiny"}, "question"),
        ({"question": QUESTION}, "course"),
        ({"question": QUESTION, "course": "tiny", "mode": "lecture"}, "mode"),
        ({"question": QUESTION, "course": "tiny", "stream": "yes"}, "stream"),
        ({"question": QUESTION, "course": "tiny", "questoin": "typo"}, "questoin"),
        ({"question": 42, "course": "tiny"}, "question"),
        ([QUESTION], "object"),
    ],
)
def test_a_bad_body_is_422_with_a_message_naming_the_field(
    client: TestClient, body: Any, named: str
) -> None:
    response = client.post("/api/ask", json=body)
    assert response.status_code == 422
    assert named in response.json()["error"]


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    broken = client.post(
        "/api/ask", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "JSON" in broken.json()["error"]
    form = client.post("/api/ask", data={"question": QUESTION, "course": "tiny"})
    assert form.status_code == 415 and "application/json" in form.json()["error"]


def test_a_huge_body_is_413(client: TestClient, world: World) -> None:
    response = ask(client, question="why? " * 20_000)
    assert response.status_code == 413
    assert "KiB" in response.json()["error"]
    assert world.turns_of("ann") == [] and world.admission.in_use == 0


def test_a_long_question_is_cut_like_in_the_chat(client: TestClient, world: World) -> None:
    limit = world.services.settings.max_question_chars
    response = ask(client, question=QUESTION + " Please explain." * (limit // 10))
    assert response.status_code == 200
    (turn,) = world.turns_of("ann")
    assert len(turn["question"]) <= limit


# ---- answers ----------------------------------------------------------------------------


def test_an_answer_as_json_is_recorded(client: TestClient, world: World) -> None:
    response = ask(client)
    assert response.status_code == 200
    body = response.json()
    assert body["answer"] == REPLY and body["mode"] == "explain"
    assert body["sources"][0]["heading"] == "Acids and bases > Indicators"
    assert {"turn_id", "chat_id", "timings_ms", "model", "refused", "not_covered"} <= set(body)
    turn = world.backend.store.turn(body["turn_id"])
    assert turn is not None
    assert (turn["question"], turn["answer"], turn["chat_id"]) == (QUESTION, REPLY, body["chat_id"])
    assert world.admission.in_use == 0


def test_the_answer_is_the_body_of_tutor_ask_json(
    client: TestClient, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from tutor.chat_service import ask_as
    from tutor.pipeline import Pipeline

    assert ask_as(Pipeline(world.services), "ann", QUESTION, "tiny", "explain", True) == 0
    printed = json.loads(capsys.readouterr().out)
    served = ask(client).json()
    assert set(served) == set(printed)
    assert served["answer"] == printed["answer"] and served["sources"] == printed["sources"]


def test_chat_id_continues_the_conversation(client: TestClient, world: World) -> None:
    first = ask(client).json()
    second = ask(client, question="And in a base?", chat_id=first["chat_id"], mode="guide")
    assert second.status_code == 200
    assert second.json()["chat_id"] == first["chat_id"] and second.json()["mode"] == "guide"
    turns = world.backend.store.chat_turns(first["chat_id"])
    assert [t["question"] for t in turns] == [QUESTION, "And in a base?"]
    # The first exchange is in the prompt of the second (memory from the server's transcript).
    prompt = [m["content"] for m in world.model.last_messages]
    assert QUESTION in prompt and REPLY in prompt


def test_another_learners_chat_id_starts_a_new_chat(client: TestClient, world: World) -> None:
    with TestClient(world.app) as bob:
        login(bob, "bob", world.passwords["bob"])
        bobs = ask(bob).json()["chat_id"]
    mine = ask(client, chat_id=bobs).json()["chat_id"]
    assert mine != bobs
    assert [t["question"] for t in world.backend.store.chat_turns(bobs)] == [QUESTION]


def test_a_streamed_answer_spells_its_tokens_then_the_answer(
    client: TestClient, world: World
) -> None:
    response = ask(client, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    events = events_of(response.text)
    assert len(events) >= 3  # the answer came in pieces
    answer = check_stream(events)
    assert answer["answer"] == REPLY
    assert set(answer) == set(ask(client).json())  # the same body as without streaming
    assert world.backend.store.turn(answer["turn_id"])["answer"] == REPLY
    assert world.admission.in_use == 0


class FailingModel(GatedModel):
    """The scripted model that fails after its word number ``hold_at``."""

    def _held(self, pieces: Iterator[str]) -> Iterator[str]:
        for number, piece in enumerate(pieces):
            if number == self.hold_at:
                raise ModelError("the language model failed while answering: out of memory")
            yield piece


def test_a_failure_after_the_stream_started_is_an_error_event(
    client: TestClient, world: World
) -> None:
    world.services.llm = FailingModel(world.model, hold_at=6)
    response = ask(client, stream=True)
    assert response.status_code == 200
    events = events_of(response.text)
    assert events[0] == ("token", {"text": "Litmus turns red in an acid."})
    assert events[-1] == (
        "error",
        {"error": "the language model failed while answering: out of memory", "status": 500},
    )
    assert world.turns_of("ann") == [] and world.admission.in_use == 0
    # Failing before the first piece: an HTTP error, not a stream.
    world.services.llm = FailingModel(world.model, hold_at=0)
    early = ask(client, stream=True)
    assert early.status_code == 500 and "out of memory" in early.json()["error"]
    assert world.admission.in_use == 0


def test_rate_limited_is_429_with_retry_after(settings: Settings, tmp_path: Path) -> None:
    world = World(settings, tmp_path, accounts=AccountSettings(messages_per_minute=1))
    with TestClient(world.app) as client:
        login(client, "ann", world.passwords["ann"])
        assert ask(client).status_code == 200
        for stream in (False, True):
            limited = ask(client, stream=stream)
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) > 0
            assert "limit" in limited.json()["error"]
    assert len(world.turns_of("ann")) == 1 and world.admission.in_use == 0


# ---- a real server: concurrency, busy, disconnects ------------------------------------


@contextmanager
def signed_in(live: LiveServer, world: World, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        login(http, name, world.passwords[name])
        yield http


def stream_answer(http: httpx.Client, question: str) -> list[tuple[str, Any]]:
    body = {"question": question, "course": "tiny", "stream": True}
    with http.stream("POST", "/api/ask", json=body) as response:
        assert response.status_code == 200
        return read_events(response)


def test_concurrent_streams_get_their_own_answers(settings: Settings, tmp_path: Path) -> None:
    # Eight questions at once (the default queue_concurrency) from three learners, each on its
    # own connection: every stream carries its own question's answer, recorded for its asker.
    world = World(settings, tmp_path, accounts=AccountSettings(messages_per_minute=0))
    askers = [USERS[i % len(USERS)] for i in range(8)]
    world.model.replies = {
        f"zeta{i}": f"Reply number {i} is for {askers[i]}. [1]" for i in range(8)
    }
    results: dict[int, list[tuple[str, Any]]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(8)

    def one(i: int, live: LiveServer, cookies: httpx.Cookies) -> None:
        try:
            with httpx.Client(base_url=live.url, timeout=60, cookies=cookies) as http:
                start.wait(timeout=60)
                results[i] = stream_answer(http, f"{QUESTION} zeta{i}")
        except BaseException as exc:
            failures.append(exc)

    with LiveServer(world.app) as live:
        sessions = {}
        for name in USERS:
            with signed_in(live, world, name) as http:
                sessions[name] = httpx.Cookies(http.cookies)
        threads = [
            threading.Thread(target=one, args=(i, live, sessions[askers[i]])) for i in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert failures == []
    assert sorted(results) == list(range(8))
    for i, events in results.items():
        answer = check_stream(events)
        assert answer["answer"] == f"Reply number {i} is for {askers[i]}. [1]"
        turn = world.backend.store.turn(answer["turn_id"])
        assert turn["user_id"] == world.user_id(askers[i]) and turn["answer"] == answer["answer"]
    assert len({events[-1][1]["chat_id"] for events in results.values()}) == 8
    assert world.admission.in_use == 0


def test_a_full_queue_answers_busy_then_the_admitted_finish(
    settings: Settings, tmp_path: Path
) -> None:
    world = World(settings, tmp_path, queue_concurrency=1, queue_max_size=1)
    model = world.gate_model(hold_at=0)
    outcomes: dict[str, Any] = {}

    def first(http: httpx.Client) -> None:
        outcomes["first"] = ask(http)

    def second(http: httpx.Client) -> None:
        outcomes["second"] = stream_answer(http, QUESTION)

    with LiveServer(world.app) as live, ExitStack() as clients:
        ann, bob, cy = (clients.enter_context(signed_in(live, world, name)) for name in USERS)
        try:
            answering = threading.Thread(target=first, args=(ann,))
            answering.start()
            wait_until(lambda: world.admission.in_use == 1)
            waiting = threading.Thread(target=second, args=(bob,))
            waiting.start()
            wait_until(lambda: world.admission.waiting == 1)

            busy = ask(cy, stream=True)
            assert busy.status_code == 503
            assert busy.json() == {
                "error": "the tutor is busy, try again in a few seconds",
                "retry_after_s": int(busy.headers["retry-after"]),
            }
            assert int(busy.headers["retry-after"]) > 0

            model.gate.set()
            answering.join(timeout=60)
            waiting.join(timeout=60)
        finally:
            model.gate.set()
    assert outcomes["first"].status_code == 200 and outcomes["first"].json()["answer"] == REPLY
    assert check_stream(outcomes["second"])["answer"] == REPLY
    assert world.turns_of("cy") == []
    assert (world.admission.in_use, world.admission.waiting) == (0, 0)


class NoticeDisconnect:
    """ASGI wrapper that sets ``seen`` once the app has been told the client went away."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def watched() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.seen.set()
            return message

        await self.app(scope, watched if scope["type"] == "http" else receive, send)


def test_a_client_leaving_mid_stream_stops_generation_and_frees_the_slot(
    settings: Settings, tmp_path: Path
) -> None:
    world = World(settings, tmp_path, queue_concurrency=1, queue_max_size=0)
    model = world.gate_model(hold_at=6)  # after "Litmus turns red in an acid. "
    app = NoticeDisconnect(world.app)
    body = {"question": QUESTION, "course": "tiny", "stream": True}
    with LiveServer(app) as live, signed_in(live, world, "ann") as http:
        try:
            with http.stream("POST", "/api/ask", json=body) as response:
                assert response.status_code == 200
                lines = response.iter_lines()
                assert next(lines) == "event: token"
                assert json.loads(next(lines).removeprefix("data: ")) == {
                    "text": "Litmus turns red in an acid."
                }
                assert world.admission.in_use == 1
            # Closing the response mid-stream drops the connection.
            assert app.seen.wait(timeout=30)
        finally:
            model.gate.set()  # the step under way ends; then the answer is closed
        wait_until(lambda: world.admission.in_use == 0)
        assert (model.closed_early, model.finished) == (1, 0)
        assert world.turns_of("ann") == []  # a cut-off answer is not recorded

        again = ask(http)
        assert again.status_code == 200 and again.json()["answer"] == REPLY
    assert model.finished == 1 and len(world.turns_of("ann")) == 1
