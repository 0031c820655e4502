"""The learner's profile and hard topics: edit and delete them, topics recorded only from a 👎
and a wrong practice answer (or added by the learner), the profile reaching the prompt, and
"delete everything about me" checked in the database file itself."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest

from tests.test_accounts import Clock
from tests.test_server import add_course, make_services
from tests.test_transcripts import file_bytes, record_turn
from tutor.accounts.access import User
from tutor.accounts.users import Accounts
from tutor.cli import main
from tutor.config import Settings
from tutor.learning import Learning
from tutor.learning.profile import (
    LEVEL_MAX,
    SOURCES,
    Profile,
    ProfileError,
    Profiles,
    turn_topic,
)
from tutor.pipeline import Pipeline
from tutor.transcripts.backend import Backend
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore
from tutor.types import Chunk, LearnerContext

LEARNING_TABLES = ("learner_profiles", "hard_topics", "practice_items", "review_schedule")
LOCALES = Path(__file__).resolve().parent.parent / "tutor" / "locales"
PASSAGE = Chunk(
    id="c-indicators",
    course="chem",
    document="chem/acids.md",
    title="Acids",
    heading="Colour tests",
    page=None,
    start=0,
    end=60,
    text="An **indicator** is a dye whose colour depends on the pH of a solution.",
)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "tutor.db")


@pytest.fixture
def store(db: Database) -> SQLiteTranscriptStore:
    return SQLiteTranscriptStore(db)


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    accounts = Accounts(db)
    return {
        "ann": accounts.add("ann", "learner", "password-ann", ["chem"]),
        "bob": accounts.add("bob", "learner", "password-bob", ["chem"]),
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def learning(store: SQLiteTranscriptStore, clock: Clock) -> Learning:
    return Learning.open(store, clock=clock)


def count(db: Database, table: str, user_id: int) -> int:
    row = db.one(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))
    return int(row[0]) if row else -1


def test_a_profile_is_empty_until_saved_then_edited_and_deleted(
    learning: Learning, people: dict[str, User], clock: Clock
) -> None:
    profiles = learning.profiles
    ann = people["ann"]
    assert profiles.get(ann.id) == Profile()  # spaced review on by default
    assert profiles.get(ann.id).spaced_review is True

    saved = profiles.update(ann.id, level="  Year\n9 ", language="fr", mode="guide")
    assert (saved.level, saved.language, saved.mode, saved.spaced_review) == (
        "Year 9",
        "fr",
        "guide",
        True,
    )
    assert saved.updated_at == clock.now
    clock.now += 60
    saved = profiles.update(ann.id, spaced_review=False)  # other fields kept
    assert (saved.level, saved.spaced_review, saved.updated_at) == ("Year 9", False, clock.now)
    assert profiles.get(people["bob"].id) == Profile()  # one learner's profile only

    with pytest.raises(ProfileError, match="at most 60"):
        profiles.update(ann.id, level="x" * (LEVEL_MAX + 1))
    with pytest.raises(ProfileError, match="unknown language"):
        profiles.update(ann.id, language="klingon")
    with pytest.raises(ProfileError, match="unknown mode"):
        profiles.update(ann.id, mode="lecture")
    assert profiles.get(ann.id).level == "Year 9"  # a refused change changes nothing

    profiles.delete(ann.id)
    assert profiles.get(ann.id) == Profile()


def test_hard_topics_are_added_counted_listed_and_deleted_by_their_owner_only(
    learning: Learning, people: dict[str, User], clock: Clock
) -> None:
    profiles = learning.profiles
    ann, bob = people["ann"], people["bob"]
    first = profiles.record_topic(ann.id, "chem", "The pH scale", "learner")
    clock.now += 10
    again = profiles.record_topic(ann.id, "chem", "the  PH scale", "practice")
    assert again.id == first.id and again.count == 2 and again.source == "learner"
    assert (again.first_seen, again.last_seen) == (first.first_seen, clock.now)
    profiles.record_topic(ann.id, "bio", "Cells", "learner")
    assert [t.topic for t in profiles.hard_topics(ann.id, "chem")] == ["The pH scale"]
    assert len(profiles.hard_topics(ann.id)) == 2
    with pytest.raises(ProfileError):
        profiles.record_topic(ann.id, "chem", "   ", "learner")
    with pytest.raises(ValueError):
        profiles.record_topic(ann.id, "chem", "Bonds", "inferred")  # only the three sources

    assert profiles.delete_topic(bob.id, first.id) is False  # not bob's
    assert len(profiles.hard_topics(ann.id, "chem")) == 1
    assert profiles.delete_topic(ann.id, first.id) is True
    assert profiles.hard_topics(ann.id, "chem") == []


def test_a_thumbs_down_records_the_top_sources_heading_or_the_question(
    store: SQLiteTranscriptStore, learning: Learning, people: dict[str, User]
) -> None:
    from tutor.transcripts.desk import Desk

    ann, bob = people["ann"], people["bob"]
    desk = Desk(store)
    rated = record_turn(store, ann, "chem", "What does litmus do?")  # top source: Indicators
    desk.feedback(ann, rated, -1, "too fast")
    topic = learning.profiles.record_thumbs_down(ann.id, store.turn(rated) or {})
    assert topic is not None and (topic.topic, topic.source) == ("Indicators", "feedback")

    uncovered = record_turn(store, ann, "chem", "Why is the sky blue?", sources=[])
    topic = learning.profiles.record_thumbs_down(ann.id, store.turn(uncovered) or {})
    assert topic is not None and topic.topic == "Why is the sky blue?"

    refused = record_turn(store, ann, "chem", "something harmful", refused=True, sources=[])
    assert learning.profiles.record_thumbs_down(ann.id, store.turn(refused) or {}) is None
    assert learning.profiles.record_thumbs_down(bob.id, store.turn(rated) or {}) is None
    assert {t.topic for t in learning.profiles.hard_topics(ann.id)} == {
        "Indicators",
        "Why is the sky blue?",
    }
    assert learning.profiles.hard_topics(bob.id) == []


def test_turn_topic_keeps_a_long_heading_path_short() -> None:
    heading = "Chemistry > " + " > ".join(f"Part {i} of a very long outline" for i in range(5))
    topic = turn_topic({"sources": [{"heading": heading}], "question": "q"})
    assert len(topic) <= 80 and topic.endswith("Part 4 of a very long outline")


def test_a_wrong_practice_answer_records_a_hard_topic(
    learning: Learning, people: dict[str, User]
) -> None:
    ann = people["ann"]
    [item] = learning.practice.start(ann, "chem", "Indicators", [PASSAGE], count=1)
    learning.practice.check(ann, item.id, "a base")
    [topic] = learning.profiles.hard_topics(ann.id, "chem")
    assert (topic.topic, topic.source, topic.count) == ("Indicators", "practice", 1)
    learning.practice.check(ann, item.id, "an acid")  # a second miss on the same question
    assert learning.profiles.hard_topics(ann.id, "chem")[0].count == 1


def test_forget_deletes_every_learning_row_and_scrubs_the_file(
    db: Database, store: SQLiteTranscriptStore, learning: Learning, people: dict[str, User]
) -> None:
    ann, bob = people["ann"], people["bob"]
    record_turn(store, ann, "chem", "my chat stays")
    learning.profiles.update(ann.id, level="Zanzibarlevel")
    learning.profiles.record_topic(ann.id, "chem", "Quetzalcoatltopic", "learner")
    [item] = learning.practice.start(ann, "chem", "Indicators", [PASSAGE], count=1)
    learning.practice.check(ann, item.id, "pangolinanswer")
    learning.profiles.record_topic(bob.id, "chem", "bob keeps this", "learner")
    assert all(count(db, table, ann.id) for table in LEARNING_TABLES)
    assert b"Quetzalcoatltopic" in file_bytes(db.path)

    counts = learning.profiles.forget(ann.id)
    assert counts == {
        "learner_profiles": 1,
        "hard_topics": 2,  # "Quetzalcoatltopic" and "Indicators" (from the wrong answer)
        "practice_items": 1,
        "review_schedule": 1,
    }
    assert all(count(db, table, ann.id) == 0 for table in LEARNING_TABLES)
    assert db.one("SELECT COUNT(*) FROM practice_attempts")[0] == 0  # type: ignore[index]
    assert learning.profiles.get(ann.id) == Profile()
    exported = learning.profiles.export(ann.id)
    assert exported["hard_topics"] == exported["practice_items"] == []
    assert exported["practice_attempts"] == exported["review_schedule"] == []
    data = file_bytes(db.path)
    for text in (b"Zanzibarlevel", b"Quetzalcoatltopic", b"pangolinanswer"):
        assert text not in data
    assert [c["turns"] for c in store.chats_of(ann.id)] == [1]  # chats are not learning data
    assert [t.topic for t in learning.profiles.hard_topics(bob.id)] == ["bob keeps this"]
    assert db.integrity() == "ok"


def test_the_profile_is_merged_into_the_learner_context(
    learning: Learning, people: dict[str, User]
) -> None:
    profiles = learning.profiles
    ann = people["ann"]
    assert profiles.learner_context(ann.id, "chem") == LearnerContext()
    profiles.update(ann.id, level="Year 9", language="es")
    profiles.record_topic(ann.id, "chem", "Indicators", "learner")
    profiles.record_topic(ann.id, "bio", "Cells", "learner")  # another course: not used

    own = profiles.learner_context(ann.id, "chem")
    assert own == LearnerContext(language="es", level="Year 9", hard_topics=("Indicators",))
    page = profiles.learner_context(ann.id, "chem", LearnerContext(language="fr"))
    assert page.language == "fr"  # the caller's language wins over the profile's
    assert page.level == "Year 9" and page.hard_topics == ("Indicators",)
    given = profiles.learner_context(
        ann.id, "chem", LearnerContext(language="en", level="Year 10", hard_topics=("Bonds",))
    )
    assert given.level == "Year 10" and given.hard_topics == ("Bonds", "Indicators")


def test_the_chat_service_puts_the_profile_in_the_prompt(
    settings: Settings, tmp_path: Path
) -> None:
    services = make_services(settings)
    add_course(services, tmp_path / "course")
    backend = Backend.open(services.settings)
    backend.accounts.add("ann", "learner", "password-ann", ["tiny"])
    ann = backend.accounts.get("ann")
    assert ann is not None
    chats = backend.chat_service(Pipeline(services))
    llm: Any = services.llm

    chats.ask(ann, "What colour does litmus paper turn in an acid?", course="tiny")
    empty_prompt = llm.last_messages[0]["content"]
    assert "The learner is in" not in empty_prompt and "found these topics hard" not in empty_prompt

    profiles = Profiles(backend.db)
    profiles.update(ann.id, level="Year 9")
    profiles.record_topic(ann.id, "tiny", "The pH scale", "learner")
    chats.ask(ann, "What colour does litmus paper turn in an acid?", course="tiny")
    system = llm.last_messages[0]["content"]
    assert system.startswith(empty_prompt)
    assert "The learner is in Year 9; adapt" in system
    assert 'They found these topics hard: "The pH scale"' in system


def _cli(home: Path, *args: str, capsys: Any) -> tuple[int, str]:
    code = main([*args, "--home", str(home), "--fake"])
    return code, capsys.readouterr().out


def test_cli_shows_and_forgets_a_learners_learning_data(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    home = settings.home
    _cli(home, "users", "add", "ann", "--role", "learner", "--course", "chem", capsys=capsys)
    backend = Backend.open(settings)
    ann = backend.accounts.get("ann")
    assert ann is not None
    learning = Learning.open(backend.store)
    learning.profiles.update(ann.id, level="Year 9", spaced_review=False)
    learning.profiles.record_topic(ann.id, "chem", "The pH scale", "learner")
    learning.review.missed(ann.id, "chem", "The pH scale")

    code, out = _cli(home, "learner", "profile", "ann", "--json", capsys=capsys)
    body = json.loads(out)
    assert code == 0 and body["profile"]["level"] == "Year 9"
    assert body["profile"]["spaced_review"] is False
    assert [t["topic"] for t in body["hard_topics"]] == ["The pH scale"]
    assert [r["box"] for r in body["review_schedule"]] == [1]
    code, out = _cli(home, "learner", "profile", "ann", capsys=capsys)
    assert code == 0 and "level: Year 9" in out and "[chem] The pH scale" in out

    code, out = _cli(home, "learner", "export", "ann", capsys=capsys)
    assert json.loads(out)["learning"]["hard_topics"][0]["topic"] == "The pH scale"

    code, out = _cli(home, "learner", "forget", "ann", capsys=capsys)
    assert code == 0 and "deleted the learning data of ann" in out
    code, out = _cli(home, "learner", "profile", "ann", "--json", capsys=capsys)
    body = json.loads(out)
    assert body["hard_topics"] == [] and body["review_schedule"] == []
    assert body["profile"]["updated_at"] is None
    assert backend.accounts.get("ann") is not None  # the account stays
    assert main(["learner", "forget", "nobody", "--home", str(home)]) == 2


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_learning_message_with_the_same_fields() -> None:
    english = json.loads((LOCALES / "en" / "learning.json").read_text(encoding="utf-8"))
    used = {f"source_{source}" for source in SOURCES}
    for path in (Path(__file__).resolve().parent.parent / "tutor").rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'"learning\.([a-z_]+)"', code))
        if path.name == "learning.py":  # the tab's own shorthand: t("key")
            used |= set(re.findall(r"""\bt\(["']([a-z_]+)["']""", code))
    assert used <= set(english), f"keys missing from en/learning.json: {used - set(english)}"
    for code in ("es", "fr", "ar", "hi", "zh"):
        catalog = json.loads((LOCALES / code / "learning.json").read_text(encoding="utf-8"))
        assert set(catalog) == set(english), code
        for key, template in english.items():
            assert _fields(catalog[key]) == _fields(template), (code, key)
