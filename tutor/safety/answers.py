"""Checks on what the tutor is about to say: links the sources do not hold, external images,
requests for passwords or personal data, the system prompt repeated back, and abuse.

These catch an injection that got past the sanitiser and the prompt's "sources are data" rule:
whatever the model was told, the learner never sees a foreign link or a request for a password.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutor.safety.decisions import Decision, Layer
from tutor.safety.rules import match_rules
from tutor.safety.text import normalise

_URL = re.compile(
    r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>()\"']+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|ru|cn|xyz|info|biz|co|me|ly|top|click|link|site"
    r"|online|app|tk|gov|edu|uk|de|fr)\b(?:/[^\s<>()\"']*)?"
)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_WORDS = re.compile(r"\w+")
LEAK_NGRAM = 8  # this many consecutive words of the system prompt in an answer is a leak


def _host(url: str) -> str:
    bare = re.sub(r"(?i)^(?:https?://|ftp://)", "", url).split("/")[0].lower()
    return bare.removeprefix("www.").rstrip(".,;:!?")


def foreign_links(answer: str, sources: Sequence[str]) -> list[str]:
    """Hosts linked in ``answer`` that no source mentions."""
    known = {_host(m.group(0)) for text in sources for m in _URL.finditer(text)}
    return sorted({_host(m.group(0)) for m in _URL.finditer(answer)} - known)


def leaks_prompt(answer: str, system_prompt: str, n: int = LEAK_NGRAM) -> bool:
    if not system_prompt:
        return False
    prompt_words = _WORDS.findall(system_prompt.lower())
    grams = {tuple(prompt_words[i : i + n]) for i in range(len(prompt_words) - n + 1)}
    words = _WORDS.findall(answer.lower())
    return any(tuple(words[i : i + n]) in grams for i in range(len(words) - n + 1))


def check_answer(
    text: str, *, sources: Sequence[str], system_prompt: str, layer: Layer = "output"
) -> list[Decision]:
    """Decisions that make an answer (or a sentence of it) unfit to show."""
    found: list[Decision] = []
    if _IMAGE.search(text):
        found.append(
            Decision.make("prompt_attack", layer, 0.95, "rule:external_image", "markdown image")
        )
    hosts = foreign_links(text, sources)
    if hosts:
        found.append(
            Decision.make("prompt_attack", layer, 0.9, "rule:foreign_link", f"{len(hosts)} link(s)")
        )
    if leaks_prompt(text, system_prompt):
        found.append(
            Decision.make("prompt_attack", layer, 0.9, "rule:system_prompt_leak", "prompt echoed")
        )
    found.extend(match_rules(text, layer, normalised=normalise(text)))
    return found
