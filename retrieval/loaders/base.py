"""Shared pieces of every loader: the skip signal, text normalisation and document assembly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tutor.config import IngestLimits
from tutor.types import LoadedDocument, Section

MAX_TITLE_CHARS = 200

# Control characters other than \t and \n (C0, DEL and C1); \r and \f are turned into \n first.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# Horizontal white space other than the tab, which is kept as the brief asks.
_SPACES = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_ANY_SPACE = re.compile(r"\s+")
HARD_BREAK = "\ue000"  # placeholder for an explicit line break inside prose (<br>, <newline/>)


class SkipDocument(Exception):
    """A file that cannot or should not be ingested; ``str(exc)`` is a one-line reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class RawSection:
    """A section as a format reader found it, before normalisation and offsets."""

    heading: str
    text: str
    page: int | None = None


def normalise(text: str) -> str:
    """Clean extracted text: unify line ends, drop control characters, collapse spaces.

    Leading indentation of each line is kept (code stays readable), runs of spaces inside a line
    become one, trailing spaces go, and at most one blank line separates paragraphs. Every step
    is a linear scan, so a 10 MB single line is cheap.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = _CONTROL.sub("", text.replace(HARD_BREAK, "\n"))
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        body = _SPACES.sub(" ", body).rstrip()
        lines.append(indent + body if body else "")
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def collapse(text: str) -> str:
    """Prose from markup: every run of white space becomes one space; hard breaks survive."""
    text = _ANY_SPACE.sub(" ", text)
    return text.replace(f" {HARD_BREAK}", HARD_BREAK).replace(f"{HARD_BREAK} ", HARD_BREAK).strip()


def clean_title(text: str | None) -> str:
    """A short single-line title, or "" when ``text`` has none."""
    if not text:
        return ""
    title = _CONTROL.sub("", _ANY_SPACE.sub(" ", text.replace(HARD_BREAK, " "))).strip()
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return title


def first_line(text: str, max_chars: int = 120) -> str:
    """The first non-empty line of ``text`` if it is short enough to be a title, else ""."""
    for line in text.split("\n", 50)[:50]:
        line = line.strip()
        if line:
            return clean_title(line) if len(line) <= max_chars else ""
    return ""


def relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, forward slashes; the file name when ``path`` is ``root``."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return path.name
    return path.name if rel == Path(".") else rel.as_posix()


def heading_path(parts: list[str]) -> str:
    return " > ".join(p for p in parts if p)


def build_document(
    name: str, title: str, raw: list[RawSection], limits: IngestLimits
) -> LoadedDocument:
    """Normalise sections, drop empty ones, apply the text limit and compute offsets.

    Offsets index ``LoadedDocument.text``, which joins section texts with a blank line.
    """
    sections: list[Section] = []
    position = 0
    truncated = False
    budget = limits.max_text_chars
    for part in raw:
        text = normalise(part.text)
        if not text:
            continue
        start = position + (2 if sections else 0)
        if start + len(text) > budget:
            truncated = True
            text = text[: max(0, budget - start)].rstrip()
            if not text:
                break
        heading = clean_title(part.heading) if part.heading else ""
        sections.append(Section(text, heading, part.page, start, start + len(text)))
        position = start + len(text)
        if truncated:
            break
    if not sections:
        raise SkipDocument("empty document")
    return LoadedDocument(path=name, title=title, sections=sections, truncated=truncated)
