"""Admission control: slots, a bounded waiting line, "busy" at once when it is full."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from tutor.admission import Admission
from tutor.config import Settings
from tutor.errors import Busy, TutorError


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` (a deadline against hangs, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never became true")
        time.sleep(0.005)


class Waiter:
    """``admission.acquire()`` in a thread; remembers whether it got a slot or ``Busy``."""

    def __init__(
        self, admission: Admission, timeout: float | None = None, order: list[Waiter] | None = None
    ) -> None:
        self.admission = admission
        self.order = order if order is not None else []  # appended to when admitted
        self.admitted = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, args=(timeout,), daemon=True)

    def run(self, timeout: float | None) -> None:
        try:
            self.admission.acquire(timeout)
        except BaseException as exc:
            self.error = exc
        else:
            self.order.append(self)
            self.admitted.set()

    def start(self) -> Waiter:
        before = self.admission.waiting
        self.thread.start()
        wait_until(lambda: self.admission.waiting > before or not self.thread.is_alive())
        return self

    def join(self) -> None:
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


def test_free_slots_are_taken_at_once() -> None:
    admission = Admission(2, 0)
    admission.acquire()
    admission.acquire()
    assert (admission.in_use, admission.waiting) == (2, 0)
    admission.release()
    admission.release()
    assert admission.in_use == 0


def test_no_waiting_room_means_busy_at_once() -> None:
    admission = Admission(1, 0, retry_after_s=7)
    admission.acquire()
    with pytest.raises(Busy) as caught:
        admission.acquire(timeout=60)
    assert isinstance(caught.value, TutorError)
    assert caught.value.retry_after_s == 7
    assert "busy" in str(caught.value) and "try again" in str(caught.value)
    assert (admission.in_use, admission.waiting) == (1, 0)


def test_a_waiter_gets_the_slot_when_it_is_released() -> None:
    admission = Admission(1, 1)
    admission.acquire()
    waiter = Waiter(admission).start()
    assert admission.waiting == 1 and not waiter.admitted.is_set()
    admission.release()
    waiter.join()
    assert waiter.admitted.is_set() and waiter.error is None
    assert (admission.in_use, admission.waiting) == (1, 0)


def test_a_full_waiting_line_turns_newcomers_away_at_once() -> None:
    admission = Admission(1, 1)
    admission.acquire()
    waiter = Waiter(admission).start()
    with pytest.raises(Busy):
        admission.acquire(timeout=60)  # would wait a minute if it queued
    assert admission.waiting == 1
    admission.release()
    waiter.join()
    assert waiter.admitted.is_set()


def test_a_wait_that_runs_out_is_busy_and_leaves_the_line() -> None:
    admission = Admission(1, 3)
    admission.acquire()
    with pytest.raises(Busy):
        admission.acquire(timeout=0.01)
    assert (admission.in_use, admission.waiting) == (1, 0)
    admission.release()
    admission.acquire(timeout=0)  # the slot is free again
    assert admission.in_use == 1


def test_waiters_are_served_in_arrival_order() -> None:
    admission = Admission(1, 5)
    admission.acquire()
    order: list[Waiter] = []
    waiters = [Waiter(admission, order=order).start() for _ in range(3)]  # one after the other
    for served in range(1, 4):
        admission.release()
        wait_until(lambda served=served: len(order) == served)  # type: ignore[misc]
    for waiter in waiters:
        waiter.join()
    assert order == waiters
    admission.release()
    assert admission.in_use == 0


def test_slot_is_given_back_when_the_block_fails() -> None:
    admission = Admission(1, 0)
    with pytest.raises(RuntimeError, match="boom"), admission.slot():
        assert admission.in_use == 1
        raise RuntimeError("boom")
    assert admission.in_use == 0
    with admission.slot():
        pass


def test_release_without_acquire_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        Admission(1, 0).release()


@pytest.mark.parametrize(("concurrency", "waiting"), [(0, 1), (1, -1)])
def test_bad_sizes_are_refused(concurrency: int, waiting: int) -> None:
    with pytest.raises(ValueError):
        Admission(concurrency, waiting)


def test_sizes_come_from_the_settings() -> None:
    admission = Admission.from_settings(Settings(queue_concurrency=3, queue_max_size=9))
    assert (admission.concurrency, admission.max_waiting) == (3, 9)
