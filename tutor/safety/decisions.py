"""What a safety check decides: categories, actions, layers and the ``Decision`` record.

Every check returns ``Decision`` objects; the pipeline stores them in ``Answer.safety`` (as
dicts), so a teacher can see which rule or model acted, on which layer, and how sure it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Layer = Literal["input", "retrieved", "output"]
LAYERS: tuple[Layer, ...] = ("input", "retrieved", "output")

# Category -> (action on a learner's message, severity). Names are the tutor's own.
CATEGORIES: dict[str, tuple[str, str]] = {
    "self_harm": ("helpline", "high"),  # self-harm, suicide, eating disorders, abuse disclosure
    "sexual": ("refuse", "high"),  # sexual content, grooming, anything sexual about minors
    "violence": ("refuse", "high"),  # violence, weapons, dangerous activities and substances
    "crime": ("refuse", "medium"),  # hacking, fraud, scams, theft, drugs, stalking
    "hate": ("refuse", "medium"),  # hate speech, harassment, bullying
    "misinformation": ("refuse", "medium"),  # writing disinformation or propaganda
    "copyright": ("refuse", "low"),  # reproducing lyrics, book chapters and the like
    "cheating": ("guide", "low"),  # "do my homework": switch to guiding mode, never refuse
    "prompt_attack": ("refuse", "medium"),  # jailbreaks, "ignore your instructions"
    "specialised_advice": ("advise", "low"),  # medical, legal, financial: general info + pointer
    "personal_data": ("redact", "medium"),  # emails, phones, addresses, ID and card numbers
    "profanity": ("flag", "low"),  # rude words: noted for the teacher, the question is answered
    "length": ("truncate", "low"),  # over-long message cut to the configured maximum
    "filter_error": ("fail_closed", "high"),  # a check failed or timed out: not answered
}

# The strongest action wins when several checks fire on one message.
ACTION_ORDER: tuple[str, ...] = (
    "fail_closed",
    "helpline",
    "refuse",
    "replace",
    "advise",
    "guide",
    "redact",
    "sanitise",
    "truncate",
    "flag",
    "allow",
)
SEVERITY_ORDER: tuple[str, ...] = ("high", "medium", "low")
BLOCKING_ACTIONS = frozenset({"fail_closed", "helpline", "refuse", "replace"})


def action_for(category: str, layer: Layer) -> str:
    """The action a category calls for on a layer (retrieved text is cleaned, output replaced)."""
    action, _ = CATEGORIES[category]
    if layer == "retrieved" and action not in {"redact", "flag"}:
        return "sanitise"
    if layer == "output" and action not in {"redact", "flag"}:
        return "replace"
    return action


def severity_of(category: str) -> str:
    return CATEGORIES[category][1]


@dataclass(frozen=True)
class Decision:
    """One finding of one check."""

    category: str
    layer: Layer
    action: str
    score: float  # the rule's fixed confidence or the model's probability, 0..1
    source: str  # "rule:<name>", "model:<name>" or "filter"
    severity: str
    detail: str = ""  # short, never the personal data itself

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "layer": self.layer,
            "action": self.action,
            "score": round(float(self.score), 4),
            "source": self.source,
            "severity": self.severity,
            "detail": self.detail,
        }

    @classmethod
    def make(
        cls, category: str, layer: Layer, score: float, source: str, detail: str = ""
    ) -> Decision:
        """A decision with the action and severity the category table gives."""
        return cls(
            category=category,
            layer=layer,
            action=action_for(category, layer),
            score=score,
            source=source,
            severity=severity_of(category),
            detail=detail,
        )


def strongest(decisions: list[Decision] | tuple[Decision, ...]) -> str:
    """The action that governs a set of decisions ("allow" when there are none)."""
    best = len(ACTION_ORDER) - 1
    for decision in decisions:
        if decision.action in ACTION_ORDER:
            best = min(best, ACTION_ORDER.index(decision.action))
    return ACTION_ORDER[best]


@dataclass(frozen=True)
class Screening:
    """The result of checking one text on one layer.

    ``text`` is what may go on: redacted, sanitised or truncated. ``decisions`` is empty when
    nothing was found.
    """

    text: str
    decisions: tuple[Decision, ...] = field(default_factory=tuple)

    @property
    def action(self) -> str:
        return strongest(self.decisions)

    @property
    def blocked(self) -> bool:
        return self.action in BLOCKING_ACTIONS

    def governing(self) -> Decision | None:
        """The decision behind ``action`` (highest score among equals)."""
        chosen = [d for d in self.decisions if d.action == self.action]
        return max(chosen, key=lambda d: d.score) if chosen else None
