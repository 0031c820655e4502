"""Text helpers shared by the checks: normalising for matching, and splitting into sentences."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidirectional control characters hide text from people but not from models.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_SPACES = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# scikit-learn's default token pattern: the words both TF-IDF readers (the classifier's and the
# profanity model's) count
WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def normalise(text: str) -> str:
    """Lower-cased, NFKC-folded, invisible characters removed, whitespace collapsed.

    Rules match on this form, so "Ｉｇｎｏｒｅ" and "ig\u200bnore" read as "ignore".
    """
    folded = unicodedata.normalize("NFKC", strip_invisible(text)).translate(_QUOTES)
    return _SPACES.sub(" ", folded.casefold()).strip()


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` (whitespace kept out), for sentence-level checks."""
    return [s for s in (part.strip() for part in _SENTENCE.split(text)) if s]
