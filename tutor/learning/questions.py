"""Practice questions made from a passage's own text, deterministically.

The tiny default language model cannot be trusted to write questions, so none is asked to. A
question hides a key term of one passage sentence, and the expected answer is always that term,
copied from the passage:

- a term the passage emphasises (``**bold**``), or the subject of a definition sentence
  ("An acid is a substance that ...": "Which term is described: a substance that ...?");
- a number ("Pure water at 25 °C has a pH of _____.");
- a named term (a capitalised word inside the sentence) or a word the passage repeats.

Candidates are scored (emphasis and definitions first, a term already visible in the passage's
heading last) and the questions are drawn from the passages in turn, best first, so that a round
covers several passages. Every question keeps the passage it came from, for its citation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from retrieval.lexical import STOPWORDS as LEXICAL_STOPWORDS
from tutor.types import Chunk

BLANK = "_____"
MIN_SENTENCE = 25
MAX_SENTENCE = 300
STOPWORDS = LEXICAL_STOPWORDS | frozenset(
    """about above after again against all also although always among another any anything
    around because been before being below between both called could during each either
    else enough even ever every example first following however just less like made make
    makes many may might more most much must near never next not nothing now often once one
    only other others our out over own same second several should since some something still
    such than them they those though through thus together too two under until upon used uses
    using usually very well whether while within without would yet we us he she his her him
    our ours they've it's let lets get gets got give gives given take takes here there's
    said say says see seen way ways thing things part parts kind kinds form forms called""".split()
)
PRONOUNS = frozenset(
    "it this that these those there here they he she we you what which who each one".split()
)
NUMBER_WORDS = (  # "one" is left out: too often "one another", "from one ... to the next"
    "zero two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion twice tenfold hundredfold half"
).split()

_FENCE = re.compile(r"```.*?```", re.S)
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_CODE_SPAN = re.compile(r"`[^`]*`")
_DEFINITION = re.compile(
    r"^(?:(?:an?|the)\s+)?(?P<term>[^\s,;:()`]+(?:\s+[^\s,;:()`]+){0,3}?)\s+"
    r"(?:is|are|means|refers to)\s+(?P<rest>(?:a|an|any)\s[^:;]+?)[.!?]?$",
    re.I,
)
_CONTRAST = re.compile(r",\s*(?:while|but|whereas|although)\b", re.I)
_MATH = re.compile(r"[×÷=²³√½]|\s[+*/]\s|`")
_NUMBER_LIST = re.compile(r"\d\s*(?:,|and|to|or)\s*$")
_NUMBER_NEXT = re.compile(r"^\s*(?:,|and|to|or)\s*\d")
_UNIT_NEXT = re.compile(r"^\s?(?:°|%|[A-Za-zµΩ])")
_NUMBER = re.compile(r"(?<![\w.,+\-/])\d+(?:[.,]\d+)?(?![\w]|[.,]\d)")
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)
_NAMED = re.compile(r"(?<=[\s(])[A-Z][\w'’\-]*[a-z][\w'’\-]*(?:\s+[A-Z][\w'’\-]+){0,2}")
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'\-]*[A-Za-zÀ-ÖØ-öø-ÿ]")

Kind = Literal["define", "cloze"]


@dataclass(frozen=True)
class Question:
    kind: Kind
    answer: str  # copied from the passage: the expected answer
    sentence: str  # the passage sentence, as shown
    hidden: str  # the sentence with every occurrence of the answer blanked out
    definition: str = ""  # "define" questions: what the passage says the term is
    score: float = 0.0


@dataclass(frozen=True)
class MadeQuestion:
    question: Question
    chunk: Chunk  # the passage it came from: its citation


def flat(text: str) -> str:
    return " ".join(text.split())


def plain(text: str) -> str:
    """Markdown emphasis marks removed, spaces collapsed: the text as a learner reads it."""
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return flat(_ITALIC.sub(lambda m: m.group(1), text))


def answer_in_passage(answer: str, passage: str) -> bool:
    """True when ``answer`` occurs in ``passage`` (case, spacing and emphasis ignored)."""
    return flat(answer).casefold() in plain(passage).casefold()


def sentences(text: str) -> list[str]:
    """The prose sentences of a passage (Markdown kept): code blocks, tables and headings left
    out, list items taken one by one, lines of a paragraph joined."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", _FENCE.sub("\n\n", text)):
        lines: list[str] = []
        for line in paragraph.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith(("|", "#", ">", "<")):
                continue
            if _LIST_MARK.match(line):
                if lines:
                    units.append(" ".join(lines))
                lines = []
                units.append(_LIST_MARK.sub("", line).strip())
                continue
            lines.append(stripped)
        if lines:
            units.append(" ".join(lines))
    out: list[str] = []
    for unit in units:
        for sentence in _SENTENCE_SPLIT.split(flat(unit)):
            sentence = sentence.strip()
            if sentence.endswith(";"):
                sentence = sentence[:-1].rstrip() + "."
            if (
                MIN_SENTENCE <= len(sentence) <= MAX_SENTENCE
                and sentence[-1] in ".!?"
                and len(sentence.split()) >= 5
            ):
                out.append(sentence)
    return out


def blank_out(sentence: str, answer: str) -> str:
    """``sentence`` with every whole-word occurrence of ``answer`` replaced by a blank."""
    pattern = re.compile(r"(?<![\w])" + re.escape(answer) + r"(?![\w])", re.I)
    return pattern.sub(BLANK, sentence)


def _key(word: str) -> str:
    word = word.casefold()
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(plain(text)) if w.casefold() not in STOPWORDS]


