"""The project's automatic pedagogy judge: transparent rules over the words of a tutor turn.

It labels a tutor's reply to a learner's (usually mistaken) turn on the MRBench dimensions, so
that it can be checked against human labels (``tutor eval pedagogy``) and then used on the
tutor's own turns. Rules, not a model: deterministic, offline, explainable, and cheap enough to
run on every turn. Cue lists were chosen on the MRBench *dev* items only.

- Mistake_Identification: the reply signals that something is wrong (a correction cue), or
  only praises (No).
- Mistake_Location: a correction cue *and* a specific reference (a number, or a content word
  the learner used).
- Providing_Guidance: a hint or explanation cue, or a question about the learner's work.
- Actionability: the reply asks the learner a question (Yes) or tells them what to do (To
  some extent).
- Revealing_of_the_Answer: the final answer's number appears in the reply and nowhere in the
  problem or the dialogue so far (``eval.metrics.reveals_answer``).
- Tutor_Tone: encouraging words, insulting words, otherwise neutral.
Coherence and humanlikeness have no rule and are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from eval.metrics import asks_question, content_words, numbers_in, reveals_answer

JUDGED_DIMENSIONS = (
    "Mistake_Identification",
    "Mistake_Location",
    "Revealing_of_the_Answer",
    "Providing_Guidance",
    "Actionability",
    "Tutor_Tone",
)
NOT_JUDGED = {
    "Coherence": "no automatic rule for coherence with the dialogue",
    "humanlikeness": "no automatic rule for human-likeness",
}
YES, SOME, NO = "Yes", "To some extent", "No"
REVEAL_YES = "Yes (and the answer is correct)"

_CORRECTION = re.compile(
    r"\b(not quite|not correct|incorrect|isn'?t (?:quite )?(?:right|correct)|not right|mistake|"
    r"error|wrong|oops|almost|close,|careful|double[- ]check|re-?check|check (?:your|that|again|"
    r"the)|take another look|look again|look at|revisit|reconsider|actually|however|but |missed|"
    r"forgot|forgotten|overlook|instead|should be|shouldn'?t|need to|not the|rather than|"
    r"let'?s (?:go back|re|take|look|think|try|check)|are you sure|hmm|not what|misread|"
    r"misunderstood|confus)",
    re.IGNORECASE,
)
_PRAISE_ONLY = re.compile(
    r"^\W*(great|good|nice|excellent|perfect|well done|correct|that'?s (?:right|correct)|"
    r"exactly|awesome|fantastic|brilliant)\b",
    re.IGNORECASE,
)
_GUIDANCE = re.compile(
    r"\b(try|think about|remember|recall|consider|notice|let'?s|what (?:is|would|do|does|if|"
    r"happens)|how (?:many|much|did|would|do|can|could)|why|hint|means|because|so that|first|"
    r"next|step|instead|should|need to|compare|what about|can you|could you|how about)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(can you|could you|would you|try|let'?s|calculate|work out|figure out|check|"
    r"recalculate|re-?read|go back|tell me|show me|explain|think about|what is|what'?s|how many|"
    r"how much|find|write)\b",
    re.IGNORECASE,
)
_ENCOURAGING = re.compile(
    r"\b(great|good (?:job|try|start|effort|thinking|work|attempt)|nice|well done|excellent|"
    r"you'?re (?:on the right track|close|almost)|keep (?:going|it up)|don'?t worry|awesome|"
    r"fantastic|brilliant|nice try|good)\b",
    re.IGNORECASE,
)
_OFFENSIVE = re.compile(r"\b(stupid|idiot|dumb|lazy|pathetic|useless|shut up)\b", re.IGNORECASE)


def _refers_to_work(reply: str, turns: Sequence[tuple[str, str]]) -> bool:
    """The reply is specific: it writes a number, or a content word of 4+ letters that the
    learner used."""
    if numbers_in(reply):
        return True
    learner = " ".join(text for role, text in turns if role == "learner")
    words = {w for w in content_words(learner) if len(w) >= 4 and not w.isdigit()}
    return any(w in words for w in content_words(reply))


def judge(
    reply: str,
    turns: Sequence[tuple[str, str]],
    final_answer: str | None = None,
    problem: str = "",
) -> dict[str, str]:
    """Labels for the judged dimensions (the MRBench label values)."""
    corrects = bool(_CORRECTION.search(reply))
    praise_only = bool(_PRAISE_ONLY.search(reply)) and not corrects
    question = asks_question(reply)
    refers = _refers_to_work(reply, turns)

    if corrects:
        identification = YES
    elif praise_only:
        identification = NO
    elif question and refers:
        identification = SOME
    else:
        identification = NO

    if corrects and refers:
        location = YES
    elif corrects or (question and refers):
        location = SOME
    else:
        location = NO

    guides = bool(_GUIDANCE.search(reply))
    if guides and (question or refers):
        guidance = YES
    elif guides or question:
        guidance = SOME
    else:
        guidance = NO

    if question:
        action = YES
    elif _ACTION.search(reply):
        action = SOME
    else:
        action = NO

    context = [problem, *(text for _, text in turns)]
    revealed = reveals_answer(reply, final_answer, context)

    if _OFFENSIVE.search(reply):
        tone = "Offensive"
    elif _ENCOURAGING.search(reply):
        tone = "Encouraging"
    else:
        tone = "Neutral"
    return {
        "Mistake_Identification": identification,
        "Mistake_Location": location,
        "Revealing_of_the_Answer": REVEAL_YES if revealed else NO,
        "Providing_Guidance": guidance,
        "Actionability": action,
        "Tutor_Tone": tone,
    }


def lenient(dimension: str, label: str) -> str:
    """The two-class view used by the BEA 2025 shared task's lenient track: Yes and To some
    extent together against No (for revealing: any Yes against No; tone: Encouraging vs not)."""
    if dimension == "Revealing_of_the_Answer":
        return "Yes" if label.startswith("Yes") else "No"
    if dimension == "Tutor_Tone":
        return "Encouraging" if label == "Encouraging" else "Not encouraging"
    return "No" if label == NO else "Yes"
