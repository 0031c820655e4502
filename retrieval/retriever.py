"""Hybrid retrieval: dense (FAISS) and lexical (BM25) rankings fused by reciprocal rank.

The relevance gate uses the dense cosine similarity of the best passage: below
``min_relevance`` the course material is taken not to cover the question.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from retrieval.course_index import CourseIndex, course_dir, current_build
from tutor.protocols import Embedder
from tutor.types import ScoredChunk

Method = Literal["hybrid", "dense", "bm25"]
RRF_K = 60  # the usual reciprocal-rank-fusion constant


@dataclass(frozen=True)
class Retrieval:
    results: list[ScoredChunk]
    best_dense: float  # highest cosine similarity among all chunks' dense candidates

    def covered(self, min_relevance: float) -> bool:
        return bool(self.results) and self.best_dense >= min_relevance


class Retriever:
    """Answers queries over any course under ``courses_dir``; reloads a course after a re-ingest."""

    def __init__(
        self, courses_dir: Path, embedder: Embedder, *, candidates: int = 20, top_k: int = 4
    ) -> None:
        self.courses_dir = courses_dir
        self.embedder = embedder
        self.candidates = candidates
        self.top_k = top_k
        self._loaded: dict[str, CourseIndex] = {}
        self._lock = threading.Lock()

    def index(self, course: str) -> CourseIndex:
        """The live build of ``course``, loaded once and reloaded when CURRENT moves."""
        build = current_build(course_dir(self.courses_dir, course))
        with self._lock:
            cached = self._loaded.get(course)
            if cached is not None and build is not None and cached.build == build:
                return cached
        loaded = CourseIndex.open(self.courses_dir, course)
        loaded.check_embedder(self.embedder.model_id, int(self.embedder.dimension))
        with self._lock:
            self._loaded[course] = loaded
        return loaded

    def retrieve(
        self, query: str, course: str, *, k: int | None = None, method: Method = "hybrid"
    ) -> Retrieval:
        index = self.index(course)
        k = k or self.top_k
        if not index.chunks or not query.strip():
            return Retrieval([], 0.0)
        qvec = self.embedder.embed([query], query=True)
        n_cand = min(max(self.candidates, k), len(index.chunks))
        dense_rank: list[int] = []
        if method in ("hybrid", "dense"):
            _, rows = index.dense.search(qvec, n_cand)
            dense_rank = [int(r) for r in rows[0] if r >= 0]
        bm25_rank: list[int] = []
        bm25 = index.bm25_scores(query) if method in ("hybrid", "bm25") else None
        if bm25 is not None and len(bm25):
            top = np.argpartition(-bm25, n_cand - 1)[:n_cand]
            bm25_rank = [int(i) for i in top[np.argsort(-bm25[top], kind="stable")] if bm25[i] > 0]

        fused: dict[int, float] = {}
        for ranking in (dense_rank, bm25_rank):
            for rank, row in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda r: (-fused[r], r))[:k]
        # Exact cosine for every returned passage, from the stored normalised embeddings.
        cosines = index.embeddings[order] @ qvec[0] if order else np.zeros(0)
        if dense_rank:  # FAISS's first hit is the most similar passage of the whole course
            best_dense = float(index.embeddings[dense_rank[0]] @ qvec[0])
        else:
            best_dense = float(cosines.max()) if len(cosines) else 0.0
        results = [
            ScoredChunk(
                chunk=index.chunks[row],
                score=float(cosines[i]),
                dense_score=float(cosines[i]),
                bm25_score=float(bm25[row]) if bm25 is not None and len(bm25) else None,
            )
            for i, row in enumerate(order)
        ]
        return Retrieval(results, best_dense)
