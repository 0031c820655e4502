"""Incremental, crash-safe, locked ingestion of course files into a course index."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.chunking import CHUNKER_VERSION, Chunker, embedding_text
from retrieval.course_index import (
    INDEX_FORMAT,
    CourseIndex,
    course_dir,
    current_build,
    publish_build,
    remove_stale_temporaries,
    write_build,
)
from retrieval.lexical import LEXICAL_VERSION
from retrieval.loaders import SUPPORTED_SUFFIXES, SkipDocument, load_document
from tutor.config import Settings
from tutor.errors import IngestLocked, TutorError
from tutor.protocols import Embedder
from tutor.safety.documents import SANITISER_VERSION, sanitise_document
from tutor.types import Chunk

log = logging.getLogger(__name__)
EMBED_BATCH = 256


@dataclass
class IngestReport:
    course: str
    documents: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    truncated: list[dict[str, str]] = field(default_factory=list)
    # Documents from which instruction-like text was removed (tutor.safety.documents).
    sanitised: list[dict[str, str]] = field(default_factory=list)
    embedded_chunks: int = 0  # chunks whose embedding was computed in this run
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "course": self.course,
            "documents": self.documents,
            "chunks": self.chunks,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "truncated": self.truncated,
            "sanitised": self.sanitised,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class _Found:
    path: Path
    root: Path
    rel: str


def discover(paths: Sequence[Path], report: IngestReport) -> list[_Found]:
    """Course files under ``paths``; hidden files and links are passed over with a reason."""
    found: dict[str, _Found] = {}
    for given in paths:
        if not given.exists():
            raise TutorError(f"{given} does not exist")
        if given.is_file():
            candidates: Iterable[Path] = [given]
            root = given.parent
        else:
            root = given
            candidates = sorted(p for p in given.rglob("*"))
        for path in candidates:
            rel = path.relative_to(root).as_posix()
            if any(part.startswith(".") for part in Path(rel).parts):
                continue
            if path.is_symlink():
                report.skipped.append({"path": rel, "reason": "symbolic link (not followed)"})
                continue
            if not path.is_file():
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                report.skipped.append(
                    {"path": rel, "reason": f"unsupported file type {path.suffix or '(none)'}"}
                )
                continue
            found[rel] = _Found(path, root, rel)
    return list(found.values())


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest(
    paths: Sequence[Path],
    *,
    course: str,
    settings: Settings,
    embedder: Embedder,
    prune: bool = False,
    lock_timeout: float = 0.0,
) -> IngestReport:
    """Index ``paths`` into ``course``: unchanged documents are kept without re-embedding."""
    from filelock import FileLock, Timeout

    started = time.perf_counter()
    folder = course_dir(settings.courses_dir, course)
    (folder / "builds").mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / "ingest.lock"), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise IngestLocked(
            f"another ingest of course {course!r} is running; try again when it has finished"
        ) from exc
    try:
        remove_stale_temporaries(folder)
        report = IngestReport(course=course)
        _ingest_locked(paths, folder, course, settings, embedder, prune, report)
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _ingest_locked(
    paths: Sequence[Path],
    folder: Path,
    course: str,
    settings: Settings,
    embedder: Embedder,
    prune: bool,
    report: IngestReport,
) -> None:
    previous = CourseIndex.load(course, build) if (build := current_build(folder)) else None
    chunk_settings = {
        "chunker_version": CHUNKER_VERSION,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "sanitiser_version": SANITISER_VERSION,
    }
    reusable = previous is not None and all(
        previous.manifest.get(k) == v
        for k, v in {**chunk_settings, "embedder": embedder.model_id}.items()
    )
    old_docs: dict[str, dict[str, Any]] = previous.documents if previous else {}
    old_chunks: dict[str, tuple[Chunk, np.ndarray]] = {}
    if previous is not None and reusable:
        for i, chunk in enumerate(previous.chunks):
            old_chunks[chunk.id] = (chunk, previous.embeddings[i])

    chunker = Chunker(
        embedder.count_tokens,
        chunk_tokens=min(settings.chunk_tokens, embedder.max_tokens - 16),
        overlap_tokens=settings.chunk_overlap,
    )
    documents: dict[str, dict[str, Any]] = {}
    doc_chunks: dict[str, list[Chunk]] = {}
    for item in discover(paths, report):
        try:
            size = item.path.stat().st_size
            if size > settings.limits.max_file_bytes:
                raise SkipDocument(
                    f"file is {size / 1e6:.1f} MB, over the limit of "
                    f"{settings.limits.max_file_bytes / 1e6:.1f} MB"
                )
            digest = file_hash(item.path)
        except (OSError, SkipDocument) as exc:
            report.skipped.append({"path": item.rel, "reason": str(exc)})
            continue
        old = old_docs.get(item.rel)
        if reusable and old is not None and old["hash"] == digest:
            documents[item.rel] = old
            doc_chunks[item.rel] = [old_chunks[cid][0] for cid in old["chunks"]]
            report.unchanged += 1
            continue
        try:
            loaded = load_document(item.path, item.root, settings.limits)
        except SkipDocument as exc:
            report.skipped.append({"path": item.rel, "reason": str(exc)})
            continue
        except Exception as exc:  # a loader bug must not stop the whole run
            log.exception("loader failed", extra={"path": item.rel})
            report.skipped.append({"path": item.rel, "reason": f"could not be read ({exc})"})
            continue
        if loaded.truncated:
            report.truncated.append(
                {
                    "path": item.rel,
                    "reason": f"text cut at {settings.limits.max_text_chars:,} characters",
                }
            )
        # Course files are untrusted: instructions hidden in them never reach the index.
        loaded, cues = sanitise_document(loaded)
        if cues:
            log.warning("instructions removed from a course document", extra={"path": item.rel})
            report.sanitised.append({"path": item.rel, "reason": "removed: " + ", ".join(cues)})
        chunks = chunker.chunk(_with_path(loaded, item.rel), course)
        documents[item.rel] = {
            "hash": digest,
            "title": loaded.title,
            "chunks": [c.id for c in chunks],
        }
        doc_chunks[item.rel] = chunks
        if old is None:
            report.added += 1
        else:
            report.updated += 1

    # Documents indexed before but not found now: removed with --prune, otherwise kept.
    for rel, old in old_docs.items():
        if rel in documents:
            continue
        if prune:
            report.removed += 1
        elif reusable and all(cid in old_chunks for cid in old["chunks"]):
            documents[rel] = old
            doc_chunks[rel] = [old_chunks[cid][0] for cid in old["chunks"]]
        else:  # indexed with other settings and not given now: cannot be carried over
            report.removed += 1

    all_chunks = _dedupe([c for rel in sorted(doc_chunks) for c in doc_chunks[rel]])
    report.documents = len(documents)
    report.chunks = len(all_chunks)
    changed = report.added or report.updated or report.removed
    if (
        previous is not None
        and reusable
        and not changed
        and len(all_chunks) == len(previous.chunks)
        and previous.manifest.get("lexical_version", 1) == LEXICAL_VERSION
    ):
        return  # nothing to do: the live build already holds exactly this

    embeddings = _embed(all_chunks, old_chunks, embedder, report)
    manifest = {
        "format": INDEX_FORMAT,
        "course": course,
        "embedder": embedder.model_id,
        "dimension": int(embedder.dimension),
        "normalized": True,
        **chunk_settings,
        "documents": len(documents),
        "chunks": len(all_chunks),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    build_id = f"{time.time_ns()}-{os.getpid()}"
    tmp = folder / "builds" / f".tmp-{build_id}"
    write_build(
        tmp,
        manifest=manifest,
        chunks=all_chunks,
        embeddings=embeddings,
        documents=documents,
        hnsw_threshold=settings.hnsw_threshold,
    )
    publish_build(folder, tmp, build_id)


def _with_path(loaded: Any, rel: str) -> Any:
    """Documents are identified by their path relative to the ingested folder."""
    from dataclasses import replace

    return loaded if loaded.path == rel else replace(loaded, path=rel)


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    seen: set[str] = set()
    out = []
    for chunk in chunks:
        if chunk.id not in seen:
            seen.add(chunk.id)
            out.append(chunk)
    return out


def _embed(
    chunks: list[Chunk],
    cached: dict[str, tuple[Chunk, np.ndarray]],
    embedder: Embedder,
    report: IngestReport,
) -> np.ndarray:
    dim = int(embedder.dimension)
    out = np.zeros((len(chunks), dim), dtype=np.float32)
    todo = []
    for i, chunk in enumerate(chunks):
        if chunk.id in cached:
            out[i] = cached[chunk.id][1]
        else:
            todo.append(i)
    for start in range(0, len(todo), EMBED_BATCH):
        rows = todo[start : start + EMBED_BATCH]
        out[rows] = embedder.embed([embedding_text(chunks[i]) for i in rows])
    report.embedded_chunks = len(todo)
    return out
