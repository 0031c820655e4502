"""Pure functions that turn answers and sources into the Markdown/HTML shown in the chat.

Everything that comes from course files (titles, headings, snippets) is HTML-escaped here. The
model's own answer stays Markdown (Gradio sanitises it), but Markdown and HTML images are turned
into plain text so that injected text cannot make the browser fetch a URL. The tutor's own words
(notes, "Sources", "page") come from the ``chat`` catalog in the learner's language.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from tutor.i18n import text
from tutor.types import Answer, Source

SNIPPET_CHARS = 240  # how much of each source is shown under an answer
NOT_COVERED_NOTE = text("chat.not_covered_note")
REFUSED_NOTE = text("chat.refused_note")

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_HTML_IMAGE = re.compile(r"<\s*(img|image|picture|source|video|audio|iframe|object|embed)\b", re.I)
_SOURCES_BLOCK = re.compile(r"<details class=\"tutor-sources\".*?</details>", re.S)
_TAG = re.compile(r"<[^>]+>")
_MARKUP = re.compile(r"(\*\*|__|`)")


def escape(text: str) -> str:
    """HTML-escape ``text``, quotes included."""
    return html.escape(text, quote=True)


def neutralise_media(markdown: str) -> str:
    """Replace Markdown images by their alt text and defuse HTML media tags."""
    text = _MD_IMAGE.sub(lambda m: m.group(1), markdown)
    return _HTML_IMAGE.sub(lambda m: "&lt;" + m.group(0).lstrip("<"), text)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of ``text`` on one line, cut at a word boundary, with an ellipsis if cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


def source_place(source: Source) -> str:
    """``title > heading`` (whichever are present), or the document path."""
    title, heading = source.title.strip(), source.heading.strip()
    if title and (heading == title or heading.startswith(title + " > ")):
        title = ""  # the heading path already starts with the document's title
    place = " > ".join(part for part in (title, heading) if part)
    return place or source.document


def render_source(source: Source, language: str = "en") -> str:
    """One source as a list item of HTML (escaped, on one line).

    The course's own words (place and snippet) take their direction from their text
    (``dir="auto"``), so an English source reads correctly on a right-to-left page.
    """
    details = []
    if source.page is not None:
        details.append(text("chat.source_page", language, page=source.page))
    details.append(text("chat.source_score", language, score=f"{source.score:.2f}"))
    return (
        f'<li><strong dir="auto">[{source.n}] {escape(source_place(source))}</strong> '
        f'<span class="tutor-source-meta">({escape(", ".join(details))})</span>'
        f'<br><span class="tutor-snippet" dir="auto">{escape(snippet(source.text))}</span></li>'
    )


def render_sources(sources: Sequence[Source], language: str = "en") -> str:
    """A collapsible, numbered list of sources, or "" when there are none.

    The HTML holds no blank line, so Markdown renderers keep it as one HTML block.
    """
    if not sources:
        return ""
    items = "".join(render_source(s, language) for s in sources)
    summary = escape(text("chat.sources", language, count=len(sources)))
    return (
        f'<details class="tutor-sources" open><summary>{summary}</summary>'
        f'<ul class="tutor-source-list">{items}</ul></details>'
    )


def render_streaming(text: str) -> str:
    """The partial answer while it streams in."""
    return neutralise_media(text) or "…"


def render_answer(answer: Answer, language: str = "en") -> str:
    """The complete answer: a note when it is not covered or refused, the text, the sources."""
    parts = []
    if answer.not_covered:
        parts.append(f"**{text('chat.not_covered_note', language)}.**")
    elif answer.refused:
        parts.append(f"**{text('chat.refused_note', language)}.**")
    parts.append(neutralise_media(answer.answer.strip()) or "…")
    sources = render_sources(answer.sources, language)
    if sources:
        parts.append(sources)
    return "\n\n".join(parts)


def render_error(message: str, language: str = "en") -> str:
    """A polite message for a problem the learner or their teacher can act on."""
    return text("chat.error_prefix", language, message=escape(message))


def plain_text(shown: str) -> str:
    """A shown message as plain text for a screen reader's announcement: the answer and its
    notes without the list of sources, tags or Markdown emphasis, on one line."""
    without_sources = _SOURCES_BLOCK.sub(" ", shown)
    bare = html.unescape(_TAG.sub(" ", without_sources))
    return " ".join(_MARKUP.sub("", bare).split())
