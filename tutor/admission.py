"""Admission control: how many answers are generated at once, and how many questions may wait.

A bounded, thread-safe semaphore with a count of waiters. ``acquire`` takes a free slot at once;
with none free it waits its turn (first come, first served) unless ``max_waiting`` questions are
already waiting, in which case it raises ``Busy`` immediately so the asker hears "try again"
instead of hanging. A waiter that gets no slot within ``wait_s`` gets ``Busy`` too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tutor.errors import Busy

if TYPE_CHECKING:
    from tutor.config import Settings

DEFAULT_WAIT_S = 120.0  # a waiter gives up after this long (a few answers' time on a CPU)
DEFAULT_RETRY_AFTER_S = 5


class Admission:
    def __init__(
        self,
        concurrency: int,
        max_waiting: int,
        *,
        wait_s: float = DEFAULT_WAIT_S,
        retry_after_s: int = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, not {concurrency}")
        if max_waiting < 0:
            raise ValueError(f"max_waiting must be 0 or more, not {max_waiting}")
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self._cond = threading.Condition()  # its waiters are woken in arrival order
        self._in_use = 0
        self._waiting = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Admission:
        return cls(settings.queue_concurrency, settings.queue_max_size)

    @property
    def in_use(self) -> int:
        """Slots held now (answers being generated)."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Questions waiting for a slot now."""
        return self._waiting

    def _busy(self) -> Busy:
        return Busy(retry_after_s=self.retry_after_s)

    def acquire(self, timeout: float | None = None) -> None:
        """Take a slot, waiting up to ``timeout`` seconds (default ``wait_s``); raises ``Busy``
        at once when ``max_waiting`` questions already wait, or when the wait runs out."""
        limit = self.wait_s if timeout is None else timeout
        with self._cond:
            # A newcomer never overtakes a waiter: it takes a free slot only when nobody waits.
            if self._waiting == 0 and self._in_use < self.concurrency:
                self._in_use += 1
                return
            if self._waiting >= self.max_waiting:
                raise self._busy()
            self._waiting += 1
            try:
                admitted = self._cond.wait_for(lambda: self._in_use < self.concurrency, limit)
            finally:
                self._waiting -= 1
            if not admitted:
                raise self._busy()
            self._in_use += 1

    def release(self) -> None:
        """Give a slot back (exactly once per successful ``acquire``)."""
        with self._cond:
            if self._in_use <= 0:
                raise RuntimeError("Admission.release() called more often than acquire()")
            self._in_use -= 1
            self._cond.notify()  # the longest waiter, if any, takes the slot

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[None]:
        """``acquire`` … ``release`` around a block."""
        self.acquire(timeout)
        try:
            yield
        finally:
            self.release()
