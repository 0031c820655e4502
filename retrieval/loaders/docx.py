"""Word documents: paragraphs and tables in order, sections at "Heading N" paragraphs.

The archive is checked for decompression bombs before python-docx opens it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from retrieval.loaders.base import RawSection, SkipDocument, clean_title, heading_path
from retrieval.loaders.limits import check_zip
from tutor.config import IngestLimits

_HEADING_STYLE = re.compile(r"heading\s*([1-9])$", re.IGNORECASE)
_UNREADABLE = "not a readable Word document (damaged or not .docx)"


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
        return str(style.name) if style is not None and style.name else ""
    except Exception:  # a paragraph pointing at a missing style
        return ""


def _outline_level(paragraph: Any) -> int | None:
    """The outline level (1-9) a localised heading style declares, if any."""
    from docx.oxml.ns import qn

    try:
        style = paragraph.style
        for _ in range(10):  # base styles can form a chain (or, when damaged, a loop)
            if style is None:
                break
            ppr = style.element.pPr
            level = None if ppr is None else ppr.find(qn("w:outlineLvl"))
            if level is not None:
                return int(level.get(qn("w:val"))) + 1
            style = style.base_style
    except Exception:
        return None
    return None


def _heading_level(paragraph: Any) -> int | None:
    name = _style_name(paragraph)
    match = _HEADING_STYLE.match(name.strip())
    if match:
        return int(match.group(1))
    if name.lower() == "title":
        return 0
    level = _outline_level(paragraph)
    return level if level is not None and 1 <= level <= 9 else None


def _table_text(table: Any) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def load_docx(path: Path, limits: IngestLimits) -> tuple[str, list[RawSection]]:
    check_zip(path, limits, "Word document")
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        core_title = clean_title(document.core_properties.title)
        blocks = list(document.iter_inner_content())
    except SkipDocument:
        raise
    except Exception as exc:
        raise SkipDocument(_UNREADABLE) from exc

    title = core_title
    stack: list[str] = []
    sections: list[RawSection] = []
    body: list[str] = []
    try:
        for block in blocks:
            if isinstance(block, Table):
                body.append(_table_text(block))
                continue
            if not isinstance(block, Paragraph):
                continue
            text = block.text
            level = _heading_level(block)
            if level is None or not text.strip():
                body.append(text)
                continue
            heading = clean_title(text)
            if not title:
                title = heading
            if level == 0:  # the Title style names the document, it is not a section
                continue
            sections.append(RawSection(heading_path(stack), "\n\n".join(body)))
            body = []
            del stack[level - 1 :]
            stack.extend([""] * (level - 1 - len(stack)))
            stack.append(heading)
    except Exception as exc:
        raise SkipDocument(_UNREADABLE) from exc
    sections.append(RawSection(heading_path(stack), "\n\n".join(body)))
    return title or path.stem, sections
