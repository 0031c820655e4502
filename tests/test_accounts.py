"""Accounts: argon2 hashes, names and roles, sessions, the growing delay after failed logins,
per-learner rate limits; plus helpers the access and server tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tutor.accounts.access import User
from tutor.accounts.limits import IN_FLIGHT_RETRY_S, RateLimited, RateLimiter
from tutor.accounts.settings import AccountSettings
from tutor.accounts.users import AccountError, Accounts, LoginThrottled
from tutor.config import Settings, load_settings
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore

PASSWORD = "correct horse battery"


def add_user(backend: Any, name: str, role: str, *courses: str) -> str:
    """Add a user to a ``Backend``; returns their password."""
    password = f"{name}-{PASSWORD}"
    backend.accounts.add(name, role, password, courses)
    return password


def login(client: Any, name: str, password: str) -> Any:
    """Sign ``client`` (TestClient or httpx.Client) in; its cookie jar keeps the session."""
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return response


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "tutor.db")


def test_passwords_are_argon2_hashes_and_verify(db: Database) -> None:
    accounts = Accounts(db)
    user = accounts.add("ann", "learner", PASSWORD, ["chem", "chem", "bio"])
    assert user == User(user.id, "ann", "learner", frozenset({"chem", "bio"}))
    stored = db.one("SELECT password_hash FROM users WHERE name = 'ann'")
    assert stored is not None and stored[0].startswith("$argon2id$")
    assert PASSWORD not in stored[0]
    assert accounts.authenticate("ann", PASSWORD) == user
    assert accounts.authenticate("ann", "wrong password") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


def test_unknown_names_are_checked_against_one_dummy_hash_made_at_the_first_sign_in(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from argon2 import PasswordHasher

    hashed: list[str] = []
    checked: list[str] = []
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self: PasswordHasher, password: str | bytes, **kwargs: Any) -> str:
        out = real_hash(self, password, **kwargs)
        hashed.append(out)
        return out

    def recording_verify(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        checked.append(str(stored))
        return real_verify(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
    accounts = Accounts(db)
    assert hashed == []  # a server start pays no argon2 hash (0.2 s)
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("someone", PASSWORD) is None
    assert len(hashed) == 1 and checked == [hashed[0], hashed[0]]


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bad name", "learner", PASSWORD, "user name"),
        ("ann", "boss", PASSWORD, "role"),
        ("ann", "learner", "short", "at least"),
    ],
)
def test_bad_accounts_are_refused(
    db: Database, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        Accounts(db).add(name, role, password)


def test_duplicate_names_are_refused(db: Database) -> None:
    accounts = Accounts(db)
    accounts.add("ann", "learner", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.add("ann", "teacher", PASSWORD)


def test_failed_logins_bring_a_growing_delay(db: Database) -> None:
    clock = Clock()
    settings = AccountSettings(
        login_failures_before_delay=2, login_delay_s=10, login_max_delay_s=60
    )
    accounts = Accounts(db, settings, clock=clock)
    accounts.add("ann", "learner", PASSWORD)
    assert accounts.authenticate("ann", "nope-1") is None
    assert accounts.authenticate("ann", "nope-2") is None  # the second failure starts a delay
    with pytest.raises(LoginThrottled) as first:
        accounts.authenticate("ann", PASSWORD)  # even the right password waits
    assert first.value.wait_s == pytest.approx(10)
    clock.now += 11
    assert accounts.authenticate("ann", "nope-3") is None
    with pytest.raises(LoginThrottled) as second:
        accounts.authenticate("ann", PASSWORD)
    assert second.value.wait_s == pytest.approx(20)  # doubled
    clock.now += 10_000
    assert accounts.authenticate("ann", PASSWORD) is not None  # success resets the count
    assert accounts.authenticate("ann", "nope") is None
    assert accounts.authenticate("ann", PASSWORD) is not None
    # Unknown names are throttled too (no way to tell them apart by behaviour).
    for _ in range(2):
        assert accounts.authenticate("ghost", "x") is None
    with pytest.raises(LoginThrottled):
        accounts.authenticate("ghost", "x")


def test_sessions_expire_and_end(db: Database) -> None:
    clock = Clock()
    accounts = Accounts(db, AccountSettings(session_hours=1), clock=clock)
    user = accounts.add("ann", "learner", PASSWORD)
    token = accounts.start_session(user)
    assert accounts.session_user(token) == user
    raw = db.one("SELECT COUNT(*) FROM sessions WHERE token_hash = ?", (token,))
    assert raw is not None and raw[0] == 0  # only a hash of the token is stored
    clock.now += 3601
    assert accounts.session_user(token) is None
    token = accounts.start_session(user)
    accounts.end_session(token)
    assert accounts.session_user(token) is None
    token = accounts.start_session(user)
    accounts.set_password("ann", "a new password")  # ends every session
    assert accounts.session_user(token) is None


def test_rate_limits_per_minute_and_day(db: Database) -> None:
    from tests.test_transcripts import record_turn

    clock = Clock()
    store = SQLiteTranscriptStore(db, clock=clock)
    accounts = Accounts(db)
    ann = accounts.add("ann", "learner", PASSWORD, ["chem"])
    bob = accounts.add("bob", "learner", PASSWORD, ["chem"])
    limiter = RateLimiter(
        store, AccountSettings(messages_per_minute=2, messages_per_day=3), clock=clock
    )
    for _ in range(2):
        with limiter.reserve(ann):
            record_turn(store, ann, "chem", "q", time=clock.now)
    clock.now += 15
    with (
        pytest.raises(RateLimited, match="2 questions in a minute") as minute,
        limiter.reserve(ann),
    ):
        pass
    assert minute.value.retry_after_s == 45  # the first question leaves the minute then
    with limiter.reserve(bob):  # per learner
        pass
    clock.now += 46
    with limiter.reserve(ann):
        record_turn(store, ann, "chem", "q", time=clock.now)
    clock.now += 61
    with pytest.raises(RateLimited, match="3 questions in a day") as day, limiter.reserve(ann):
        pass
    assert day.value.retry_after_s == 86_400 - (15 + 46 + 61)  # the day's first question ages out
    clock.now += 86_400
    # Questions still being answered count too.
    with (
        limiter.reserve(ann),
        pytest.raises(RateLimited) as in_flight,
        limiter.reserve(ann),
        limiter.reserve(ann),
    ):
        pass
    assert in_flight.value.retry_after_s == IN_FLIGHT_RETRY_S  # no recorded turn to age out


def test_account_settings_come_from_toml_and_environment(tmp_path: Path) -> None:
    toml = tmp_path / "tutor.toml"
    toml.write_text("[tutor.accounts]\nmessages_per_minute = 3\nsynchronous = 'EXTRA'\n")
    settings = load_settings(toml, environ={"TUTOR_ACCOUNTS__MESSAGES_PER_DAY": "50"})
    assert settings.accounts.messages_per_minute == 3
    assert settings.accounts.messages_per_day == 50
    assert settings.accounts.synchronous == "EXTRA"
    assert Settings().accounts.synchronous == "FULL"
