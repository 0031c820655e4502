"""A course's topics (the headings of its index) and the passages on a topic."""

from __future__ import annotations

from retrieval.chunking import place_of
from retrieval.retriever import Retriever
from tutor.errors import TutorError
from tutor.types import Chunk

PASSAGES = 6  # passages a practice round draws its questions from


class NothingOnTopic(TutorError):
    """The course material has nothing on the topic asked for."""


def course_headings(retriever: Retriever, course: str) -> list[str]:
    """Every heading place ("Title > Heading") of the course, in course order, once each."""
    seen: dict[str, None] = {}
    for chunk in retriever.index(course).chunks:
        place = place_of(chunk)
        if place:
            seen.setdefault(place, None)
    return list(seen)


def passages_on(
    retriever: Retriever, course: str, topic: str, *, min_relevance: float, k: int = PASSAGES
) -> list[Chunk]:
    """The passages under the heading ``topic`` (when it is one of the course's), then the
    passages retrieval finds for it, best first; ``NothingOnTopic`` when there are none."""
    topic = " ".join((topic or "").split())
    if not topic:
        raise NothingOnTopic("choose or type a topic first")
    chosen: dict[str, Chunk] = {}
    wanted = topic.casefold()
    for chunk in retriever.index(course).chunks:
        place = place_of(chunk).casefold()
        if place == wanted or place.startswith(wanted + " > "):
            chosen.setdefault(chunk.id, chunk)
    found = retriever.retrieve(topic, course, k=k)
    if found.covered(min_relevance):
        for hit in found.results:
            chosen.setdefault(hit.chunk.id, hit.chunk)
    if not chosen:
        raise NothingOnTopic(
            f"the course material has nothing on {topic!r}; pick a topic from the list"
        )
    return list(chosen.values())[: max(k, 1)]


__all__ = ["PASSAGES", "NothingOnTopic", "course_headings", "passages_on"]
