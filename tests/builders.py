"""Builders for test documents (Word, PDF, zip bombs), written into a test's ``tmp_path``."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

MINIMAL_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
MINIMAL_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


def make_docx(
    path: Path,
    blocks: Sequence[tuple[str, str]],
    *,
    core_title: str = "",
    table: Sequence[Sequence[str]] | None = None,
) -> Path:
    """A real .docx: ``blocks`` are (style, text) pairs such as ("Heading 1", "Intro").

    Style "Title" and "Heading 1".."Heading 9" come from python-docx's default template; any
    other style name is written as a normal paragraph. ``table`` rows are appended at the end.
    """
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style == "Title":
            document.add_heading(text, level=0)
        elif style.startswith("Heading "):
            document.add_heading(text, level=int(style.split()[1]))
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.core_properties.title = core_title
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def make_pdf(path: Path, pages: Sequence[str], *, title: str | None = None) -> Path:
    """A text PDF with one page per string (Latin-1 text, core fonts); blank strings stay blank."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    if title is not None:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def make_docx_bomb(
    path: Path,
    inflated_bytes: int = 300_000_000,
    member: str = "word/document.xml",
    compresslevel: int = 1,
) -> Path:
    """A .docx-shaped zip whose ``member`` inflates to ``inflated_bytes`` of zeros.

    Written in 1 MB chunks; at the default fastest level 300 MB takes about 1.3 MB on disk and
    half a second (level 1 reaches about 230:1, level 9 about 1000:1). Never held in memory.
    """
    chunk = b"\0" * 1_000_000
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as archive:
        archive.writestr("[Content_Types].xml", MINIMAL_CONTENT_TYPES)
        archive.writestr("_rels/.rels", MINIMAL_RELS)
        with archive.open(member, "w", force_zip64=True) as handle:
            written = 0
            while written < inflated_bytes:
                piece = chunk[: min(len(chunk), inflated_bytes - written)]
                handle.write(piece)
                written += len(piece)
    return path
