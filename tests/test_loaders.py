"""Document loaders: the sample course in every format, and broken or hostile input."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from retrieval.loaders import SUPPORTED_SUFFIXES, SkipDocument, load_document
from tests.builders import make_docx, make_docx_bomb, make_pdf
from tests.conftest import SAMPLE_COURSE
from tests.sample_course_facts import SAMPLE_COURSE_FACTS
from tutor.config import IngestLimits
from tutor.types import LoadedDocument

LIMITS = IngestLimits()
SAMPLE_FILES = sorted(p for p in SAMPLE_COURSE.rglob("*") if p.is_file())


def load(path: Path, limits: IngestLimits = LIMITS, root: Path | None = None) -> LoadedDocument:
    return load_document(path, root or path.parent, limits)


def skip_reason(path: Path, limits: IngestLimits = LIMITS) -> str:
    with pytest.raises(SkipDocument) as caught:
        load(path, limits)
    reason = str(caught.value)
    assert reason == caught.value.reason and "\n" not in reason and reason
    return reason


def assert_consistent(doc: LoadedDocument) -> None:
    """Offsets index the joined text; no empty sections; a short single-line title."""
    assert doc.sections
    text = doc.text
    for section in doc.sections:
        assert section.text.strip()
        assert text[section.start : section.end] == section.text
    assert doc.title and "\n" not in doc.title and len(doc.title) <= 200


# --- the sample course --------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx", ".cnxml"} == set(
        SUPPORTED_SUFFIXES
    )


def test_sample_course_has_three_subjects_and_several_formats() -> None:
    subjects = {p.relative_to(SAMPLE_COURSE).parts[0] for p in SAMPLE_FILES}
    suffixes = {p.suffix for p in SAMPLE_FILES}
    assert len(SAMPLE_FILES) >= 7 and len(subjects) >= 3
    assert {".md", ".pdf", ".html"} <= suffixes
    assert all(p.suffix in SUPPORTED_SUFFIXES for p in SAMPLE_FILES)


@pytest.mark.parametrize(
    "path", SAMPLE_FILES, ids=lambda p: p.relative_to(SAMPLE_COURSE).as_posix()
)
def test_sample_course_files_load(path: Path) -> None:
    doc = load_document(path, SAMPLE_COURSE, LIMITS)
    assert doc.path == path.relative_to(SAMPLE_COURSE).as_posix()
    assert not doc.truncated
    assert_consistent(doc)
    assert 300 <= len(doc.text.split()) <= 900


def test_sample_markdown_title_and_heading_paths() -> None:
    doc = load_document(SAMPLE_COURSE / "chemistry/acids-and-bases.md", SAMPLE_COURSE, LIMITS)
    assert doc.path == "chemistry/acids-and-bases.md"
    assert doc.title == "Acids and Bases"
    headings = [s.heading for s in doc.sections]
    assert headings[0] == "Acids and Bases"
    assert "Acids and Bases > The pH scale" in headings
    assert (
        "Acids and Bases > What makes a substance an acid or a base > The Arrhenius definition"
        in headings
    )
    assert all(s.page is None for s in doc.sections)
    ph = next(s for s in doc.sections if s.heading.endswith("The pH scale"))
    assert "Pure water at 25 °C has a pH of 7" in ph.text
    assert "## " not in doc.text  # headings are in Section.heading, not repeated in the text


def test_sample_pdf_has_one_section_per_page() -> None:
    doc = load_document(SAMPLE_COURSE / "python/functions.pdf", SAMPLE_COURSE, LIMITS)
    assert doc.title == "Functions"
    assert [s.page for s in doc.sections] == [1, 2]
    assert "def keyword" in doc.sections[0].text
    assert "returns None" in doc.sections[1].text
    assert "returns None" not in doc.sections[0].text


def test_sample_html_keeps_visible_text_only() -> None:
    doc = load_document(SAMPLE_COURSE / "chemistry/states-of-matter.html", SAMPLE_COURSE, LIMITS)
    assert doc.title == "States of Matter"
    assert "States of Matter > Changes of state > Sublimation of dry ice" in [
        s.heading for s in doc.sections
    ]
    assert "sublimation" in doc.text and "Try it yourself" in doc.text
    for hidden in ("showTip", "function", "font-family", "onclick", "Hidden hint", "<"):
        assert hidden not in doc.text


@pytest.mark.parametrize("fact", SAMPLE_COURSE_FACTS, ids=lambda f: f["expected"])
def test_each_fact_is_in_its_page_only(fact: dict[str, str]) -> None:
    texts = {
        p.relative_to(SAMPLE_COURSE).as_posix(): load_document(p, SAMPLE_COURSE, LIMITS).text
        for p in SAMPLE_FILES
    }
    assert fact["document"] in texts
    assert fact["question"].endswith("?")
    holders = [name for name, text in texts.items() if fact["expected"] in text]
    assert holders == [fact["document"]]


def test_sample_pdf_generator_is_committed_alongside() -> None:
    assert (SAMPLE_COURSE.parent / "make_sample_pdf.py").is_file()


# --- Markdown and text --------------------------------------------------------------------------


def test_markdown_headings_code_fences_and_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        "---\ntitle: Front title\nauthor: someone\n---\n"
        "Intro before any heading.\n\n"
        "# Main title #\n\nBody of main.\n\n"
        "```python\n# a comment, not a heading\nfor i in range(3):\n    print(i)\n```\n\n"
        "### Deep one\n\nSkipped a level.\n\n"
        "## Second\n\n~~~\n## still code\n~~~\nAfter the fence.\n",
        encoding="utf-8",
    )
    doc = load(path)
    assert doc.title == "Main title"
    assert [s.heading for s in doc.sections] == [
        "",
        "Main title",
        "Main title > Deep one",
        "Main title > Second",
    ]
    assert doc.sections[0].text == "Intro before any heading."
    assert "# a comment, not a heading\nfor i in range(3):\n    print(i)" in doc.sections[1].text
    assert "## still code" in doc.sections[3].text
    assert "author: someone" not in doc.text
    assert_consistent(doc)


def test_markdown_title_falls_back_to_front_matter_then_stem(tmp_path: Path) -> None:
    fronted = tmp_path / "a.md"
    fronted.write_text("---\ntitle: 'Cells'\n---\n## Part\n\nText.\n", encoding="utf-8")
    plain = tmp_path / "plain-notes.markdown"
    plain.write_text("## Part\n\nText.\n", encoding="utf-8")
    assert load(fronted).title == "Cells"
    assert load(plain).title == "plain-notes"


def test_text_file_is_one_section_titled_by_stem(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "volcanoes.txt"
    path.parent.mkdir()
    path.write_text("Magma   rises\tthrough  cracks.\r\n\r\n\r\n\r\nLava cools.  \n", "utf-8")
    doc = load_document(path, tmp_path, LIMITS)
    assert doc.path == "sub/volcanoes.txt"
    assert doc.title == "volcanoes"
    assert len(doc.sections) == 1 and doc.sections[0].heading == ""
    assert doc.text == "Magma rises\tthrough cracks.\n\nLava cools."


def test_single_file_ingest_uses_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text("Some text.", encoding="utf-8")
    assert load_document(path, path, LIMITS).path == "one.txt"


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    path = tmp_path / "ctl.txt"
    path.write_text("bell\x07 here\x1b[31m red\x7f\x0bok\n\nnext\tpara\x85", encoding="utf-8")
    assert load(path).text == "bell here[31m redok\n\nnext\tpara"


def test_latin1_text_loads_with_correct_characters(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Un café très naïf à Noël coûte 5 €? Non: 5 £.".encode("cp1252"))
    assert load(path).text == "Un café très naïf à Noël coûte 5 €? Non: 5 £."
    pure = tmp_path / "pure-latin1.md"
    pure.write_bytes("# Größe\n\nÆble og søster.".encode("latin-1"))
    doc = load(pure)
    assert doc.title == "Größe" and doc.text == "Æble og søster."


def test_utf8_bom_utf16_and_a_few_broken_bytes(tmp_path: Path) -> None:
    bom = tmp_path / "bom.md"
    bom.write_bytes("\ufeff# Título\n\nTexto.".encode())
    assert load(bom).title == "Título"
    wide = tmp_path / "wide.txt"
    wide.write_bytes("Ünïcode wide text".encode("utf-16"))
    assert load(wide).text == "Ünïcode wide text"
    broken = tmp_path / "broken.txt"
    broken.write_bytes(("é" * 200).encode() + b"\xff" + b" end")
    assert load(broken).text == "é" * 200 + "\ufffd end"


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n"], ids=["empty", "whitespace"])
@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_empty_documents_are_skipped(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(content)
    assert skip_reason(path) == "empty document"


def test_markdown_with_headings_only_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "bare.md"
    path.write_text("# Title\n\n## Part\n", encoding="utf-8")
    assert skip_reason(path) == "empty document"


def test_binary_content_in_a_text_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert skip_reason(path) == "binary content in a text file"


def test_text_over_the_limit_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("word " * 10_000, encoding="utf-8")
    limits = IngestLimits(max_text_chars=1_000)
    doc = load(path, limits)
    assert doc.truncated
    assert len(doc.text) <= 1_000 and doc.text.startswith("word word")
    assert_consistent(doc)


def test_truncation_drops_later_sections(tmp_path: Path) -> None:
    path = tmp_path / "many.md"
    path.write_text("".join(f"## Part {i}\n\n{'x' * 50}\n\n" for i in range(10)), "utf-8")
    doc = load(path, IngestLimits(max_text_chars=120))
    assert doc.truncated and len(doc.text) <= 120
    assert [s.heading for s in doc.sections] == ["Part 0", "Part 1", "Part 2"]
    assert_consistent(doc)


def test_ten_megabyte_single_line_is_truncated_with_small_limits(tmp_path: Path) -> None:
    path = tmp_path / "line.txt"
    path.write_bytes(b"abcdefghi " * 1_000_000)
    doc = load(path, IngestLimits(max_text_chars=5_000))
    assert doc.truncated and len(doc.text) == 5_000 - 1  # the cut lands after a space, stripped


def test_ten_megabyte_single_line_loads_with_default_limits(tmp_path: Path) -> None:
    # A quadratic regex would hang here; the loader must stay linear.
    path = tmp_path / "line.md"
    heading = tmp_path / "heading.md"
    heading.write_bytes(b"# " + b"word " * 2_000_000 + b" #" * 1000)
    assert skip_reason(heading) == "empty document"  # one huge heading and no body
    path.write_bytes(b"lorem  ipsum\tdolor " * 500_000 + b"#" * 1000 + b" \t " * 1000)
    doc = load(path)
    assert doc.truncated
    assert len(doc.text) <= LIMITS.max_text_chars
    assert_consistent(doc)


# --- limits and unknown input -------------------------------------------------------------------


def test_unknown_suffix_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_text("hello", encoding="utf-8")
    assert skip_reason(path) == "unsupported file type .xyz"


def test_oversize_file_is_skipped_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("# Big\n\n" + "text " * 100, encoding="utf-8")
    reason = skip_reason(path, IngestLimits(max_file_bytes=100))
    assert "over the limit of 100 bytes" in reason


def test_oversize_docx_is_skipped_before_the_zip_is_opened(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "big.docx", [("Normal", "x" * 100)])
    assert "over the limit" in skip_reason(path, IngestLimits(max_file_bytes=100))


def test_missing_file_is_skipped(tmp_path: Path) -> None:
    assert "cannot read" in skip_reason(tmp_path / "gone.md")


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_title_from_metadata_first_line_or_stem(tmp_path: Path) -> None:
    with_title = make_pdf(tmp_path / "a.pdf", ["First page text.", "Second."], title="Magnets")
    assert load(with_title).title == "Magnets"
    first_line = make_pdf(tmp_path / "b.pdf", ["Tides and the Moon\nThe Moon pulls."])
    doc = load(first_line)
    assert doc.title == "Tides and the Moon"
    assert [s.page for s in doc.sections] == [1]


def test_pdf_blank_pages_keep_their_page_numbers(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "gap.pdf", ["Page one text.", "", "Page three text."])
    doc = load(path)
    assert [s.page for s in doc.sections] == [1, 3]
    assert_consistent(doc)


def test_pdf_without_text_layer_is_skipped(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", ["", ""])
    assert skip_reason(path) == "no text layer (scanned PDF?)"


def test_pdf_page_limit_truncates(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "long.pdf", [f"Page {n} text." for n in range(1, 6)])
    doc = load(path, IngestLimits(max_pdf_pages=2))
    assert doc.truncated and [s.page for s in doc.sections] == [1, 2]


def test_truncated_pdf_is_skipped(tmp_path: Path) -> None:
    data = (SAMPLE_COURSE / "python/functions.pdf").read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert skip_reason(path) == "not a readable PDF (truncated or damaged)"


def test_random_bytes_named_pdf_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(random.Random(1).randbytes(4096))
    assert "not a PDF" in skip_reason(path)
    header_only = tmp_path / "fake.pdf"
    header_only.write_bytes(b"%PDF-1.7\n" + random.Random(2).randbytes(4096))
    assert "not a readable PDF" in skip_reason(header_only)


# --- HTML ---------------------------------------------------------------------------------------

HOSTILE_HTML = """<!doctype html><html><head><title>Safe  page</title>
<script>alert(1)</script><style>p { color: red }</style></head>
<body onload="steal()">
<h1>Top</h1><p>Visible intro with <b>bold</b> and <a href="https://example.org">a link</a>.</p>
<script type="text/javascript">document.write("evil")</script>
<img src="x" onerror="alert('img')" alt="picture">
<a href="javascript:alert('js')">javascript:alert('link')</a>
<a href=" JavaScript:void(0)">sneaky</a>
<noscript>Enable scripts</noscript><iframe src="https://evil.example"></iframe>
<form action="/x"><input value="secret"><textarea>typed</textarea></form>
<template><p>template text</p></template><svg><text>svg text</text></svg>
<object data="x.swf">object text</object><embed src="y">
<div hidden>hidden attr</div><div style="display: none">hidden style</div>
<h2>Part A</h2><p onclick="alert(2)">Clickable but harmless.</p>
<h3>Detail</h3><pre>  line one
    indented two</pre>
