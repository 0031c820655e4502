"""The ``SafetyFilter`` seam: one method, ``check``; the layered filter and a block list meet it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tutor.safety.decisions import Layer, Screening


@dataclass(frozen=True)
class CheckContext:
    """What an output check compares the answer with (trusted text of this request)."""

    sources: Sequence[str] = ()  # the sanitised source texts the model was given
    system_prompt: str = ""  # must never be repeated to the learner
    question: str = ""


@runtime_checkable
class SafetyFilter(Protocol):
    """Checks one text on one layer ("input", "retrieved" or "output").

    Must be safe to call from several threads at once. Raising is allowed: the pipeline fails
    closed (the learner gets a polite retry message and the event is logged).
    """

    @property
    def name(self) -> str: ...

    def check(
        self, text: str, *, layer: Layer, context: CheckContext | None = None
    ) -> Screening: ...
