"""Word tokens for lexical (BM25) ranking, suited to space-less scripts too.

Latin, Cyrillic, Arabic and Devanagari text splits into lower-cased words; runs of CJK
characters, which have no spaces, become overlapping character bigrams (plus single characters
for one-character runs), the usual choice for lexical search over Chinese and Japanese.
"""

from __future__ import annotations

import re
import unicodedata

# \w misses combining marks (Devanagari vowel signs, Arabic harakat, accents): add their blocks.
_WORD = re.compile(r"[\w\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0900-\u0dff\u0e00-\u0e7f]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Common English function words; they carry no topic and only slow BM25 down.
STOPWORDS = frozenset(
    """a an and are as at be but by for from has have how i if in into is it its of on or so
    that the their then there these this to was were what when where which who why will with
    you your do does did can""".split()
)


def lexical_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if _CJK.search(word):
            tokens.extend(_split_cjk(word))
        elif word not in STOPWORDS:
            tokens.append(word)
    return tokens


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for match in _CJK.finditer(word):
        if match.start() > pos:
            out.append(word[pos : match.start()])
        run = match.group()
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        pos = match.end()
    if pos < len(word):
        out.append(word[pos:])
    return out
