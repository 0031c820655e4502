"""The real ``SafetyFilter``: rules, personal-data redaction, profanity and the semantic
classifier on the learner's message; the sanitiser on retrieved text; the answer checks on
the tutor's output (answer rules and the classifier at its answer threshold). All on CPU,
offline."""

from __future__ import annotations

from pathlib import Path

from tutor.protocols import Embedder
from tutor.safety.answers import check_answer
from tutor.safety.base import CheckContext
from tutor.safety.classifier import SELF_HARM, WEIGHTS, SafetyClassifier, crisis_signal
from tutor.safety.contexts import GAME, safe_contexts
from tutor.safety.decisions import BLOCKING_ACTIONS, Decision, Layer, Screening
from tutor.safety.documents import sanitise
from tutor.safety.pii import DEFAULT_PHONE_REGIONS, PiiRedactor
from tutor.safety.profanity import ProfanityScorer
from tutor.safety.rules import match_rules
from tutor.safety.text import normalise

PROFANITY_FLAG = 0.80  # a learner's rude message is noted (and still answered)
PROFANITY_REPLACE = 0.90  # the tutor itself never swears


# Rules a named game sets aside: "how do I kill someone in Fortnite", "how do I steal a car in
# GTA" are moves in a game, not a learner's plan. Hacking, drugs or stalking rules stand.
GAME_RULES = frozenset({"rule:violence_en", "rule:theft_en"})


def input_rules(text: str, normalised: str | None = None) -> list[Decision]:
    """The phrase rules on a learner's message, a game's violence and theft set aside."""
    normalised = normalise(text) if normalised is None else normalised
    decisions = match_rules(text, "input", normalised=normalised)
    if any(d.source in GAME_RULES for d in decisions) and GAME in safe_contexts(normalised):
        note = Decision(
            "none", "input", "allow", 0.0, "rule:safe_context", "low", "set aside: game"
        )
        decisions = [d for d in decisions if d.source not in GAME_RULES] + [note]
    return decisions


def crisis_behind_refusal(
    decisions: list[Decision], probs: dict[str, float] | None, normalised: str
) -> Decision | None:
    """The help reply for a message refused for some harm that also reads as the learner's
    own crisis (``classifier.crisis_signal``), or None: a refusal alone never answers a
    learner in crisis. Nothing that would be answered is touched."""
    if any(d.action == "helpline" for d in decisions):
        return None
    refused = [d for d in decisions if d.action == "refuse"]
    if not refused:
        return None
    reason = crisis_signal(normalised)
    if reason is None:
        return None
    score = probs.get(SELF_HARM, 0.0) if probs is not None else max(d.score for d in refused)
    detail = f"help, not a refusal ({refused[0].category}): {reason}"
    return Decision.make("self_harm", "input", score, "policy:crisis_behind_refusal", detail)


class LayeredFilter:
    name = "layered"

    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        weights: Path = WEIGHTS,
        profanity: bool = True,
        phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS,
        cache_dir: Path | None = None,
    ) -> None:
        self.redactor = PiiRedactor(phone_regions)
        self.profanity = ProfanityScorer(cache_dir) if profanity else None
        self.classifier = SafetyClassifier(embedder, weights) if embedder is not None else None

    def warm_up(self) -> None:
        """Load the profanity model and the classifier weights (and so the embedder) now."""
        if self.profanity is not None:
            self.profanity.warm_up()
        if self.classifier is not None and self.classifier.active:
            self.classifier.probabilities("warm up")

    def check(self, text: str, *, layer: Layer, context: CheckContext | None = None) -> Screening:
        if layer == "input":
            return self._input(text)
        if layer == "retrieved":
            cleaned, decisions = sanitise(text, layer)
            redacted, pii = self.redactor.redact(cleaned, layer)
            return Screening(redacted, tuple(decisions + pii))
        if layer == "output":
            return self._output(text, context or CheckContext())
        raise ValueError(f"unknown safety layer {layer!r}")

    def _input(self, text: str) -> Screening:
        decisions = input_rules(text, normalise(text))
        redacted, pii = self.redactor.redact(text, "input")
        decisions += pii
        if self.profanity is not None:
            score = self.profanity.score(text)
            if score >= PROFANITY_FLAG:
                decisions.append(Decision.make("profanity", "input", score, self.profanity.source))
        # The classifier reads the redacted message: the same meaning, and the very text the
        # retriever embeds next (the embedder's query cache then serves it). It runs even when
        # a rule has refused, so that a crisis behind a refused phrasing still gets the help
        # reply; only a message the rules already answer with help skips it.
        helpline = any(d.action == "helpline" for d in decisions)
        probs: dict[str, float] | None = None
        if self.classifier is not None and not helpline:
            ruled = {d.category for d in decisions}
            blocked = any(d.action in BLOCKING_ACTIONS for d in decisions)
            found, probs = self.classifier.assess(redacted, "input")
            for d in found:
                if d.category in ruled:
                    continue
                if blocked and d.category not in {"self_harm", "none"}:
                    continue  # the rule's refusal stands; only the help reply may replace it
                decisions.append(d)
        help_instead = crisis_behind_refusal(decisions, probs, normalise(redacted))
        if help_instead is not None:
            decisions.append(help_instead)
        return Screening(redacted, tuple(decisions))

    def _output(self, text: str, context: CheckContext) -> Screening:
        decisions = check_answer(text, sources=context.sources, system_prompt=context.system_prompt)
        redacted, pii = self.redactor.redact(text, "output")
        decisions += pii
        if self.profanity is not None and text.strip():
            score = self.profanity.score(text)
            if score >= PROFANITY_REPLACE:
                decisions.append(
                    Decision("profanity", "output", "replace", score, self.profanity.source, "low")
                )
        blocked = any(d.action in BLOCKING_ACTIONS for d in decisions)
        if self.classifier is not None and self.classifier.active and text.strip() and not blocked:
            decisions += self.classifier.decide(text, "output")
        return Screening(redacted, tuple(decisions))