<h2>Part B</h2><table><tr><th>Col 1</th><th>Col 2</th></tr><tr><td>a</td><td>b</td></tr></table>
<p>Line<br>break</p><!-- a comment -->
</body></html>"""


def test_html_scripts_handlers_and_hidden_content_never_reach_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HOSTILE_HTML, encoding="utf-8")
    doc = load(path)
    assert doc.title == "Safe page"
    text = doc.text
    for bad in (
        "alert", "evil", "steal", "javascript", "JavaScript", "sneaky", "color: red",
        "Enable scripts", "secret", "typed", "template text", "svg text", "object text",
        "hidden attr", "hidden style", "a comment", "onclick", "onerror", "<",
    ):  # fmt: skip
        assert bad not in text, bad
    assert [s.heading for s in doc.sections] == ["Top", "Top > Part A", "Top > Part A > Detail",
                                                 "Top > Part B"]  # fmt: skip
    assert doc.sections[0].text == "Visible intro with bold and a link."
    assert doc.sections[1].text == "Clickable but harmless."
    assert doc.sections[2].text == "line one\n    indented two"
    assert doc.sections[3].text == "Col 1 | Col 2\n\na | b\n\nLine\nbreak"
    assert_consistent(doc)


def test_html_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    h1 = tmp_path / "x.htm"
    h1.write_text("<body><h1>Rivers</h1><p>Water flows.</p></body>", encoding="utf-8")
    assert load(h1).title == "Rivers"
    fragment = tmp_path / "frag.html"
    fragment.write_text("<p>Just a fragment.</p>", encoding="utf-8")
    doc = load(fragment)
    assert doc.title == "frag" and doc.text == "Just a fragment."


def test_html_with_only_scripts_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "js.html"
    path.write_text("<html><body><script>alert(1)</script></body></html>", encoding="utf-8")
    assert skip_reason(path) == "empty document"


# --- DOCX ---------------------------------------------------------------------------------------


def test_docx_sections_at_headings_with_tables(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "cells.docx",
        [
            ("Title", "Cells"),
            ("Normal", "Every living thing is made of cells."),
            ("Heading 1", "Plant cells"),
            ("Normal", "Plant cells have a cell wall."),
            ("Heading 2", "Chloroplasts"),
            ("Normal", "Chloroplasts capture light."),
            ("Heading 1", "Animal cells"),
            ("Normal", "Animal cells have no cell wall."),
        ],
        table=[["Part", "Job"], ["Nucleus", "holds DNA"]],
    )
    doc = load(path)
    assert doc.title == "Cells"
    assert [(s.heading, s.text) for s in doc.sections] == [
        ("", "Every living thing is made of cells."),
        ("Plant cells", "Plant cells have a cell wall."),
        ("Plant cells > Chloroplasts", "Chloroplasts capture light."),
        ("Animal cells", "Animal cells have no cell wall.\n\nPart | Job\nNucleus | holds DNA"),
    ]
    assert_consistent(doc)


def test_docx_title_from_core_properties_heading_or_stem(tmp_path: Path) -> None:
    core = make_docx(tmp_path / "a.docx", [("Heading 1", "Intro"), ("Normal", "x")],
                     core_title="Core Title")  # fmt: skip
    assert load(core).title == "Core Title"
    heading = make_docx(tmp_path / "b.docx", [("Heading 1", "Intro"), ("Normal", "x")])
    assert load(heading).title == "Intro"
    plain = make_docx(tmp_path / "c-notes.docx", [("Normal", "just text")])
    assert load(plain).title == "c-notes"


def test_docx_decompression_bomb_is_rejected_without_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_docx_bomb(tmp_path / "bomb.docx")  # 300 MB of zeros inside
    assert path.stat().st_size < 3_000_000

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the archive was opened")

    monkeypatch.setattr("docx.Document", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    assert skip_reason(path) == "archive inflates to 300.0 MB, over the limit of 100.0 MB"


def test_docx_member_with_an_absurd_ratio_is_rejected(tmp_path: Path) -> None:
    path = make_docx_bomb(tmp_path / "ratio.docx", inflated_bytes=30_000_000, compresslevel=9)
    reason = skip_reason(path)
    assert "word/document.xml" in reason and "decompression bomb" in reason


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("noise.docx", random.Random(3).randbytes(2048)),
        ("text.docx", b"This is plain text with a .docx name."),
    ],
)
def test_non_zip_docx_is_skipped(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert skip_reason(path) == "not a readable Word document (not a valid zip archive)"


def test_zip_that_is_not_a_word_document_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not word")
    assert skip_reason(path).startswith("not a readable Word document")


# --- CNXML --------------------------------------------------------------------------------------

CNXML = """<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="http://cnx.rice.edu/cnxml" xmlns:m="http://www.w3.org/1998/Math/MathML">
<title>Measuring Liquids</title>
<metadata xmlns:md="http://cnx.rice.edu/mdml">
  <md:title>Measuring Liquids</md:title>
  <md:abstract><para id="a1">Metadata objectives are not course text.</para></md:abstract>
