"""A deterministic fake ``SafetyFilter``: a phrase list, for tests and demos of the flow."""

from __future__ import annotations

from collections.abc import Mapping

from tutor.safety.base import CheckContext
from tutor.safety.decisions import Decision, Layer, Screening
from tutor.safety.documents import REMOVED
from tutor.safety.text import normalise, sentences

DEFAULT_BLOCKLIST: dict[str, str] = {
    "kill myself": "self_harm",
    "hurt myself": "self_harm",
    "make a bomb": "violence",
    "hack into": "crime",
    "do my homework": "cheating",
    "should i take": "specialised_advice",
    "ignore previous instructions": "prompt_attack",
    "ignore all previous instructions": "prompt_attack",
    "your password": "prompt_attack",
    "http://": "prompt_attack",
    "https://": "prompt_attack",
}


class BlockListFilter:
    """Each listed phrase (case-insensitive substring) gives its category's decision.

    On retrieved text the sentences holding a phrase are removed; elsewhere the text is kept
    and the decision's action (refuse, helpline, guide...) tells the pipeline what to do.
    """

    name = "blocklist"

    def __init__(self, blocked: Mapping[str, str] | None = None) -> None:
        self.blocked = {normalise(k): v for k, v in (blocked or DEFAULT_BLOCKLIST).items()}

    def _hits(self, text: str) -> list[tuple[str, str]]:
        folded = normalise(text)
        return [(phrase, cat) for phrase, cat in self.blocked.items() if phrase in folded]

    def check(self, text: str, *, layer: Layer, context: CheckContext | None = None) -> Screening:
        hits = self._hits(text)
        decisions = tuple(
            Decision.make(category, layer, 1.0, f"blocklist:{phrase}") for phrase, category in hits
        )
        if layer == "retrieved" and hits:
            kept = [s if not self._hits(s) else REMOVED for s in sentences(text)]
            return Screening(" ".join(kept), decisions)
        return Screening(text, decisions)
