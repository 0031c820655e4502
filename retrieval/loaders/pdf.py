"""PDF: the text layer of each page, one section per page (1-based page numbers)."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from retrieval.loaders.base import RawSection, SkipDocument, clean_title, first_line
from tutor.config import IngestLimits

_UNREADABLE = "not a readable PDF (truncated or damaged)"
_PLACEHOLDER_TITLES = {"untitled", "title", "document", "microsoft word"}


def _metadata_title(reader: Any) -> str:
    try:
        metadata = reader.metadata
        title = clean_title(str(metadata.title)) if metadata and metadata.title else ""
    except Exception:  # damaged metadata must not lose the pages
        return ""
    if title.lower() in _PLACEHOLDER_TITLES or title.lower().startswith("microsoft word - "):
        return ""
    return title


def load_pdf(data: bytes, path: Path, limits: IngestLimits) -> tuple[str, list[RawSection], bool]:
    """(title, one section per page, whether pages beyond ``max_pdf_pages`` were left out)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files log many warnings
    if b"%PDF-" not in data[:1024]:
        raise SkipDocument("not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipDocument("encrypted PDF (password protected)")
        count = len(reader.pages)
    except SkipDocument:
        raise
    except Exception as exc:
        raise SkipDocument(_UNREADABLE) from exc
    if count == 0:
        raise SkipDocument(_UNREADABLE)

    sections: list[RawSection] = []
    chars = 0
    cut = count > limits.max_pdf_pages
    for number in range(1, min(count, limits.max_pdf_pages) + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception as exc:
            raise SkipDocument(f"{_UNREADABLE}: page {number} cannot be read") from exc
        sections.append(RawSection("", text, number))
        chars += len(text)
        if chars > limits.max_text_chars * 2:  # more than the text limit can keep
            cut = True
            break
    if not any(s.text.strip() for s in sections):
        raise SkipDocument("no text layer (scanned PDF?)")
    title = _metadata_title(reader)
    if not title:
        first_text = next(s.text for s in sections if s.text.strip())
        title = first_line(first_text)
    return title or path.stem, sections, cut