</metadata>
<content>
<para id="p1">A <term>burette</term> delivers a measured volume of H<sub>2</sub>O
(<link target-id="fig1"/>).</para>
<figure id="fig1"><media id="m1" alt="A burette picture."><image src="../../media/b.jpg"/></media>
<caption>A burette on a stand.</caption></figure>
<section id="s1">
<title>Reading the scale</title>
<para id="p2">Read at the bottom of the meniscus, to 10<sup>−2</sup> mL.</para>
<list id="l1"><item>Keep your eye level.</item><item>Use a white card behind it.</item></list>
<equation id="e1"><m:math><m:mrow><m:mtext>density</m:mtext><m:mo>=</m:mo>
<m:mfrac><m:mi>m</m:mi><m:mi>V</m:mi></m:mfrac></m:mrow></m:math></equation>
<note id="n1" class="everyday-life"><title>At home</title><para id="p3">A measuring jug works
for cooking.</para></note>
<section id="s1a"><title>Significant digits</title>
<table id="t1"><tgroup cols="2"><thead><row><entry>Reading</entry><entry>Digits</entry></row>
</thead><tbody><row><entry>21.6 mL</entry><entry>3</entry></row></tbody></tgroup></table>
<code class="python" lang="python">volume = 21.6
print(volume)</code>
</section>
</section>
<section id="s2" class="exercises"><title>Exercises</title>
<exercise id="x1"><problem id="pr1"><para id="p4">Why read at eye level?</para></problem>
<solution id="so1"><para id="p5">To avoid parallax error.</para></solution></exercise>
<exercise id="x2"><problem id="pr2"><para id="p6"><link class="os-embed" url="#exercise/X"/></para>
</problem></exercise>
</section>
</content>
<glossary><definition id="d1"><term>meniscus</term><meaning id="mn1">the curved surface of a
liquid</meaning></definition></glossary>
</document>
"""


def test_cnxml_sections_text_math_and_exercises(tmp_path: Path) -> None:
    path = tmp_path / "m00001" / "index.cnxml"
    path.parent.mkdir()
    path.write_text(CNXML, encoding="utf-8")
    doc = load_document(path, tmp_path, LIMITS)
    assert doc.path == "m00001/index.cnxml"
    assert doc.title == "Measuring Liquids"
    sections = {s.heading: s.text for s in doc.sections}
    assert list(sections) == [
        "Measuring Liquids",
        "Measuring Liquids > Reading the scale",
        "Measuring Liquids > Reading the scale > Significant digits",
        "Measuring Liquids > Exercises",
        "Measuring Liquids > Glossary",
    ]
    assert sections["Measuring Liquids"] == (
        "A burette delivers a measured volume of H2O.\n\nA burette on a stand."
    )
    reading = sections["Measuring Liquids > Reading the scale"]
    assert "to 10⁻² mL." in reading
    assert "Keep your eye level.\n\nUse a white card behind it." in reading
    assert "density = m/V" in reading
    assert "At home\n\nA measuring jug works for cooking." in reading
    digits = sections["Measuring Liquids > Reading the scale > Significant digits"]
    assert digits == "Reading | Digits\n\n21.6 mL | 3\n\nvolume = 21.6\nprint(volume)"
    assert sections["Measuring Liquids > Exercises"] == (
        "Why read at eye level?\n\nTo avoid parallax error."
    )
    assert sections["Measuring Liquids > Glossary"] == "meniscus: the curved surface of a liquid"
    assert "Metadata objectives" not in doc.text and "picture" not in doc.text
    assert_consistent(doc)


def test_cnxml_entities_are_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "lol.cnxml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE document [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<document xmlns="http://cnx.rice.edu/cnxml"><title>T</title>'
        "<content><para>Safe &b; text.</para></content></document>",
        encoding="utf-8",
    )
    doc = load(path)
    assert "lol" not in doc.text and "Safe" in doc.text


@pytest.mark.parametrize(
    "content",
    ["<document><title>T</title><content><para>unclosed", "<html><body>not cnxml</body></html>"],
    ids=["malformed", "wrong-root"],
)
def test_broken_cnxml_is_skipped(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.cnxml"
    path.write_text(content, encoding="utf-8")
    assert "CNXML" in skip_reason(path)


# --- determinism and robustness ------------------------------------------------------------------


def test_loading_is_deterministic() -> None:
    for path in SAMPLE_FILES:
        assert load_document(path, SAMPLE_COURSE, LIMITS) == load_document(
            path, SAMPLE_COURSE, LIMITS
        )


def _random_markdown(rng: random.Random) -> str:
    words = ["acid", "base", "  ", "\t", "é", "🙂", "#", "`", "~~~", "```", "\r\n", "\n\n", "x"]
    lines = []
    for _ in range(rng.randint(0, 40)):
        kind = rng.random()
        if kind < 0.2:
            lines.append("#" * rng.randint(1, 7) + " " + " ".join(rng.choices(words, k=3)))
        elif kind < 0.3:
            lines.append(rng.choice(["```", "~~~", "````python"]))
        else:
            lines.append(" ".join(rng.choices(words, k=rng.randint(0, 12))))
    return "\n".join(lines)


def test_seeded_random_input_keeps_offsets_or_skips_cleanly(tmp_path: Path) -> None:
    """A fixed-seed fuzz: every format either loads consistently or raises SkipDocument."""
    rng = random.Random(20240601)
    limits = IngestLimits(max_text_chars=rng.randint(50, 400))
    for i in range(200):
        suffix = rng.choice([".md", ".txt", ".html", ".cnxml", ".pdf", ".docx"])
        path = tmp_path / f"f{i}{suffix}"
        if suffix in {".md", ".txt"}:
            path.write_text(_random_markdown(rng), encoding="utf-8")
        elif suffix == ".html":
            body = _random_markdown(rng).replace("#", "<h2>").replace("`", "<p>")
            path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        else:
            path.write_bytes(rng.randbytes(rng.randint(0, 600)))
        try:
            doc = load(path, limits)
        except SkipDocument as exc:
            assert str(exc) and "\n" not in str(exc)
            continue
        assert_consistent(doc)
        assert len(doc.text) <= limits.max_text_chars
