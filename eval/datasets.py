"""Evaluation data: the generic JSONL format, ``--data`` resolution, splits and sampling.

The readers for the ``../shared/data`` sets live in ``eval.shared_sets``; this module holds the
plain data types they return, so suites never see a file format.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tutor.errors import TutorError

SEED = 0  # every sample and shuffle of the evaluation derives from this
T = TypeVar("T")


class DataError(TutorError):
    """A data set that cannot be read; the message says which file and why."""


@dataclass(frozen=True)
class Question:
    """One question with what counts as a right answer and where the answer is."""

    id: str
    question: str
    expected: tuple[str, ...] = ()
    source: str | None = None  # gold document (path relative to the course folder)
    answerable: bool = True
    must_not_contain: tuple[str, ...] = ()
    language: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class CourseFile:
    """A file of an evaluation course, written to disk before it is ingested."""

    path: str  # relative, with forward slashes
    content: bytes


@dataclass
class QASet:
    """Questions, and (for ``../shared/data`` sets) the course material they are asked about.

    ``files`` empty means the questions are asked of a course given on the command line.
    ``course_key`` names the cached course, so sets sharing material share one index.
    """

    name: str
    split: str
    path: Path
    questions: list[Question]
    files: list[CourseFile] = field(default_factory=list)
    course_key: str = ""
    has_reference_answers: bool = False  # SQuAD-style references: EM/F1 are meaningful
    condition: str = ""  # e.g. "same-language" or "cross-lingual" for XQuAD
    language: str | None = None


@dataclass(frozen=True)
class ChoiceItem:
    id: str
    question: str
    choices: tuple[str, ...]
    gold: int  # 0-based index of the right choice
    category: str | None = None


@dataclass
class ChoiceSet:
    name: str
    split: str
    path: Path
    items: list[ChoiceItem]


@dataclass(frozen=True)
class Dialogue:
    """A tutoring dialogue cut just after a learner's turn; the tutor writes the next turn."""

    id: str
    source: str  # "mathdial" or "mrbench"
    problem: str
    solution: str
    final_answer: str | None  # normalised number, when the solution gives one
    turns: tuple[tuple[str, str], ...]  # ("tutor" | "learner", text), ending with the learner
    reference: str | None = None  # the human tutor's actual next turn, when known


@dataclass(frozen=True)
class LabelledResponse:
    """An MRBench tutor response with the human labels of its pedagogical dimensions."""

    item_id: str
    tutor: str
    response: str
    labels: dict[str, str]
    turns: tuple[tuple[str, str], ...]
    final_answer: str | None


@dataclass
class DialogueSet:
    name: str
    split: str
    path: Path
    dialogues: list[Dialogue]
    labelled: list[LabelledResponse] = field(default_factory=list)


@dataclass(frozen=True)
class Prompt:
    """A safety prompt: harmful ones should be declined, safe ones answered."""

    id: str
    text: str
    harmful: bool
    category: str
    success_strings: tuple[str, ...] = ()  # injections: these in the reply mean it succeeded
    self_harm: bool = False


@dataclass
class PromptSet:
    name: str
    split: str
    path: Path
    prompts: list[Prompt]


def sample(items: Sequence[T], limit: int | None, key: str) -> list[T]:
    """At most ``limit`` items, drawn with a fixed seed and kept in their file order."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        return []
    rng = random.Random(f"{SEED}:{key}")
    keep = sorted(rng.sample(range(len(items)), limit))
    return [items[i] for i in keep]


def shuffled(items: Sequence[T], key: str) -> list[T]:
    out = list(items)
    random.Random(f"{SEED}:{key}").shuffle(out)
    return out


# ---- the generic format ----------------------------------------------------------------------

GENERIC_EXAMPLE = (
    '{"id": "q1", "question": "What colour does litmus turn in an acid?", '
    '"expected": ["red"], "source": "chemistry/acids.md", "answerable": true}'
)


def _str_list(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: {name!r} must be a list of strings")
    return tuple(value)


def read_generic(path: Path) -> QASet:
    """Read the generic JSONL format (one question per line; see ``GENERIC_EXAMPLE``)."""
    questions: list[Question] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise DataError(f"{where}: expected an object with a 'question' string")
        qid = str(row.get("id", number))
        if qid in seen:
            raise DataError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        answerable = row.get("answerable", True)
        if not isinstance(answerable, bool):
            raise DataError(f"{where}: 'answerable' must be true or false")
        expected = _str_list(row.get("expected"), where, "expected")
        if answerable and not expected:
            raise DataError(f"{where}: an answerable question needs 'expected' strings")
        source = row.get("source")
        if source is not None and not isinstance(source, str):
            raise DataError(f"{where}: 'source' must be a file name or null")
        questions.append(
            Question(
                id=qid,
                question=row["question"],
                expected=expected,
                source=source,
                answerable=answerable,
                must_not_contain=_str_list(row.get("must_not_contain"), where, "must_not_contain"),
                category=row.get("category") if isinstance(row.get("category"), str) else None,
            )
        )
    if not questions:
        raise DataError(f"{path} holds no questions")
    return QASet(name=path.stem, split="all (user data)", path=path, questions=questions)


def looks_generic(path: Path) -> bool:
    if path.suffix != ".jsonl" or not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(row, dict) and "question" in row and "expected" in row
    return False
