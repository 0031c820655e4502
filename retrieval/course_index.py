"""One course's index on disk: immutable builds behind an atomically swapped pointer.

Layout under ``<home>/courses/<course>/``::

    CURRENT                 name of the live build (replaced atomically with os.replace)
    ingest.lock             held by the one ingest allowed at a time
    builds/<id>/            manifest.json, chunks.jsonl, embeddings.npy, documents.json,
                            dense.faiss, bm25/
    builds/.tmp-<id>/       a build being written; never read, removed by the next ingest

A reader resolves CURRENT once and loads that build fully into memory, so a concurrent swap or a
crash in the middle of an ingest never shows it a half-written index.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.bm25_scores import SavedBm25
from retrieval.lexical import LEXICAL_VERSION, lexical_tokens
from retrieval.vector_index import FaissIndex, VectorIndex
from tutor.errors import CourseNotFound, IndexMismatch, TutorError
from tutor.types import Chunk

log = logging.getLogger(__name__)
INDEX_FORMAT = 1
_COURSE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_course_name(name: str) -> str:
    if not _COURSE_NAME.fullmatch(name) or ".." in name:
        raise TutorError(
            f"invalid course name {name!r}: use letters, digits, '-', '_' or '.', at most 64"
        )
    return name


def course_dir(courses_dir: Path, course: str) -> Path:
    return courses_dir / check_course_name(course)


def list_courses(courses_dir: Path) -> list[str]:
    if not courses_dir.is_dir():
        return []
    return sorted(p.name for p in courses_dir.iterdir() if (p / "CURRENT").is_file())


def current_build(folder: Path) -> Path | None:
    try:
        name = (folder / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    build = folder / "builds" / name
    return build if name and build.is_dir() else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def publish_build(folder: Path, tmp_build: Path, build_id: str, keep_old: int = 1) -> Path:
    """Make a fully written temporary build the live one, atomically, and drop old builds."""
    builds = folder / "builds"
    final = builds / build_id
    os.replace(tmp_build, final)
    _fsync_dir(builds)
    pointer_tmp = folder / "CURRENT.tmp"
    _write_file(pointer_tmp, build_id.encode("utf-8"))
    os.replace(pointer_tmp, folder / "CURRENT")
    _fsync_dir(folder)
    # Keep the newest previous build(s): a reader that resolved CURRENT just before the swap
    # may still be loading one.
    older = sorted(
        (p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in [p for p in older if p.name != build_id][keep_old:]:
        shutil.rmtree(stale, ignore_errors=True)
    return final


def remove_stale_temporaries(folder: Path) -> None:
    builds = folder / "builds"
    if builds.is_dir():
        for tmp in builds.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)


def write_build(
    target: Path,
    *,
    manifest: dict[str, Any],
    chunks: list[Chunk],
    embeddings: np.ndarray,
    documents: dict[str, dict[str, Any]],
    hnsw_threshold: int,
) -> None:
    """Write every file of a build into ``target`` (a fresh temporary folder) and fsync them."""
    target.mkdir(parents=True)
    lines = "".join(json.dumps(c.to_dict(), ensure_ascii=False) + "\n" for c in chunks)
    _write_file(target / "chunks.jsonl", lines.encode("utf-8"))
    with open(target / "embeddings.npy", "wb") as handle:
        np.save(handle, np.ascontiguousarray(embeddings, dtype=np.float32))
        handle.flush()
        os.fsync(handle.fileno())
    dense = FaissIndex.build(embeddings, hnsw_threshold=hnsw_threshold)
    dense.save(target / "dense.faiss")
    if chunks:
        _build_bm25(chunks).save(str(target / "bm25"), show_progress=False)
    manifest = {**manifest, "index_type": dense.kind, "lexical_version": LEXICAL_VERSION}
    _write_file(target / "documents.json", json.dumps(documents, indent=1).encode("utf-8"))
    _write_file(target / "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
    for sub in (target / "bm25",):
        if sub.is_dir():
            for f in sub.iterdir():
                with open(f, "rb+") as handle:
                    os.fsync(handle.fileno())
    _fsync_dir(target)


def _lexical_text(chunk: Chunk) -> str:
    return f"{chunk.title} {chunk.heading} {chunk.text}"


def _build_bm25(chunks: list[Chunk]) -> Any:
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index([lexical_tokens(_lexical_text(c)) for c in chunks], show_progress=False)
    return bm25


@dataclass
class CourseIndex:
    """A loaded, read-only build of one course."""

    course: str
    build: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    embeddings: np.ndarray
    documents: dict[str, dict[str, Any]]
    dense: VectorIndex
    bm25: Any  # SavedBm25 (a re-tokenised old build: bm25s.BM25), or None for an empty course

    @classmethod
    def open(cls, courses_dir: Path, course: str) -> CourseIndex:
        folder = course_dir(courses_dir, course)
        build = current_build(folder)
        if build is None:
            known = ", ".join(list_courses(courses_dir)) or "none yet"
            raise CourseNotFound(
                f"course {course!r} has no index; run `tutor ingest PATH --course {course}` "
                f"(indexed courses: {known})"
            )
        return cls.load(course, build)

    @classmethod
    def load(cls, course: str, build: Path) -> CourseIndex:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != INDEX_FORMAT:
            raise IndexMismatch(
                f"course {course!r} was indexed by an incompatible version; re-run tutor ingest"
            )
        with open(build / "chunks.jsonl", encoding="utf-8") as handle:
            chunks = [Chunk.from_dict(json.loads(line)) for line in handle if line.strip()]
        embeddings = np.load(build / "embeddings.npy")
        documents = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        dense = FaissIndex.load(build / "dense.faiss", manifest["index_type"])
        bm25 = None
        if chunks and manifest.get("lexical_version", 1) != LEXICAL_VERSION:
            # Built by an older tokeniser: its stored tokens would not match today's queries.
            # Re-tokenise the chunks in memory (seconds); the next ingest that writes a build
            # (one that changes the course) stores the new tokens.
            log.warning(
                "re-tokenising the BM25 index of a course built with an older tokeniser",
                extra={
                    "course": course,
                    "built_with": manifest.get("lexical_version", 1),
                    "current": LEXICAL_VERSION,
                },
            )
            bm25 = _build_bm25(chunks)
        elif chunks:
            bm25 = SavedBm25.load(build / "bm25")  # bm25s's scores without importing it
        return cls(course, build, manifest, chunks, embeddings, documents, dense, bm25)

    def check_embedder(self, model_id: str, dimension: int) -> None:
        built_with = self.manifest.get("embedder")
        if built_with != model_id or self.manifest.get("dimension") != dimension:
            raise IndexMismatch(
                f"course {self.course!r} was indexed with the embedder {built_with!r} "
                f"(dimension {self.manifest.get('dimension')}), but {model_id!r} "
                f"(dimension {dimension}) is configured; re-ingest the course or configure "
                f"TUTOR_EMBEDDER={built_with}"
            )

    def bm25_scores(self, query: str) -> np.ndarray:
        if self.bm25 is None:
            return np.zeros(0, dtype=np.float32)
        tokens = lexical_tokens(query)
        if not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