def _good_term(term: str) -> bool:
    words = term.split()
    if not words or len(words) > 4 or len(term) < 2 or len(term) > 40:
        return False
    if words[0].casefold() in PRONOUNS:
        return False
    if any(w.casefold() in ("a", "an", "the") for w in words[1:]):
        return False  # "Functions A function": a heading glued to its first sentence
    return any(w.casefold() not in STOPWORDS and len(w) > 1 for w in words)


def _candidates(raw: str, shown: str, emphasised: set[str]) -> Iterable[tuple[Kind, str, float]]:
    """(kind, term, base score) for one sentence, ``raw`` with its Markdown, ``shown`` without."""
    for match in _EMPHASIS.finditer(raw):
        term = flat(match.group(1) or match.group(2)).strip(" .,;:")
        if _good_term(term) and "`" not in term:
            yield "cloze", term, 3.0
    definition = _DEFINITION.match(shown)
    if definition is not None and not _CONTRAST.search(definition.group("rest")):
        term = definition.group("term")
        rest = definition.group("rest")
        if _good_term(term) and _key(term.split()[-1]) not in {_key(w) for w in rest.split()}:
            yield "define", term, 3.0 + (0.5 if term.casefold() in emphasised else 0.0)
    text = _CODE_SPAN.sub(" ", shown)
    sums = _MATH.search(shown) is not None  # worked sums and code: numbers make poor blanks
    for match in _NUMBER.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        score = 2.0 + (0.25 if _UNIT_NEXT.match(after) else 0.0) - (1.0 if sums else 0.0)
        if _NUMBER_LIST.search(before) or _NUMBER_NEXT.match(after):
            score -= 1.0  # one of a list of numbers
        yield "cloze", match.group(0), score
    for match in _NUMBER_WORD.finditer(text):
        yield "cloze", match.group(0), 1.25
    for match in _NAMED.finditer(text):
        term = match.group(0).rstrip("'’-")
        if _good_term(term) and term.casefold() not in STOPWORDS:
            yield "cloze", term, 1.5 + (1.0 if term.casefold() in emphasised else 0.0)
    for word in _WORD.findall(text):
        if len(word) >= 5 and word.casefold() not in STOPWORDS:
            yield "cloze", word, 0.0  # scored by how often the passage uses it


def questions_from(chunk: Chunk) -> list[Question]:
    """The best question of each usable sentence of ``chunk``, best first."""
    emphasised = {flat(m.group(1) or m.group(2)).casefold() for m in _EMPHASIS.finditer(chunk.text)}
    counts = Counter(_key(w) for w in _content_words(chunk.text))
    heading_words = {_key(w) for w in _content_words(f"{chunk.title} {chunk.heading}")}
    found: list[Question] = []
    for position, raw in enumerate(sentences(chunk.text)):
        shown = plain(raw)
        best: Question | None = None
        for kind, term, base in _candidates(raw, shown, emphasised):
            keys = [_key(w) for w in _WORD.findall(term)]
            score = base
            if base == 0.0:  # a repeated word: worth asking only when the passage repeats it
                repeats = counts.get(keys[0], 0) if keys else 0
                if repeats < 2:
                    continue
                score = 0.75 + 0.25 * min(repeats - 1, 4)
            if keys and all(k in heading_words for k in keys):
                score -= 0.75  # the citation would give it away
            if 50 <= len(shown) <= 200:
                score += 0.25
            score -= 0.01 * position  # earlier sentences first, other things equal
            hidden = blank_out(shown, term)
            if hidden.count(BLANK) == 0 or hidden.count(BLANK) > 2:
                continue
            if not answer_in_passage(term, chunk.text):
                continue
            definition = ""
            if kind == "define":
                match = _DEFINITION.match(shown)
                definition = match.group("rest") if match else ""
                if not definition or blank_out(definition, term) != definition:
                    kind = "cloze"
            candidate = Question(kind, term, shown, hidden, definition, round(score, 3))
            if best is None or candidate.score > best.score:
                best = candidate
        if best is not None:
            found.append(best)
    found.sort(key=lambda q: -q.score)
    return found


def make_questions(
    passages: Sequence[Chunk], count: int = 3, *, topic: str = ""
) -> list[MadeQuestion]:
    """Up to ``count`` questions, taken from the passages in turn (their order is their
    relevance), never two with the same answer or sentence. An answer that the ``topic``
    itself gives away ("Loops": "A _____ repeats a block of code") comes last."""
    named = {_key(w) for w in _WORD.findall(topic)}

    def rank(question: Question) -> float:
        keys = [_key(w) for w in _WORD.findall(question.answer)]
        return question.score - (2.0 if keys and all(k in named for k in keys) else 0.0)

    pools = [
        [MadeQuestion(q, chunk) for q in sorted(questions_from(chunk), key=lambda q: -rank(q))]
        for chunk in passages
    ]
    chosen: list[MadeQuestion] = []
    answers: set[str] = set()
    used: set[str] = set()
    depth = 0
    while len(chosen) < count and any(depth < len(pool) for pool in pools):
        for pool in pools:
            if depth >= len(pool) or len(chosen) >= count:
                continue
            made = pool[depth]
            answer = made.question.answer.casefold()
            if answer in answers or made.question.sentence in used:
                continue
            chosen.append(made)
            answers.add(answer)
            used.add(made.question.sentence)
        depth += 1
    return chosen


__all__ = [
    "BLANK",
    "MadeQuestion",
    "Question",
    "answer_in_passage",
    "blank_out",
    "make_questions",
    "questions_from",
    "sentences",
]
