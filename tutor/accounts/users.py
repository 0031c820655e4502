"""User accounts: argon2 password hashes, course membership, login sessions and a growing
delay after failed logins. Stored in the same database as the transcripts."""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from tutor.accounts.access import ROLES, User
from tutor.accounts.settings import AccountSettings
from tutor.errors import TutorError
from tutor.transcripts.db import Database

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8


class AccountError(TutorError):
    """A user could not be added or changed (bad name, role, password, duplicate)."""


class LoginThrottled(TutorError):
    """Too many failed logins: wait before trying again."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(f"too many failed sign-ins; try again in {max(1, round(wait_s))} s")


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(
        self,
        db: Database,
        settings: AccountSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.settings = settings or AccountSettings()
        self.clock = clock
        self._hasher = _hasher()
        self._dummy_hash: str | None = None  # made at the first sign-in (0.2 s), not at start
        self._unknown: dict[str, tuple[int, float]] = {}  # failed logins with unknown names
        self._lock = threading.Lock()

    # users -------------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str, courses: Iterable[str] = ()) -> User:
        if not NAME_PATTERN.match(name):
            raise AccountError(
                f"user name {name!r}: use letters, digits and . _ @ - (at most 64 characters)"
            )
        if role not in ROLES:
            raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        if self.get(name) is not None:
            raise AccountError(f"a user named {name!r} already exists")
        hashed = self._hasher.hash(password)
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                (name, role, hashed, self.clock()),
            )
            user_id = int(cursor.lastrowid or 0)
            for course in sorted(set(courses)):
                conn.execute(
                    "INSERT INTO members (user_id, course) VALUES (?, ?)", (user_id, course)
                )
        user = self.get(name)
        assert user is not None
        return user

    def _user(self, row: Any) -> User:
        courses = self.db.rows("SELECT course FROM members WHERE user_id = ?", (row["id"],))
        return User(row["id"], row["name"], row["role"], frozenset(r[0] for r in courses))

    def get(self, name: str) -> User | None:
        row = self.db.one("SELECT id, name, role FROM users WHERE name = ?", (name,))
        return self._user(row) if row else None

    def by_id(self, user_id: int) -> User | None:
        row = self.db.one("SELECT id, name, role FROM users WHERE id = ?", (user_id,))
        return self._user(row) if row else None

    def list(self) -> list[User]:
        return [
            self._user(r) for r in self.db.rows("SELECT id, name, role FROM users ORDER BY name")
        ]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM users")
        return int(row[0]) if row else 0

    def set_courses(self, name: str, courses: Iterable[str]) -> User:
        user = self._require(name)
        with self.db.write() as conn:
            conn.execute("DELETE FROM members WHERE user_id = ?", (user.id,))
            for course in sorted(set(courses)):
                conn.execute(
                    "INSERT INTO members (user_id, course) VALUES (?, ?)", (user.id, course)
                )
        return self._require(name)

    def set_password(self, name: str, password: str) -> None:
        user = self._require(name)
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        with self.db.write() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ?, failures = 0, locked_until = 0 WHERE id = ?",
                (self._hasher.hash(password), user.id),
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def remove(self, name: str) -> None:
        """Delete the account; its chats, turns, sessions and memberships go with it."""
        user = self._require(name)
        with self.db.write() as conn:
            conn.execute("DELETE FROM users WHERE id = ?", (user.id,))

    def _require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AccountError(f"no user named {name!r}")
        return user

    # logins ------------------------------------------------------------------------------
    def _delay(self, failures: int) -> float:
        s = self.settings
        over = failures - s.login_failures_before_delay
        if over < 0:
            return 0.0
        return float(min(s.login_max_delay_s, s.login_delay_s * (2 ** min(over, 30))))

    def _dummy(self) -> str:
        """A hash to check unknown names against, so that they take as long as known ones."""
        with self._lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_hex(8))
            return self._dummy_hash

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is right, None when not; ``LoginThrottled`` while a
        delay after failed attempts runs (checked before the password, right or wrong)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        now = self.clock()
        dummy_hash = self._dummy()  # before the lookup: a first sign-in costs the same either way
        row = self.db.one(
            "SELECT id, password_hash, failures, locked_until FROM users WHERE name = ?", (name,)
        )
        if row is None:
            with self._lock:
                failures, until = self._unknown.get(name, (0, 0.0))
            if until > now:
                raise LoginThrottled(until - now)
            with contextlib.suppress(VerificationError, InvalidHashError):
                self._hasher.verify(dummy_hash, password)  # same cost as a real check
            failures += 1
            with self._lock:
                if len(self._unknown) > 10_000:
                    self._unknown.clear()
                self._unknown[name] = (failures, now + self._delay(failures))
            return None
        if row["locked_until"] > now:
            raise LoginThrottled(row["locked_until"] - now)
        try:
            self._hasher.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            failures = int(row["failures"]) + 1
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE users SET failures = ?, locked_until = ? WHERE id = ?",
                    (failures, now + self._delay(failures), row["id"]),
                )
            return None
        with self.db.write() as conn:
            conn.execute(
                "UPDATE users SET failures = 0, locked_until = 0 WHERE id = ?", (row["id"],)
            )
            if self._hasher.check_needs_rehash(row["password_hash"]):
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE id = ?",
                    (self._hasher.hash(password), row["id"]),
                )
        return self.by_id(row["id"])

    def start_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.write() as conn:
            conn.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            conn.execute(
                "INSERT INTO sessions (token_hash, user_id, created, expires) VALUES (?, ?, ?, ?)",
                (_token_hash(token), user.id, now, now + self.settings.session_hours * 3600),
            )
        return token

    def session_user(self, token: str | None) -> User | None:
        if not token:
            return None
        row = self.db.one(
            "SELECT user_id FROM sessions WHERE token_hash = ? AND expires > ?",
            (_token_hash(token), self.clock()),
        )
        return self.by_id(row["user_id"]) if row else None

    def end_session(self, token: str | None) -> None:
        if token:
            with self.db.write() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
