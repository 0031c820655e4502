"""Pure functions that turn answers and sources into the Markdown/HTML shown in the chat.

Everything that comes from course files (titles, headings, snippets) is HTML-escaped here. The
model's own answer stays Markdown (Gradio sanitises it), but Markdown and HTML images are turned
into plain text so that injected text cannot make the browser fetch a URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from tutor.types import Answer, Source

SNIPPET_CHARS = 240  # how much of each source is shown under an answer
NOT_COVERED_NOTE = "Not covered by the course material"
REFUSED_NOTE = "The tutor did not answer this question"

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_HTML_IMAGE = re.compile(r"<\s*(img|image|picture|source|video|audio|iframe|object|embed)\b", re.I)


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


def render_source(source: Source) -> str:
    """One source as a list item of HTML (escaped, on one line)."""
    details = [f"page {source.page}"] if source.page is not None else []
    details.append(f"score {source.score:.2f}")
    return (
        f"<li><strong>[{source.n}] {escape(source_place(source))}</strong> "
        f'<span class="tutor-source-meta">({escape(", ".join(details))})</span>'
        f'<br><span class="tutor-snippet">{escape(snippet(source.text))}</span></li>'
    )


def render_sources(sources: Sequence[Source]) -> str:
    """A collapsible, numbered list of sources, or "" when there are none.

    The HTML holds no blank line, so Markdown renderers keep it as one HTML block.
    """
    if not sources:
        return ""
    items = "".join(render_source(s) for s in sources)
    return (
        f'<details class="tutor-sources" open><summary>Sources ({len(sources)})</summary>'
        f'<ul class="tutor-source-list">{items}</ul></details>'
    )


def render_streaming(text: str) -> str:
    """The partial answer while it streams in."""
    return neutralise_media(text) or "…"


def render_answer(answer: Answer) -> str:
    """The complete answer: a note when it is not covered or refused, the text, the sources."""
    parts = []
    if answer.not_covered:
        parts.append(f"**{NOT_COVERED_NOTE}.**")
    elif answer.refused:
        parts.append(f"**{REFUSED_NOTE}.**")
    parts.append(neutralise_media(answer.answer.strip()) or "…")
    sources = render_sources(answer.sources)
    if sources:
        parts.append(sources)
    return "\n\n".join(parts)


def render_error(message: str) -> str:
    """A polite message for a problem the learner or their teacher can act on."""
    return f"Sorry, I could not answer that: {escape(message)}"
