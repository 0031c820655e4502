"""A learner's chats are kept on the server: listed per course (most recent first, titled by
their first question) and reopened to carry on; nobody else can list or reopen them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_server import add_course, make_services
from tests.test_transcripts import record_turn
from tutor.accounts.access import AccessDenied, User
from tutor.accounts.users import Accounts
from tutor.config import Settings
from tutor.learning.chats import ChatHistory, chat_title
from tutor.pipeline import Pipeline
from tutor.transcripts.backend import Backend
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore

LONG = "What happens to the hydrogen ion concentration when the pH of a solution drops by two?"


@pytest.fixture
def store(tmp_path: Path) -> SQLiteTranscriptStore:
    return SQLiteTranscriptStore(Database(tmp_path / "tutor.db"))


@pytest.fixture
def people(store: SQLiteTranscriptStore) -> dict[str, User]:
    accounts = Accounts(store.db)
    return {
        "ann": accounts.add("ann", "learner", "password-ann", ["chem", "bio"]),
        "bob": accounts.add("bob", "learner", "password-bob", ["chem"]),
        "tom": accounts.add("tom", "teacher", "password-tom", ["chem"]),
    }


def test_chat_title_is_the_first_question_cut_at_a_word() -> None:
    assert chat_title("  What is\n litmus? ") == "What is litmus?"
    title = chat_title(LONG)
    assert len(title) <= 61 and title.endswith("…") and LONG.startswith(title[:-1])
    assert chat_title("x" * 100) == "x" * 60 + "…"


def test_a_learner_lists_their_own_chats_of_a_course_most_recent_first(
    store: SQLiteTranscriptStore, people: dict[str, User]
) -> None:
    ann, bob, tom = people["ann"], people["bob"], people["tom"]
    old = store.new_chat(ann.id, "chem")
    record_turn(store, ann, "chem", LONG, chat_id=old, time=100.0)
    record_turn(store, ann, "chem", "And in a base?", chat_id=old, time=110.0)
    new = store.new_chat(ann.id, "chem")
    record_turn(store, ann, "chem", "What is litmus?", chat_id=new, time=200.0)
    hidden = record_turn(store, ann, "chem", "A hidden question", chat_id=new, time=210.0)
    store.set_hidden(hidden, True)
    record_turn(store, ann, "bio", "What is a cell?", time=300.0)  # another course
    store.new_chat(ann.id, "chem")  # an empty chat is not listed
    record_turn(store, bob, "chem", "Bob's question", time=400.0)

    history = ChatHistory(store)
    listed = history.mine(ann, "chem")
    assert [c.id for c in listed] == [new, old]
    assert [(c.title, c.turns, c.last) for c in listed] == [
        ("What is litmus?", 1, 200.0),  # the hidden turn is neither counted nor used
        (chat_title(LONG), 2, 110.0),
    ]
    old_first = store.chat_turns(old)[0]
    assert old_first["question"] == LONG  # the title is cut, not the stored question
    # Someone else asking with the same course gets only their own chats.
    assert [c.title for c in history.mine(bob, "chem")] == ["Bob's question"]
    assert history.mine(tom, "chem") == []  # a teacher lists no learner's chats here
    with pytest.raises(AccessDenied):
        history.mine(None, "chem")


def test_a_chat_is_reopened_by_its_owner_only(
    store: SQLiteTranscriptStore, people: dict[str, User]
) -> None:
    ann, bob, tom = people["ann"], people["bob"], people["tom"]
    chat = store.new_chat(ann.id, "chem")
    record_turn(store, ann, "chem", "What colour is litmus in acid?", chat_id=chat)
    hidden = record_turn(store, ann, "chem", "Hidden by the teacher", chat_id=chat)
    store.set_hidden(hidden, True)
    last = record_turn(
        store, ann, "chem", "Why is the sky blue?", chat_id=chat, sources=[], not_covered=True
    )

    resumed = ChatHistory(store).resume(ann, chat)
    assert (resumed.id, resumed.course, resumed.last_turn) == (chat, "chem", last)
    roles = [m["role"] for m in resumed.messages]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert resumed.messages[0]["content"] == "What colour is litmus in acid?"
    answer = resumed.messages[1]["content"]
    assert answer.startswith("An answer [1].")  # the stored answer, rendered as in the chat
    assert "Sources (1)" in answer and "Acids &gt; Indicators" in answer
    assert "Litmus..." in answer
    assert "Not covered by the course material" in resumed.messages[3]["content"]
    assert all("Hidden by the teacher" not in m["content"] for m in resumed.messages)

    for intruder in (bob, tom, None):
        with pytest.raises(AccessDenied):
            ChatHistory(store).resume(intruder, chat)
    with pytest.raises(AccessDenied, match="no such chat among yours"):
        ChatHistory(store).resume(ann, "no-such-chat")  # the same answer as for another's


def test_a_resumed_chat_carries_on_in_the_same_chat_with_its_memory(
    settings: Settings, tmp_path: Path
) -> None:
    services = make_services(settings)
    add_course(services, tmp_path / "course")
    backend = Backend.open(services.settings)
    backend.accounts.add("ann", "learner", "password-ann", ["tiny"])
    backend.accounts.add("bob", "learner", "password-bob", ["tiny"])
    ann, bob = backend.accounts.get("ann"), backend.accounts.get("bob")
    assert ann is not None and bob is not None
    chats = backend.chat_service(Pipeline(services))
    first = chats.ask(ann, "What colour does litmus paper turn in an acid?", course="tiny")

    # Later, maybe on another device: the chat is listed and reopened from the server.
    history = ChatHistory(backend.store)
    [listed] = history.mine(ann, "tiny")
    resumed = history.resume(ann, listed.id)
    assert resumed.id == first.chat_id
    second = chats.ask(ann, "And in a base?", course="tiny", chat_id=resumed.id)
    assert second.chat_id == first.chat_id
    llm = services.llm
    assert len(llm.last_messages) == 4  # type: ignore[attr-defined]  # the first turn remembered
    assert [c.turns for c in history.mine(ann, "tiny")] == [2]

    # Bob cannot write into Ann's chat by sending its id: he gets a chat of his own.
    intruding = chats.ask(bob, "What is the pH of water?", course="tiny", chat_id=first.chat_id)
    assert intruding.chat_id != first.chat_id
    assert [c.turns for c in history.mine(ann, "tiny")] == [2]
