"""Document loaders: one course file in, a cleaned ``LoadedDocument`` out.

``load_document`` is the whole API. Anything that cannot be ingested (unsupported type, over a
limit, damaged, empty, a decompression bomb) raises ``SkipDocument`` with a one-line reason for
the ingest report; no other exception escapes. Section texts hold the body under a heading, not
the heading itself (that is ``Section.heading``, the path joined with " > ").
"""

from __future__ import annotations

from pathlib import Path

from retrieval.loaders.base import SkipDocument, build_document, relative_name
from retrieval.loaders.limits import check_size, read_limited
from tutor.config import IngestLimits
from tutor.types import LoadedDocument

__all__ = ["SUPPORTED_SUFFIXES", "SkipDocument", "load_document"]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    MARKDOWN_SUFFIXES | HTML_SUFFIXES | {".txt", ".pdf", ".docx", ".cnxml"}
)


def load_document(path: Path, root: Path, limits: IngestLimits) -> LoadedDocument:
    """Load one file; ``root`` is the ingested folder (or the file itself for one file)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipDocument(f"unsupported file type {suffix or '(no extension)'}")
    name = relative_name(path, root)
    truncated = False
    try:
        if suffix == ".docx":
            from retrieval.loaders.docx import load_docx

            check_size(path, limits)
            title, raw = load_docx(path, limits)
        else:
            data = read_limited(path, limits)
            if suffix == ".pdf":
                from retrieval.loaders.pdf import load_pdf

                title, raw, truncated = load_pdf(data, path, limits)
            elif suffix in HTML_SUFFIXES:
                from retrieval.loaders.html import load_html

                title, raw = load_html(data, path)
            elif suffix == ".cnxml":
                from retrieval.loaders.cnxml import load_cnxml

                title, raw = load_cnxml(data, path)
            elif suffix in MARKDOWN_SUFFIXES:
                from retrieval.loaders.text import load_markdown

                title, raw = load_markdown(data, path)
            else:
                from retrieval.loaders.text import load_text

                title, raw = load_text(data, path)
        document = build_document(name, title, raw, limits)
    except SkipDocument:
        raise
    except RecursionError as exc:
        raise SkipDocument(f"cannot read this {suffix} file (nested too deeply)") from exc
    except Exception as exc:  # a parser bug or odd input must not stop a whole ingest
        raise SkipDocument(f"cannot read this {suffix} file ({type(exc).__name__})") from exc
    if truncated and not document.truncated:
        return LoadedDocument(document.path, document.title, document.sections, truncated=True)
    return document
