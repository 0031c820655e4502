"""Is the learner's answer the passage's answer? Lenient where spelling does not matter.

Both sides are normalised (case, accents, punctuation, articles, number words and number
formats, simple plurals); then the answer is right when the words match, when the learner only
added filler words ("it is the acid"), when it is a near spelling of a word answer (a typo), or
when an optional similarity (an embedding cosine) says it means the same. Numbers must match
exactly: "70" is never "17".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from tutor.learning.questions import STOPWORDS

FUZZY_RATIO = 0.85  # difflib ratio of the normalised strings for a typo to pass
SIMILARITY = 0.9  # cosine similarity for a paraphrase to pass
ARTICLES = frozenset("a an the le la les l un une des el los las lo una unos unas".split())
_NUMBERS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_NUMBERS.update(
    {
        "thirty": "30",
        "forty": "40",
        "fifty": "50",
        "sixty": "60",
        "seventy": "70",
        "eighty": "80",
        "ninety": "90",
        "hundred": "100",
        "thousand": "1000",
        "million": "1000000",
        "twice": "2",
        "tenfold": "10",
        "hundredfold": "100",
    }
)
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}\b)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_NOT_WORD = re.compile(r"[^\w.]+|(?<!\d)\.|\.(?!\d)")

Similarity = Callable[[str, str], float]


_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d"})


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _same_word(a: str, b: str) -> bool:
    """Equal, or one the simple plural of the other (s, es, y/ies)."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) < 3 or short[:1].isdigit():
        return False
    if long in (short + "s", short + "es"):
        return True
    return short.endswith("y") and long == short[:-1] + "ies"


def same_words(mine: list[str], theirs: list[str]) -> bool:
    return len(mine) == len(theirs) and all(map(_same_word, mine, theirs))


def _number(token: str) -> str:
    """One spelling per number: "007" -> "7", "3.50" -> "3.5", "7.0" -> "7"."""
    if not _NUMBER.match(token):
        return token
    if "." in token:
        whole, fraction = token.split(".", 1)
        fraction = fraction.rstrip("0")
        whole = whole.lstrip("0") or "0"
        return f"{whole}.{fraction}" if fraction else whole
    return token.lstrip("0") or "0"


def normalise(text: str) -> list[str]:
    """The words of an answer in the form compared: lower case, no accents or punctuation,
    no articles, numbers as digits ("seven", "7.0" -> "7")."""
    text = _strip_accents(unicodedata.normalize("NFKC", text or "")).casefold()
    text = _THOUSANDS.sub("", text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _DIGIT_LETTER.sub(" ", text)
    words = [w for w in _NOT_WORD.sub(" ", text).replace("_", " ").split() if w]
    out: list[str] = []
    for word in words:
        if word in ARTICLES:
            continue
        word = _NUMBERS.get(word, word)
        out.append(_number(word))
    return out


@dataclass(frozen=True)
class Verdict:
    correct: bool
    how: str  # "exact", "extra_words", "spelling", "similar" or "wrong"
    score: float = 0.0


def check_answer(given: str, expected: str, similarity: Similarity | None = None) -> Verdict:
    """Compare the learner's answer ``given`` with the passage's ``expected`` answer."""
    mine, theirs = normalise(given), normalise(expected)
    if not mine:
        return Verdict(False, "wrong")
    if same_words(mine, theirs):
        return Verdict(True, "exact", 1.0)
    content = [w for w in mine if w not in STOPWORDS]
    wanted = [w for w in theirs if w not in STOPWORDS] or theirs
    if same_words(content, wanted):
        return Verdict(True, "extra_words", 1.0)
    has_number = any(w[:1].isdigit() for w in theirs)
    if has_number:
        return Verdict(False, "wrong")
    a, b = " ".join(content or mine), " ".join(wanted)
    ratio = SequenceMatcher(None, a, b).ratio()
    if len(b) >= 4 and ratio >= FUZZY_RATIO:
        return Verdict(True, "spelling", round(ratio, 3))
    if similarity is not None:
        score = float(similarity(" ".join(mine), " ".join(theirs)))
        if score >= SIMILARITY:
            return Verdict(True, "similar", round(score, 3))
    return Verdict(False, "wrong", round(ratio, 3))


def embedding_similarity(embedder: Any) -> Similarity:
    """The cosine similarity of two answers under ``embedder`` (unit-length vectors)."""

    def similarity(a: str, b: str) -> float:
        vectors = embedder.embed([a, b], query=True)
        return float(vectors[0] @ vectors[1])

    return similarity


__all__ = ["Verdict", "check_answer", "embedding_similarity", "normalise", "same_words"]
