"""One SQLite database file for accounts and transcripts: WAL, ``synchronous=FULL``,
``secure_delete``, foreign keys, migrations applied on open.

A single connection per process, shared by threads behind a lock: every write is one short
``BEGIN IMMEDIATE`` transaction, committed (and, with ``synchronous=FULL``, on disk) before the
call returns.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutor.transcripts.migrations import LATEST, migrate

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


class Database:
    def __init__(self, path: Path | str, *, synchronous: str = "FULL", upgrade: bool = True):
        mode = synchronous.upper()
        if mode not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=30
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute(f"PRAGMA synchronous = {mode}")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA secure_delete = ON")
        if upgrade:
            migrate(self.conn, LATEST)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; committed when the block ends without an exception."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self.conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
            return row

    def scrub(self) -> None:
        """Make deleted text unrecoverable from the files: merge the full-text index (which
        drops deleted entries), rewrite the file, and empty the write-ahead log."""
        with self._lock:
            self.conn.execute("INSERT INTO turns_fts(turns_fts) VALUES ('optimize')")
            self.conn.execute("VACUUM")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def integrity(self) -> str:
        row = self.one("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def database_path(home: Path, name: str) -> Path:
    path = Path(name).expanduser()
    return path if path.is_absolute() else home / path


def open_database(settings: Any) -> Database:
    """The database named by ``settings.accounts`` under ``settings.home``."""
    acc = settings.accounts
    return Database(database_path(settings.home, acc.database), synchronous=acc.synchronous)
