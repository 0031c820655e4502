"""Plain text and Markdown: Markdown is split into sections at ATX headings."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.loaders.base import RawSection, clean_title, heading_path
from retrieval.loaders.limits import decode_text

_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FRONT_TITLE = re.compile(r"title\s*:\s*(.+)", re.IGNORECASE)
MAX_FRONT_MATTER_LINES = 200


def load_text(data: bytes, path: Path) -> tuple[str, list[RawSection]]:
    """A ``.txt`` file: one section without a heading, titled by the file stem."""
    return path.stem, [RawSection("", decode_text(data))]


def _front_matter(lines: list[str]) -> tuple[int, str]:
    """(number of lines of a leading YAML front matter block, its title or "")."""
    if not lines or lines[0].strip() != "---":
        return 0, ""
    for i in range(1, min(len(lines), MAX_FRONT_MATTER_LINES)):
        if lines[i].strip() in {"---", "..."}:
            title = ""
            for line in lines[1:i]:
                match = _FRONT_TITLE.match(line)
                if match:
                    title = match.group(1).strip().strip("\"'")
                    break
            return i + 1, title
    return 0, ""


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line, or None. Linear in the line's length."""
    match = _ATX.match(line)
    if match is None:
        return None
    text = line[match.end() :].strip()
    # A closing sequence of #s is dropped when a space precedes it (CommonMark).
    stripped = text.rstrip("#")
    if stripped != text and (not stripped or stripped[-1] in " \t"):
        text = stripped.rstrip()
    return len(match.group(1)), text.replace("`", "")


def load_markdown(data: bytes, path: Path) -> tuple[str, list[RawSection]]:
    """Sections at ATX headings (outside fenced code), each with its heading path."""
    lines = decode_text(data).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    skip, front_title = _front_matter(lines)
    title = ""
    stack: list[str] = []  # heading text per level 1..6 ("" where a level was skipped)
    sections: list[RawSection] = []
    body: list[str] = []
    fence = ""
    for line in lines[skip:]:
        if fence:
            body.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            body.append(line)
            continue
        found = _heading(line)
        if found is None:
            body.append(line)
            continue
        level, text = found
        sections.append(RawSection(heading_path(stack), "\n".join(body)))
        body = []
        if level == 1 and not title:
            title = clean_title(text)
        del stack[level - 1 :]
        stack.extend([""] * (level - 1 - len(stack)))
        stack.append(text)
    sections.append(RawSection(heading_path(stack), "\n".join(body)))
    return title or clean_title(front_title) or path.stem, sections
