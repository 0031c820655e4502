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


# How learners, children above all, type the words a crisis rule waits for: misspelt "suicide",
# apostrophes left out, a dropped final g. Matching reads them as written out (rules only; the
# classifier reads the message as sent).
_INFORMAL = {
    **dict.fromkeys(
        ("sucide", "suicde", "suiside", "suicid", "suacide", "suiscide", "siucide", "sucid"),
        "suicide",
    ),
    **dict.fromkeys(("sucidal", "suicdal", "suisidal", "suicidle", "siucidal"), "suicidal"),
    "im": "i'm",
    "ive": "i've",
    "dont": "don't",
    "cant": "can't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "thinkin": "thinking",
    "feelin": "feeling",
    "goin": "going",
    "tryin": "trying",
    "wantin": "wanting",
}
_INFORMAL_WORD = re.compile(r"\b(?:" + "|".join(sorted(_INFORMAL, key=len, reverse=True)) + r")\b")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def normalise(text: str) -> str:
    """Lower-cased, NFKC-folded, invisible characters removed, whitespace collapsed, informal
    spellings written out.

    Rules match on this form, so "Ｉｇｎｏｒｅ" and "ig\u200bnore" read as "ignore", and
    "im thinkin about sucide" as "i'm thinking about suicide".
    """
    folded = unicodedata.normalize("NFKC", strip_invisible(text)).translate(_QUOTES)
    lowered = _SPACES.sub(" ", folded.casefold()).strip()
    return _INFORMAL_WORD.sub(lambda match: _INFORMAL[match.group()], lowered)


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` (whitespace kept out), for sentence-level checks."""
    return [s for s in (part.strip() for part in _SENTENCE.split(text)) if s]
