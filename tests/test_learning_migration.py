"""Schema step 4 (learning data): a database at the previous version, with accounts, chats,
turns and feedback in it, upgrades in place, keeps everything, and the new tables work for its
existing learners; erasing an account takes their learning data with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tutor.accounts.users import Accounts
from tutor.learning import Learning
from tutor.transcripts.db import Database
from tutor.transcripts.migrations import LATEST, MIGRATIONS, migrate, schema_version
from tutor.transcripts.store import SQLiteTranscriptStore, TurnFilter

LEARNING_STEP = 4
LEARNING_TABLES = {
    "learner_profiles",
    "hard_topics",
    "practice_items",
    "practice_attempts",
    "review_schedule",
}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_learning_step_is_the_latest_and_adds_only_new_tables(tmp_path: Path) -> None:
    assert LATEST >= LEARNING_STEP and len(MIGRATIONS) == LATEST
    conn = sqlite3.connect(tmp_path / "steps.db", isolation_level=None)
    migrate(conn, LEARNING_STEP - 1)
    before = tables(conn)
    assert not LEARNING_TABLES & before
    migrate(conn, LEARNING_STEP)
    assert tables(conn) - before == LEARNING_TABLES


def test_upgrading_from_the_previous_version_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    assert migrate(conn, LEARNING_STEP - 1) == LEARNING_STEP - 1
    conn.execute(
        "INSERT INTO users (name, role, password_hash, created) VALUES ('ann', 'learner', 'x', 1)"
    )
    conn.execute("INSERT INTO members VALUES (1, 'chem')")
    conn.execute("INSERT INTO chats VALUES ('c1', 1, 'chem', 1)")
    conn.execute(
        "INSERT INTO turns (chat_id, user_id, course, time, mode, question, answer, sources) "
        "VALUES ('c1', 1, 'chem', 5, 'explain', 'old litmus question', 'old answer', "
        """'[{"n": 1, "heading": "Indicators", "document": "chem.md"}]')"""
    )
    conn.execute("INSERT INTO feedback VALUES (1, -1, 'unclear', 6)")
    conn.close()

    db = Database(path)
    assert schema_version(db.conn) == LATEST
    assert db.integrity() == "ok"
    store = SQLiteTranscriptStore(db)
    [turn] = store.query(TurnFilter(text="litmus"))
    assert (turn["question"], turn["feedback_rating"], turn["feedback_comment"]) == (
        "old litmus question",
        -1,
        "unclear",
    )
    ann = Accounts(db).get("ann")
    assert ann is not None and ann.courses == frozenset({"chem"})

    # The old learner has an empty profile, then learning data like anyone else.
    learning = Learning.open(store)
    assert learning.profiles.get(ann.id).updated_at is None
    [chat] = learning.chats.mine(ann, "chem")
    assert (chat.id, chat.title, chat.turns) == ("c1", "old litmus question", 1)
    learning.profiles.update(ann.id, level="Year 9")
    topic = learning.profiles.record_thumbs_down(ann.id, turn)
    assert topic is not None and topic.topic == "Indicators"
    learning.review.missed(ann.id, "chem", "Indicators")
    db.close()

    reopened = Database(path)  # opening again changes nothing
    assert schema_version(reopened.conn) == LATEST
    assert Learning.open(SQLiteTranscriptStore(reopened)).profiles.get(1).level == "Year 9"

    Accounts(reopened).remove("ann")  # erasing the account cascades to the learning data
    for table in LEARNING_TABLES - {"practice_attempts"}:
        assert reopened.one(f"SELECT COUNT(*) FROM {table}")[0] == 0  # type: ignore[index]
