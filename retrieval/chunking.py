"""Structure-aware chunking: sections (headings, PDF pages) split by embedder tokens.

Each section of a loaded document is split on its own, so a chunk never straddles two headings
or two pages. Sizes and overlap are counted in the embedder's own tokens, so no chunk is cut
short when it is embedded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

from tutor.types import Chunk, LoadedDocument

# Bump when chunk boundaries or ids change: every chunk id (and so every cached embedding)
# depends on it.
CHUNKER_VERSION = "1"


def chunk_id(document: str, heading: str, text: str) -> str:
    key = "\x1f".join((CHUNKER_VERSION, document, heading, text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class Chunker:
    def __init__(
        self, count_tokens: Callable[[str], int], *, chunk_tokens: int, overlap_tokens: int
    ) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        if overlap_tokens >= chunk_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        # Short pieces (single words during recursive splitting) repeat a lot: cache them.
        cached = lru_cache(maxsize=65_536)(count_tokens)
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            length_function=lambda text: cached(text) if len(text) < 64 else count_tokens(text),
            separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
            keep_separator="end",
        )

    def chunk(self, document: LoadedDocument, course: str) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in document.sections:
            cursor = 0
            for piece in self._splitter.split_text(section.text):
                text = piece.strip()
                if not text:
                    continue
                # Pieces are substrings in order (overlapping): find each after the previous one.
                found = section.text.find(text, cursor)
                if found < 0:
                    found = max(section.text.find(text), 0)
                cursor = found + 1
                start = section.start + found
                chunks.append(
                    Chunk(
                        id=chunk_id(document.path, section.heading, text),
                        course=course,
                        document=document.path,
                        title=document.title,
                        heading=section.heading,
                        page=section.page,
                        start=start,
                        end=start + len(text),
                        text=text,
                    )
                )
        return chunks


def place_of(chunk: Chunk) -> str:
    """ "Title > Heading > Subheading", without repeating a title the heading path starts with."""
    if not chunk.heading or chunk.heading == chunk.title:
        return chunk.title
    if chunk.heading.startswith(chunk.title + " > ") or not chunk.title:
        return chunk.heading
    return f"{chunk.title} > {chunk.heading}"


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its place in the document, then its text."""
    place = place_of(chunk)
    return f"{place}\n{chunk.text}" if place else chunk.text
