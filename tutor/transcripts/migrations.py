"""Versioned, append-only schema migrations (never edit a released step; add a new one).

``PRAGMA user_version`` holds the number of steps applied. Each step runs in one transaction,
so a crash leaves the database at the previous version. The SQL stays close to portable SQL
(the FTS5 table and its triggers are the SQLite-only part).
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    # 1: accounts, courses and login sessions.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('learner', 'teacher', 'admin')),
        password_hash TEXT NOT NULL,
        created REAL NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE members (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        PRIMARY KEY (user_id, course)
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created REAL NOT NULL,
        expires REAL NOT NULL
    );
    """,
    # 2: chats and turns with their provenance.
    """
    CREATE TABLE chats (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        time REAL NOT NULL,
        mode TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        sources TEXT NOT NULL DEFAULT '[]',
        safety TEXT NOT NULL DEFAULT '[]',
        not_covered INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        model TEXT NOT NULL DEFAULT '',
        embedder TEXT NOT NULL DEFAULT '',
        prompt_hash TEXT NOT NULL DEFAULT '',
        timings TEXT NOT NULL DEFAULT '{}',
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX turns_by_user ON turns(user_id, time);
    CREATE INDEX turns_by_course ON turns(course, time);
    CREATE INDEX turns_by_chat ON turns(chat_id, id);
    """,
    # 3: triage, reviews, learner feedback, hiding, full-text search and the audit log.
    """
    ALTER TABLE turns ADD COLUMN flag_rank INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE turns ADD COLUMN flags TEXT NOT NULL DEFAULT '';
    ALTER TABLE turns ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX turns_by_flag ON turns(flag_rank, time);
    CREATE TABLE feedback (
        turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
        rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
        comment TEXT NOT NULL DEFAULT '',
        time REAL NOT NULL
    );
    CREATE TABLE reviews (
        turn_id INTEGER PRIMARY KEY REFERENCES turns(id) ON DELETE CASCADE,
        reviewer TEXT NOT NULL,
        reviewed INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '',
        rating INTEGER,
        time REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE VIRTUAL TABLE turns_fts USING fts5(
        question, answer, content='turns', content_rowid='id'
    );
    INSERT INTO turns_fts(rowid, question, answer) SELECT id, question, answer FROM turns;
    CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
        INSERT INTO turns_fts(rowid, question, answer)
        VALUES (new.id, new.question, new.answer);
    END;
    CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
        INSERT INTO turns_fts(turns_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
    END;
    CREATE TRIGGER turns_fts_update AFTER UPDATE OF question, answer ON turns BEGIN
        INSERT INTO turns_fts(turns_fts, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
        INSERT INTO turns_fts(rowid, question, answer)
        VALUES (new.id, new.question, new.answer);
    END;
    """,
    # 4: what the tutor remembers about a learner, with their consent (tutor.learning): the
    # profile they edit, the topics they found hard, practice questions with the passage each
    # came from and the learner's attempts, and the spaced-review schedule.
    """
    CREATE TABLE learner_profiles (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        level TEXT NOT NULL DEFAULT '' CHECK (length(level) <= 60),
        language TEXT NOT NULL DEFAULT '',
        mode TEXT NOT NULL DEFAULT '' CHECK (mode IN ('', 'explain', 'guide')),
        spaced_review INTEGER NOT NULL DEFAULT 1,
        updated_at REAL NOT NULL
    );
    CREATE TABLE hard_topics (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        topic TEXT NOT NULL,
        topic_key TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('practice', 'feedback', 'learner')),
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        UNIQUE (user_id, course, topic_key)
    );
    CREATE TABLE practice_items (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        topic TEXT NOT NULL,
        kind TEXT NOT NULL,
        question TEXT NOT NULL,
        expected TEXT NOT NULL,
        sentence TEXT NOT NULL,
        hidden TEXT NOT NULL,
        chunk_id TEXT NOT NULL,
        document TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        heading TEXT NOT NULL DEFAULT '',
        page INTEGER,
        created REAL NOT NULL
    );
    CREATE INDEX practice_items_by_user ON practice_items(user_id, course, created);
    CREATE TABLE practice_attempts (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES practice_items(id) ON DELETE CASCADE,
        answer TEXT NOT NULL,
        correct INTEGER NOT NULL,
        feedback TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL
    );
    CREATE INDEX practice_attempts_by_item ON practice_attempts(item_id, id);
    CREATE TABLE review_schedule (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        course TEXT NOT NULL,
        topic TEXT NOT NULL,
        topic_key TEXT NOT NULL,
        box INTEGER NOT NULL DEFAULT 1,
        interval_days REAL NOT NULL,
        due_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (user_id, course, topic_key)
    );
    """,
]

LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Apply the missing steps up to ``target``; returns the version reached.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step runs inside its
    own ``BEGIN IMMEDIATE`` ... ``COMMIT``, together with the new ``user_version``.
    """
    current = schema_version(conn)
    if current > LATEST:
        raise RuntimeError(
            f"the database has schema version {current}, newer than this tutor knows ({LATEST})"
        )
    for number in range(current + 1, target + 1):
        script = MIGRATIONS[number - 1]
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= number:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def _statements(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (``BEGIN ... END;``) whole."""
    out: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        out.append(buffer.strip())
    return out
