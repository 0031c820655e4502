"""Per-learner message limits (per minute and per day), counted from the recorded turns
plus the questions still being answered, so a restart does not reset them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tutor.accounts.access import User
from tutor.accounts.settings import AccountSettings
from tutor.errors import TutorError
from tutor.transcripts.store import TranscriptStore

IN_FLIGHT_RETRY_S = 10  # the limit is full of questions still being answered: about one answer


class RateLimited(TutorError):
    """The learner sent too many messages; the message says how long to wait.

    ``retry_after_s``: seconds until the oldest counted message leaves its window (the HTTP API
    sends it as ``Retry-After``).
    """

    def __init__(self, message: str, retry_after_s: int = 60) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimiter:
    def __init__(
        self,
        store: TranscriptStore,
        settings: AccountSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[int, int] = {}

    @contextmanager
    def reserve(self, user: User) -> Iterator[None]:
        """Hold one message slot while the question is answered; raises ``RateLimited``."""
        s = self.settings
        with self._lock:
            now = self.clock()
            pending = self._in_flight.get(user.id, 0)
            for limit, window, what in (
                (s.messages_per_minute, 60, "a minute"),
                (s.messages_per_day, 86400, "a day"),
            ):
                if limit > 0 and self.store.count_since(user.id, now - window) + pending >= limit:
                    wait = "a minute" if window == 60 else "tomorrow"
                    oldest = self.store.oldest_since(user.id, now - window)
                    retry = IN_FLIGHT_RETRY_S if oldest is None else oldest + window - now
                    raise RateLimited(
                        f"you have reached the limit of {limit} questions in {what}; "
                        f"please try again {'in ' if window == 60 else ''}{wait}",
                        retry_after_s=max(1, math.ceil(retry)),
                    )
            self._in_flight[user.id] = pending + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._in_flight.get(user.id, 1) - 1
                if left:
                    self._in_flight[user.id] = left
                else:
                    self._in_flight.pop(user.id, None)
