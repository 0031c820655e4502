"""Helpers shared by the suites: data loading by kind, gold documents, abstention, charts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from eval.context import CourseHandle, EvalContext
from eval.datasets import CourseFile, DataError, QASet, Question
from eval.shared_sets import DataRef, resolve_data

# A reply that says the material does not cover the question (or that the tutor cannot answer).
_ABSTAIN = re.compile(
    r"(does(?:n'?t| not) cover|not covered|could(?:n'?t| not) find|can(?:no|')t find|"
    r"did(?:n'?t| not) find|not (?:in|part of|mentioned in) the (?:course|material|sources|text)|"
    r"no information|is not mentioned|are not mentioned|(?:do not|don'?t) know|"
    r"unable to (?:find|answer)|(?:sources|material) (?:do|does)(?:n'?t| not)|"
    r"cannot answer|can'?t answer|not able to answer)",
    re.IGNORECASE,
)
SAMPLE_COURSE = Path(__file__).resolve().parent.parent.parent / "examples" / "sample_course"


def abstains(answer: Any) -> bool:
    """The tutor declined: not covered, refused, or a reply saying the material lacks it."""
    return bool(answer.not_covered or answer.refused or _ABSTAIN.search(answer.answer))


def refs_for(ctx: EvalContext, suite: str, data: list[str]) -> list[DataRef]:
    """The data sets a suite runs on: those given with ``--data``, else the suite's defaults."""
    from eval.shared_sets import SUITE_DEFAULTS

    if data:
        return [resolve_data(spec, ctx.shared) for spec in data]
    defaults = SUITE_DEFAULTS[suite]
    if not defaults:
        return []
    if ctx.shared is None or not ctx.shared.is_dir():
        raise DataError(
            f"the {suite} suite's default data sets live in ../shared/data, which is not "
            f"there{f' ({ctx.shared})' if ctx.shared else ''}: set TUTOR_SHARED_DATA to that "
            "folder, or pass --data FILE.jsonl with --course NAME or --course-dir DIR"
        )
    return [resolve_data(name, ctx.shared) for name in defaults]


def course_for(ctx: EvalContext, qaset: QASet) -> CourseHandle:
    if qaset.files:
        return ctx.cached_course(qaset.course_key, qaset.files)
    return ctx.user_course()


def gold_documents(question: Question, documents: list[str]) -> set[str]:
    """The course documents a question's ``source`` names: the path itself, or any document
    whose path ends with it (a generic file may give only the file name)."""
    if not question.source:
        return set()
    source = question.source.strip().lstrip("./")
    return {d for d in documents if d == source or d.endswith("/" + source)}


def sample_course_files() -> list[CourseFile]:
    """The repository's sample course (``examples/sample_course``), as evaluation course files."""
    if not SAMPLE_COURSE.is_dir():
        raise DataError(
            "the sample course (examples/sample_course) is not there: give --course NAME or "
            "--course-dir DIR"
        )
    return [
        CourseFile(p.relative_to(SAMPLE_COURSE).as_posix(), p.read_bytes())
        for p in sorted(SAMPLE_COURSE.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    ]


def default_course(ctx: EvalContext) -> CourseHandle:
    """The user's course when one was given, else the sample course."""
    if ctx.has_user_course():
        return ctx.user_course()
    return ctx.cached_course("sample", sample_course_files())


def dataset_entry(name: str, split: str, path: Path, n: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "split": split, "path": str(path), "n": n, **extra}


def bar_chart(
    title: str, values: dict[str, float | None], ylabel: str, *, volatile: bool = False
) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "kind": "bar",
        "title": title,
        "ylabel": ylabel,
        "labels": list(values),
        "values": [values[k] for k in values],
    }
    if volatile:
        chart["volatile"] = True
    return chart


def grouped_bar_chart(
    title: str, groups: dict[str, dict[str, float | None]], ylabel: str
) -> dict[str, Any]:
    """Bars per label, one colour per series: ``groups[series][label]``."""
    labels: list[str] = []
    for series in groups.values():
        labels.extend(k for k in series if k not in labels)
    return {
        "kind": "grouped_bar",
        "title": title,
        "ylabel": ylabel,
        "labels": labels,
        "series": {name: [series.get(k) for k in labels] for name, series in groups.items()},
    }


def histogram(
    title: str, values: list[float], xlabel: str, *, volatile: bool = False, bins: int = 20
) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "kind": "hist",
        "title": title,
        "xlabel": xlabel,
        "values": [round(v, 4) for v in values],
        "bins": bins,
    }
    if volatile:
        chart["volatile"] = True
    return chart


def require_kinds(refs: list[DataRef], allowed: set[str], suite: str) -> None:
    for ref in refs:
        if ref.kind not in allowed:
            raise DataError(
                f"the {suite} suite cannot use {ref.path} ({ref.kind}); it takes "
                f"{', '.join(sorted(allowed))}"
            )
