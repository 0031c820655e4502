"""CNXML (OpenStax modules): sections with titles, paragraphs, lists, notes, exercises, tables.

MathML is written as linear text (``mass/volume``, ``x^2``), ``<sub>`` joins without spaces
(H2O), ``<sup>`` uses superscript characters where they exist (10⁻³). Media is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from retrieval.loaders.base import (
    HARD_BREAK,
    RawSection,
    SkipDocument,
    clean_title,
    collapse,
    heading_path,
)

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
SKIPPED = frozenset({"media", "image", "iframe", "object", "flash", "video", "audio", "download",
                     "metadata", "label", "colspec", "spanspec"})  # fmt: skip
BLOCKS = frozenset({
    "para", "item", "list", "equation", "caption", "problem", "solution", "exercise", "note",
    "example", "table", "tgroup", "thead", "tbody", "row", "figure", "subfigure", "definition",
    "meaning", "glossary", "content", "document", "rule", "statement", "proof", "commentary",
    "quote", "preformatted", "seealso",
})  # fmt: skip
INLINE_PARENTS = frozenset({"para", "item", "entry", "emphasis", "term", "link", "caption",
                            "meaning", "quote", "footnote", "title", "sub", "sup"})  # fmt: skip
_SUPERSCRIPT = str.maketrans("0123456789+-−=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿ")
_SUPERSCRIPTABLE = re.compile(r"[0-9+\-−=()n]+")
_NO_TEXT_LINK = "\ue001"  # a cross-reference <link/> without text: dropped with its brackets
_EMPTY_REFERENCE = re.compile(r"\s*\((?:see\s+)?\ue001\s*\)|\ue001")


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments and processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def _is_math(el: Any) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith("{" + MATHML_NS + "}")


def _wrap(text: str) -> str:
    return f"({text})" if re.search(r"[\s+\-−*/=×·]", text) else text


def math_text(el: Any) -> str:
    """A MathML element as one line of linear text."""
    name = _local(el)
    kids = [c for c in el if isinstance(c.tag, str)]
    if name in {"mi", "mn", "mo", "mtext", "ms"}:
        return " ".join("".join(el.itertext()).split())
    if name == "mspace":
        return " "
    if name in {"annotation", "annotation-xml", "none", "mprescripts"}:
        return ""
    if name == "semantics":
        return math_text(kids[0]) if kids else ""
    parts = [math_text(k) for k in kids]
    if name == "mfrac" and len(parts) == 2:
        return f"{_wrap(parts[0])}/{_wrap(parts[1])}"
    if name == "msup" and len(parts) == 2:
        return f"{parts[0]}^{_wrap(parts[1])}"
    if name == "msub" and len(parts) == 2:
        return parts[0] + parts[1]
    if name == "msubsup" and len(parts) == 3:
        return f"{parts[0]}{parts[1]}^{_wrap(parts[2])}"
    if name == "msqrt":
        return f"√({' '.join(parts)})"
    if name == "mroot" and len(parts) == 2:
        return f"{parts[1]}√({parts[0]})"
    if name == "mfenced":
        separator = el.get("separators", ",")[:1] or ","
        return el.get("open", "(") + f"{separator} ".join(parts) + el.get("close", ")")
    if name == "mtable":
        return "; ".join(p for p in parts if p.strip())
    return " ".join(" ".join(parts).split())


def _superscript(text: str) -> str:
    text = text.strip()
    if _SUPERSCRIPTABLE.fullmatch(text):
        return text.translate(_SUPERSCRIPT)
    return f"^{_wrap(text)}" if text else ""


def _code_text(el: Any) -> str:
    parts = [el.text or ""]
    for child in el:
        parts.append("\n" if _local(child) == "newline" else "".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def _is_block_code(el: Any) -> bool:
    if el.get("display") == "block":
        return True
    if "inline" in (el.get("class") or "") or el.get("display") == "inline":
        return False
    parent = el.getparent()
    if parent is None or _local(parent) not in INLINE_PARENTS:
        return True
    return "\n" in _code_text(el).strip()


class _Walker:
    def __init__(self, title: str) -> None:
        self.stack = [title]
        self.sections: list[RawSection] = []
        self.blocks: list[str] = []
        self.inline: list[str] = []

    def flush(self) -> None:
        if self.inline:
            text = collapse(_EMPTY_REFERENCE.sub("", "".join(self.inline)))
            if text:
                self.blocks.append(text)
        self.inline = []

    def end_section(self) -> None:
        self.flush()
        if self.blocks:
            self.sections.append(RawSection(heading_path(self.stack), "\n\n".join(self.blocks)))
        self.blocks = []

    def children(self, el: Any, skip_title: bool = False) -> None:
        if el.text:
            self.inline.append(el.text)
        for child in el:
            if skip_title and _local(child) == "title":
                skip_title = False
            else:
                self.walk(child)
            if child.tail:
                self.inline.append(child.tail)

    def section(self, el: Any, title: str) -> None:
        self.end_section()
        self.stack.append(title)
        self.children(el, skip_title=True)
        self.end_section()
        self.stack.pop()

    def walk(self, el: Any) -> None:
        name = _local(el)
        if _is_math(el):
            self.inline.append(f" {math_text(el)} ")
        elif not name or name in SKIPPED:
            return
        elif name == "section":
            title = el.find("{*}title")
            self.section(el, clean_title("".join(title.itertext())) if title is not None else "")
        elif name == "code" and _is_block_code(el):
            self.flush()
            self.blocks.append(_code_text(el).strip("\n"))
        elif name == "newline":
            self.inline.append(HARD_BREAK)
        elif name == "sup":
            self.inline.append(_superscript("".join(el.itertext())))
        elif name == "definition":
            self.flush()
            for child in el:  # "term: meaning" on one line
                if _local(child) == "meaning":
                    self.inline.append(": ")
                    self.children(child)
                else:
                    self.walk(child)
            self.flush()
        elif name == "link" and "os-embed" in (el.get("class") or ""):
            return
        elif name == "link" and not "".join(el.itertext()).strip():
            self.inline.append(_NO_TEXT_LINK)
        else:
            if name == "entry":
                previous = el.getprevious()
                if previous is not None and _local(previous) == "entry":
                    self.inline.append(" | ")
            block = name in BLOCKS or name == "title"
            if block:
                self.flush()
            self.children(el)
            if block:
                self.flush()


def load_cnxml(data: bytes, path: Path) -> tuple[str, list[RawSection]]:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except Exception as exc:
        raise SkipDocument("not a readable CNXML file (malformed XML)") from exc
    if root is None or _local(root) != "document":
        raise SkipDocument("not a CNXML document (no <document> root element)")
    title_el = root.find("{*}title")
    if title_el is None:
        title_el = root.find("{*}metadata/{*}title")
    title = clean_title("".join(title_el.itertext())) if title_el is not None else ""
    title = title or path.stem
    walker = _Walker(title)
    try:
        for part in root:
            name = _local(part)
            if name == "content":
                walker.children(part)
                walker.end_section()
            elif name == "glossary":
                walker.section(part, "Glossary")
    except RecursionError as exc:
        raise SkipDocument("not a readable CNXML file (nested too deeply)") from exc
    return title, walker.sections
