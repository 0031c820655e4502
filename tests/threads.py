"""Run the same work on several threads at once and collect what went wrong."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_threads(
    work: Callable[[int], None], count: int, timeout: float = 300
) -> list[BaseException]:
    """Start ``work(0) .. work(count - 1)`` together; the exceptions they raised, if any."""
    failures: list[BaseException] = []
    start = threading.Barrier(count)

    def guarded(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if any(thread.is_alive() for thread in threads):
        failures.append(TimeoutError(f"a thread was still running after {timeout} s"))
    return failures
