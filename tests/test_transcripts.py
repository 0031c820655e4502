"""The transcript store: migrations (from empty and from each earlier schema), recording with
provenance, triage order, full-text search, export, retention purge and learner erasure that
really remove the text from the database file."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time as _time
from pathlib import Path
from typing import Any

import pytest

from tutor.accounts.access import User
from tutor.accounts.users import Accounts
from tutor.cli import main
from tutor.config import Settings
from tutor.transcripts.db import Database, open_database
from tutor.transcripts.migrations import LATEST, MIGRATIONS, migrate, schema_version
from tutor.transcripts.store import (
    SQLiteTranscriptStore,
    TurnFilter,
    TurnRecord,
    export_row,
    fts_query,
    write_export,
)
from tutor.types import Answer, Source

SELF_HARM = {
    "category": "self_harm",
    "layer": "input",
    "action": "helpline",
    "score": 0.97,
    "source": "rule",
    "severity": "high",
}
VIOLENCE = {
    "category": "violence",
    "layer": "input",
    "action": "refuse",
    "score": 0.9,
    "source": "classifier",
    "severity": "high",
}
PROFANITY = {
    "category": "profanity",
    "layer": "input",
    "action": "flag",
    "score": 1.0,
    "source": "rule",
    "severity": "low",
}


def make_answer(question: str, answer: str = "An answer [1].", **fields: Any) -> Answer:
    sources = fields.pop(
        "sources",
        [Source(1, "chem/acids.md", "Acids", "Indicators", None, 0.71, "Litmus...", "c0ffee")],
    )
    return Answer(
        answer=answer,
        mode=fields.pop("mode", "explain"),
        sources=sources,
        model="fake-scripted",
        question=question,
        prompt_hash="abc123",
        timings_ms={"total": 12.5, "first_token": 3.0},
        prompt_tokens=40,
        completion_tokens=9,
        **fields,
    )


def record_turn(
    store: SQLiteTranscriptStore,
    user: User,
    course: str,
    question: str,
    *,
    chat_id: str | None = None,
    time: float | None = None,
    **fields: Any,
) -> int:
    chat = chat_id or store.new_chat(user.id, course)
    return store.record(
        TurnRecord(
            chat_id=chat,
            user_id=user.id,
            course=course,
            answer=make_answer(question, **fields),
            embedder="hashing",
            time=_time.time() if time is None else time,
        )
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
        "bob": accounts.add("bob", "learner", "password-bob", ["chem", "bio"]),
    }


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_database_is_at_the_latest_schema_in_wal_with_full_sync(tmp_path: Path) -> None:
    db = Database(tmp_path / "new.db")
    assert schema_version(db.conn) == LATEST == len(MIGRATIONS)
    assert {
        "users",
        "members",
        "sessions",
        "chats",
        "turns",
        "feedback",
        "reviews",
        "audit",
        "turns_fts",
    } <= tables(db.conn)
    assert db.one("PRAGMA journal_mode")[0] == "wal"  # type: ignore[index]
    assert db.one("PRAGMA synchronous")[0] == 2  # type: ignore[index]  # FULL
    assert db.one("PRAGMA secure_delete")[0] == 1  # type: ignore[index]
    assert db.one("PRAGMA foreign_keys")[0] == 1  # type: ignore[index]
    assert db.integrity() == "ok"
    db.close()
    assert schema_version(Database(tmp_path / "new.db").conn) == LATEST  # idempotent


@pytest.mark.parametrize("start", range(LATEST))
def test_migrating_from_every_earlier_schema_keeps_the_data(tmp_path: Path, start: int) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, start) == start
    if start >= 2:  # the schema had turns: write one the way that version did
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created) "
            "VALUES ('ann', 'learner', 'x', 1)"
        )
        conn.execute("INSERT INTO chats VALUES ('c1', 1, 'chem', 1)")
        conn.execute(
            "INSERT INTO turns (chat_id, user_id, course, time, mode, question, answer) "
            "VALUES ('c1', 1, 'chem', 1, 'explain', 'old litmus question', 'old answer')"
        )
    conn.close()
    db = Database(path)
    assert schema_version(db.conn) == LATEST
    assert db.integrity() == "ok"
    if start >= 2:
        store = SQLiteTranscriptStore(db)
        turns = store.query(TurnFilter(text="litmus"))
        assert [t["question"] for t in turns] == ["old litmus question"]  # indexed on upgrade
        assert turns[0]["hidden"] is False and turns[0]["flag_rank"] == 0


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "future.db", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Database(tmp_path / "future.db")


def test_a_turn_is_recorded_with_its_provenance(
    store: SQLiteTranscriptStore, people: dict[str, User]
) -> None:
    ann = people["ann"]
    turn_id = record_turn(store, ann, "chem", "What colour is litmus?", safety=[PROFANITY])
    turn = store.turn(turn_id)
    assert turn is not None
    assert turn["learner"] == "ann" and turn["course"] == "chem" and turn["mode"] == "explain"
    assert turn["question"] == "What colour is litmus?"
    assert turn["sources"][0]["chunk_id"] == "c0ffee" and turn["sources"][0]["score"] == 0.71
    assert turn["safety"] == [PROFANITY]
    assert turn["model"] == "fake-scripted" and turn["embedder"] == "hashing"
    assert turn["prompt_hash"] == "abc123"
    assert turn["timings"]["total"] == 12.5
    assert (turn["prompt_tokens"], turn["completion_tokens"]) == (40, 9)
    assert store.count_since(ann.id, 0) == 1


def test_memory_comes_from_the_store_without_hidden_or_unanswered_turns(
    store: SQLiteTranscriptStore, people: dict[str, User]
) -> None:
    ann = people["ann"]
    chat = store.new_chat(ann.id, "chem")
    first = record_turn(store, ann, "chem", "one", chat_id=chat)
    record_turn(store, ann, "chem", "two", chat_id=chat, not_covered=True)
    record_turn(store, ann, "chem", "three", chat_id=chat)
    record_turn(store, ann, "chem", "four", chat_id=chat)
    assert [t.question for t in store.history(chat, 2)] == ["three", "four"]
    store.set_hidden(first, True)
    assert [t.question for t in store.history(chat, 10)] == ["three", "four"]
    assert [t["question"] for t in store.chat_turns(chat, include_hidden=False)] == [
        "two",
        "three",
        "four",
    ]


def test_triage_order_and_filters(store: SQLiteTranscriptStore, people: dict[str, User]) -> None:
    ann, bob = people["ann"], people["bob"]
    plain = record_turn(store, ann, "chem", "plain question", time=100)
    low = record_turn(store, ann, "chem", "rated low", time=200)
    store.set_feedback(low, -1, "did not help")
    missing = record_turn(
        store, bob, "chem", "who painted it", time=300, not_covered=True, sources=[]
    )
    violent = record_turn(
        store, bob, "chem", "how to hurt", time=400, safety=[VIOLENCE], refused=True
    )
    crisis = record_turn(
        store, ann, "chem", "i feel hopeless", time=50, safety=[SELF_HARM], refused=True
    )
    other = record_turn(store, bob, "bio", "cells", time=500, mode="guide")
    mine = frozenset({"chem"})
    order = [t["id"] for t in store.query(TurnFilter(courses=mine))]
    assert order == [crisis, violent, missing, low, plain]
    assert [t["id"] for t in store.query(TurnFilter(courses=mine, flag="flagged"))] == [
        crisis,
        violent,
    ]
    assert [t["id"] for t in store.query(TurnFilter(courses=mine, flag="not_covered"))] == [missing]
    assert [t["id"] for t in store.query(TurnFilter(courses=mine, flag="low_rated"))] == [low]
    assert [t["id"] for t in store.query(TurnFilter(courses=mine, learner="bob"))] == [
        violent,
        missing,
    ]
    assert [t["id"] for t in store.query(TurnFilter(courses=mine, since=150, until=350))] == [
        missing,
        low,
    ]
    assert [t["id"] for t in store.query(TurnFilter(mode="guide"))] == [other]
    assert store.query(TurnFilter(courses=frozenset())) == []
    store.review(crisis, "tom", reviewed=True, note="called parents", rating=4)
    assert [t["id"] for t in store.query(TurnFilter(courses=mine))][-1] == crisis  # reviewed last
    reviewed = store.turn(crisis)
    assert reviewed is not None and reviewed["review_note"] == "called parents"
    with pytest.raises(ValueError):
        store.review(crisis, "tom", rating=9)


def test_full_text_search_treats_input_as_words(
    store: SQLiteTranscriptStore, people: dict[str, User]
) -> None:
    ann = people["ann"]
    hit = record_turn(store, ann, "chem", "Why does litmus turn red?", answer="Acids do it.")
    record_turn(store, ann, "chem", "What is a loop?", answer="A repeated block.")
    assert [t["id"] for t in store.query(TurnFilter(text="litmus"))] == [hit]
    assert [t["id"] for t in store.query(TurnFilter(text="acids"))] == [hit]  # answers too
    for nasty in ('litmus"', "litmus OR loop*", "NEAR(", "-loop", "a:b"):
        store.query(TurnFilter(text=nasty))  # no FTS syntax error reaches the user
    assert fts_query('say "hi"') == '"say" """hi"""'


def test_export_jsonl_and_csv(store: SQLiteTranscriptStore, people: dict[str, User]) -> None:
    ann = people["ann"]
    record_turn(store, ann, "chem", '=HYPERLINK("http://x")', safety=[SELF_HARM])
    rows = [export_row(t) for t in store.query(TurnFilter())]
    line = json.loads(write_export(rows, "jsonl").splitlines()[0])
    for key in ("learner", "course", "chat_id", "time", "question", "answer", "sources", "flags"):
        assert key in line
    assert line["learner"] == "ann" and line["flags"] == ["self_harm"]
    assert line["sources"][0]["chunk_id"] == "c0ffee"
    table = list(csv.DictReader(io.StringIO(write_export(rows, "csv"))))
    assert table[0]["question"].startswith("'=")  # a spreadsheet will not run it
    assert table[0]["flags"] == "self_harm"


def file_bytes(db_path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(str(db_path) + suffix)
        if part.exists():
            data += part.read_bytes()
    return data


def test_purge_removes_old_text_from_the_file(tmp_path: Path) -> None:
    db = Database(tmp_path / "tutor.db")
    clock = _Clock(10 * 86400)
    store = SQLiteTranscriptStore(db, clock=clock)
    ann = Accounts(db).add("ann", "learner", "password-ann", ["chem"])
    record_turn(
        store, ann, "chem", "zanzibarquokka old question", answer="xylophonewombat", time=86400
    )
    kept = record_turn(store, ann, "chem", "recent question", time=9.5 * 86400)
    assert b"zanzibarquokka" in file_bytes(db.path)
    assert store.purge(older_than_days=5) == 1
    assert [t["id"] for t in store.query(TurnFilter())] == [kept]
    data = file_bytes(db.path)
    assert b"zanzibarquokka" not in data and b"xylophonewombat" not in data
    assert db.integrity() == "ok"


def test_purge_removes_old_practice_answers(tmp_path: Path) -> None:
    db = Database(tmp_path / "tutor.db")
    clock = _Clock(10 * 86400)
    store = SQLiteTranscriptStore(db, clock=clock)
    ann = Accounts(db).add("ann", "learner", "password-ann", ["chem"])
    with db.write() as conn:
        for created, answer in ((86400, "quetzalpangolin"), (9.5 * 86400, "recentanswer")):
            item = conn.execute(
                "INSERT INTO practice_items (user_id, course, topic, kind, question, expected, "
                "sentence, hidden, chunk_id, document, title, heading, page, created) "
                "VALUES (?, 'chem', 'acids', 'term', 'q?', 'litmus', 's', 'm', 'c1', 'd.md', "
                "'t', 'h', NULL, ?)",
                (ann.id, created),
            ).lastrowid
            conn.execute(
                "INSERT INTO practice_attempts (item_id, answer, correct, at) VALUES (?, ?, 0, ?)",
                (item, answer, created),
            )
    assert b"quetzalpangolin" in file_bytes(db.path)
    store.purge(older_than_days=5)
    answers = [r["answer"] for r in db.rows("SELECT answer FROM practice_attempts")]
    assert answers == ["recentanswer"]
    assert b"quetzalpangolin" not in file_bytes(db.path)


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _cli(home: Path, *args: str, capsys: Any) -> tuple[int, str]:
    code = main([*args, "--home", str(home), "--fake"])
    return code, capsys.readouterr().out


def test_cli_users_export_purge_and_learner_erasure(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = settings.home
    code, out = _cli(
        home, "users", "add", "ann", "--role", "learner", "--course", "chem", capsys=capsys
    )
    assert code == 0 and "password: " in out
    _cli(home, "users", "add", "bob", "--role", "learner", "--course", "chem", capsys=capsys)
    db = open_database(settings.replace(home=home))
    store = SQLiteTranscriptStore(db)
    accounts = Accounts(db)
    ann, bob = accounts.get("ann"), accounts.get("bob")
    assert ann and bob
    record_turn(
        store,
        ann,
        "chem",
        "quetzalcoatl secret question",
        answer="pangolinanswer",
        safety=[SELF_HARM],
    )
    record_turn(store, bob, "chem", "bob question", time=1.0)  # 1970: old

    code, out = _cli(home, "transcripts", "export", "--format", "jsonl", "--flagged", capsys=capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["learner"] for r in rows] == ["ann"]
    out_file = tmp_path / "chem.csv"
    code, _ = _cli(
        home,
        "transcripts",
        "export",
        "--course",
        "chem",
        "--learner",
        "bob",
        "--format",
        "csv",
        "--out",
        str(out_file),
        capsys=capsys,
    )
    assert [r["question"] for r in csv.DictReader(out_file.open())] == ["bob question"]

    code, out = _cli(home, "learner", "export", "ann", capsys=capsys)
    exported = json.loads(out)
    assert exported["user"]["name"] == "ann"
    assert [t["question"] for t in exported["turns"]] == ["quetzalcoatl secret question"]

    code, out = _cli(home, "transcripts", "purge", "--older-than", "30", capsys=capsys)
    assert code == 0 and "purged 1 turns" in out

    code, out = _cli(home, "learner", "delete", "ann", capsys=capsys)
    assert code == 0 and "deleted ann" in out
    assert Accounts(db).get("ann") is None
    data = file_bytes(db.path)
    for text in (b"quetzalcoatl", b"pangolinanswer", b"bob question"):
        assert text not in data
    assert db.integrity() == "ok"
    assert main(["learner", "delete", "ann", "--home", str(home)]) == 2  # gone already
    actions = [r["action"] for r in SQLiteTranscriptStore(db).audit_log()]
    assert {"export_jsonl", "export_csv", "learner_export", "purge", "learner_delete"} <= set(
        actions
    )
