"""HTML: visible text only, split into sections at h1-h6.

Scripts, styles, embedded objects, forms and hidden elements are removed before any text is
read; attributes (``on*`` handlers, ``javascript:`` URLs) are never read at all, and links whose
target is a script are dropped with their text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from retrieval.loaders.base import HARD_BREAK, RawSection, clean_title, collapse, heading_path
from retrieval.loaders.limits import decode_text

DROPPED_TAGS = frozenset(
    {
        "script", "style", "noscript", "iframe", "object", "embed", "template", "svg",
        "form", "head", "title", "meta", "link", "canvas", "audio", "video", "map", "applet",
        "frame", "frameset", "button", "select", "input", "textarea", "dialog",
    }
)  # fmt: skip
VOID_TAGS = frozenset({"embed", "input", "meta", "link"})  # no content of their own
HEADINGS = {f"h{n}": n for n in range(1, 7)}
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hr", "html", "li",
        "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead",
        "tfoot", "tr", "ul",
    }
)  # fmt: skip
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _attr(tag: Any, name: str) -> str:
    value = tag.attrs.get(name) if tag.attrs else None
    if value is None:
        return ""
    return " ".join(value) if isinstance(value, list) else str(value)


def _is_dropped(tag: Any) -> bool:
    if tag.name in DROPPED_TAGS:
        return True
    if tag.attrs:
        if "hidden" in tag.attrs or _attr(tag, "aria-hidden").lower() == "true":
            return True
        if _HIDDEN_STYLE.search(_attr(tag, "style")):
            return True
        if tag.name == "a" and _SCRIPT_URL.match(_attr(tag, "href")):
            return True
    return False


def _after(node: Any, root: Any) -> Any:
    """The first node after ``node`` and all its descendants, staying inside ``root``."""
    while node is not None and node is not root:
        if node.next_sibling is not None:
            return node.next_sibling
        node = node.parent
    return None


class _Collector:
    """Gathers paragraphs into sections while the tree is walked in document order."""

    def __init__(self) -> None:
        self.sections: list[RawSection] = []
        self.stack: list[str] = []
        self.paragraphs: list[str] = []
        self.parts: list[str] = []
        self.block: Any = None
        self.verbatim = False

    def flush_paragraph(self) -> None:
        if self.parts:
            text = "".join(self.parts)
            text = text.strip("\n") if self.verbatim else collapse(text)
            if text.strip():
                self.paragraphs.append(text)
        self.parts = []

    def flush_section(self) -> None:
        self.flush_paragraph()
        if self.paragraphs:
            self.sections.append(RawSection(heading_path(self.stack), "\n\n".join(self.paragraphs)))
        self.paragraphs = []

    def heading(self, level: int, text: str) -> None:
        self.flush_section()
        self.block = None
        del self.stack[level - 1 :]
        self.stack.extend([""] * (level - 1 - len(self.stack)))
        self.stack.append(text)

    def text(self, block: Any, verbatim: bool, value: str) -> None:
        if block is not self.block:
            self.flush_paragraph()
            self.block, self.verbatim = block, verbatim
        self.parts.append(value)


def load_html(data: bytes, path: Path) -> tuple[str, list[RawSection]]:
    from bs4 import BeautifulSoup
    from bs4.element import NavigableString, PreformattedString, Tag

    soup = BeautifulSoup(decode_text(data), "lxml")
    head_title = soup.head.find("title") if soup.head else None  # not a scan of the body
    title = clean_title(head_title.get_text(" ")) if head_title else ""
    for tag in soup.find_all(_is_dropped):
        if tag.decomposed:
            continue
        if tag.name in VOID_TAGS:
            tag.unwrap()  # lxml may nest the rest of the page inside an unclosed <embed>
        else:
            tag.decompose()
    root = soup.body or soup

    out = _Collector()
    block_of: dict[int, Any] = {id(root): root}
    verbatim_of: dict[int, bool] = {id(root): False}
    end = _after(root, None) if root is not soup else None
    node = root.next_element
    while node is not None and node is not end:
        if isinstance(node, Tag):
            parent = node.parent
            name = node.name
            if name in HEADINGS:
                heading = clean_title(node.get_text(" "))
                if name == "h1" and not title:
                    title = heading
                out.heading(HEADINGS[name], heading)
                node = _after(node, root)
                continue
            block_of[id(node)] = node if name in BLOCK_TAGS else block_of.get(id(parent), root)
            verbatim_of[id(node)] = name == "pre" or verbatim_of.get(id(parent), False)
            if name == "br":
                out.text(block_of[id(node)], verbatim_of[id(node)], HARD_BREAK)
            elif name in {"td", "th"} and out.block is block_of[id(node)] and out.parts:
                out.text(block_of[id(node)], False, " | ")
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parent = node.parent
            out.text(
                block_of.get(id(parent), root),
                verbatim_of.get(id(parent), False),
                str(node),
            )
        node = node.next_element
    out.flush_section()
    return title or path.stem, out.sections
