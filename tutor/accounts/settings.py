"""Settings of accounts, rate limits, login throttling and transcript retention.

They are the ``[tutor.accounts]`` table of ``tutor.toml`` (``TUTOR_ACCOUNTS__*`` in the
environment) and reach the code as ``Settings.accounts``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSettings:
    database: str = "tutor.db"  # file name under TUTOR_HOME (or an absolute path)
    synchronous: str = "FULL"  # SQLite synchronous mode; FULL: an acknowledged turn is on disk
    messages_per_minute: int = 6  # per learner; 0 switches the limit off
    messages_per_day: int = 200  # per learner; 0 switches the limit off
    login_failures_before_delay: int = 3  # failed logins allowed before a delay starts
    login_delay_s: float = 2.0  # first delay; doubles with each further failure
    login_max_delay_s: float = 900.0  # the delay never grows beyond this (15 minutes)
    session_hours: float = 12.0  # a login lasts this long
    retention_days: int = 365  # `tutor transcripts purge` default
    secure_cookies: bool = False  # set the Secure flag (behind HTTPS)
