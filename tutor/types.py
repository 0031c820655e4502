"""Plain data types shared by retrieval, the pipeline and the user interfaces."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Mode = Literal["explain", "guide"]
MODES: tuple[Mode, ...] = ("explain", "guide")


@dataclass(frozen=True)
class LearnerContext:
    """What the tutor may use to adapt one reply: only what the learner can see and edit.

    ``language`` is a ``tutor.i18n`` code: the tutor's own messages use it and the model is asked
    to answer in it. ``level`` and ``hard_topics`` come from the learner's profile.
    """

    language: str = "en"
    level: str = ""
    hard_topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A structural part of a loaded document (a heading's body, a PDF page...).

    ``start`` and ``end`` are character offsets of ``text`` in the document's full text.
    """

    text: str
    heading: str = ""  # heading path, e.g. "Acids and bases > pH"
    page: int | None = None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader returns: the cleaned text of one file, split into sections."""

    path: str  # relative to the ingested root, with forward slashes
    title: str
    sections: list[Section]
    truncated: bool = False  # the per-document text limit cut it short

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough to embed and to quote as a source."""

    id: str  # hash of content + chunker version
    course: str
    document: str
    title: str
    heading: str
    page: int | None
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # the fused score used for ranking
    dense_score: float | None = None  # cosine similarity, when the dense ranker found it
    bm25_score: float | None = None


@dataclass(frozen=True)
class Source:
    """A numbered source as shown to the learner and returned by ``tutor ask --json``."""

    n: int
    document: str
    title: str
    heading: str
    page: int | None
    score: float
    text: str
    chunk_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "document": self.document,
            "title": self.title,
            "heading": self.heading,
            "page": self.page,
            "score": round(self.score, 4),
            "text": self.text,
        }


@dataclass(frozen=True)
class ChatTurn:
    """One earlier exchange of the same chat, used as conversation memory."""

    question: str
    answer: str


@dataclass
class Answer:
    """The complete result of one question."""

    answer: str
    mode: Mode
    sources: list[Source]
    model: str
    not_covered: bool = False
    refused: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    question: str = ""  # the question as used and stored (after truncation and PII redaction)
    # Safety decisions, each {"category", "layer", "action", "score", "source", "severity",
    # "detail"}; see tutor.safety.decisions.Decision.
    safety: list[dict[str, Any]] = field(default_factory=list)
    prompt_hash: str = ""  # hash of the prompt templates that produced the answer

    @property
    def safety_action(self) -> str:
        """The action that governed this answer: "allow", "redact", "guide", "advise",
        "helpline", "refuse", "replace" or "fail_closed" (see ``tutor.safety.decisions``)."""
        from tutor.safety.decisions import ACTION_ORDER

        actions = {d.get("action", "allow") for d in self.safety}
        return next((a for a in ACTION_ORDER if a in actions), "allow")

    @property
    def flagged(self) -> bool:
        """True when a teacher should look at this turn (a high-severity decision)."""
        return any(d.get("severity") == "high" for d in self.safety)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "mode": self.mode,
            "refused": self.refused,
            "not_covered": self.not_covered,
            "sources": [s.to_json() for s in self.sources],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }
