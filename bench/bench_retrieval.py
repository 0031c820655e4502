"""Ingest throughput and retrieval latency with the real default embedder.

    python -m bench.bench_retrieval [--sizes 10000,100000] [--queries 200] [--json]

Ingest: every SQuAD 2.0 dev paragraph (../shared/data) written as a text file, ingested into a
fresh course with the real embedder: chunks per second, end to end (load, chunk, embed, write).

Retrieval: courses of 10k and 100k chunks. Embedding 100k chunks would take this 2-core machine
most of an hour, so the large courses are made from the real SQuAD chunks and their real
embeddings, repeated with a small random jitter on the vectors and a copy number on the text, and
written by the same build writer as ``tutor ingest``. The timed call is the tutor's own
``Retriever.retrieve`` on real SQuAD questions: the query embedding is timed on its own, then the
search (FAISS + BM25 + fusion) per course size; ``total`` is their sum per question.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import squad_paragraphs, squad_questions, summary_ms, write_result
from retrieval.course_index import CourseIndex, course_dir, publish_build, write_build
from retrieval.embedders import load_embedder
from retrieval.ingest import ingest
from retrieval.retriever import Retriever
from tutor.config import Settings


def bench_ingest(settings: Settings, root: Path) -> dict[str, float]:
    course = root / "squad"
    course.mkdir()
    for i, (title, text) in enumerate(squad_paragraphs()):
        (course / f"{i:05d}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    embedder = load_embedder(settings)
    embedder.embed(["warm up"])  # exclude the model load from the throughput
    report = ingest([course], course="squad", settings=settings, embedder=embedder)
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "seconds": round(report.seconds, 2),
        "chunks_per_s": round(report.chunks / report.seconds, 1),
    }


def grow_course(settings: Settings, base: CourseIndex, size: int, name: str) -> None:
    rng = np.random.default_rng(0)
    copies = -(-size // len(base.chunks))
    chunks, vectors = [], []
    for copy in range(copies):
        for chunk in base.chunks:
            chunks.append(
                replace(
                    chunk, id=f"{chunk.id}-{copy}", course=name, text=f"{chunk.text} (copy {copy})"
                )
            )
        jitter = rng.normal(0, 0.02, base.embeddings.shape).astype(np.float32) if copy else 0
        grown = base.embeddings + jitter
        vectors.append(grown / np.linalg.norm(grown, axis=1, keepdims=True))
    chunks, embeddings = chunks[:size], np.vstack(vectors)[:size]
    folder = course_dir(settings.courses_dir, name)
    (folder / "builds").mkdir(parents=True, exist_ok=True)
    tmp = folder / "builds" / ".tmp-bench"
    manifest = {**base.manifest, "course": name, "chunks": size}
    write_build(
        tmp,
        manifest=manifest,
        chunks=chunks,
        embeddings=embeddings,
        documents={},
        hnsw_threshold=settings.hnsw_threshold,
    )
    publish_build(folder, tmp, f"bench-{size}")


class _MemoEmbedder:
    """The real embedder, remembering query vectors so a second pass times the search alone."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id, self.dimension, self.max_tokens = (
            inner.model_id,
            inner.dimension,
            inner.max_tokens,
        )
        self.memo: dict[str, np.ndarray] = {}

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        key = "\x1f".join(texts)
        if key not in self.memo:
            self.memo[key] = self.inner.embed(texts, query=query)
        return self.memo[key]


def bench_latency(settings: Settings, courses: list[str], questions: list[str]) -> dict:
    """Query embedding, then search (FAISS + BM25 + fusion) per course size, interleaved.

    Each question is embedded once (timed), then searched on every course in turn with the
    vector remembered, so machine noise hits all sizes alike and the two costs are separate.
    """
    embedder = _MemoEmbedder(load_embedder(settings))
    retriever = Retriever(
        settings.courses_dir, embedder, candidates=settings.candidates, top_k=settings.top_k
    )
    for course in courses:
        retriever.retrieve(questions[0], course)  # load the index and the model first
    times: dict[str, list[float]] = {c: [] for c in courses}
    embed_times = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed([q], query=True)
        embed_times.append(time.perf_counter() - started)
        for course in courses:
            started = time.perf_counter()
            retriever.retrieve(q, course)
            times[course].append(time.perf_counter() - started)
    out: dict[str, object] = {"query_embedding": summary_ms(embed_times)}
    for course in courses:
        index = retriever.index(course)
        total = [e + t for e, t in zip(embed_times, times[course], strict=True)]
        out[str(len(index.chunks))] = {
            "search": summary_ms(times[course]),
            "total": summary_ms(total),
            "index": index.manifest["index_type"],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home")
        result: dict[str, object] = {"ingest": bench_ingest(settings, Path(tmp))}
        base = CourseIndex.open(settings.courses_dir, "squad")
        questions = squad_questions(args.queries)
        sizes = [int(s) for s in args.sizes.split(",")]
        for size in sizes:
            grow_course(settings, base, size, f"grown{size}")
        result["retrieval"] = bench_latency(settings, [f"grown{n}" for n in sizes], questions)
    path = write_result("retrieval", result)
    print(json.dumps(result) if args.json else f"{json.dumps(result, indent=2)}\nwritten to {path}")


if __name__ == "__main__":
    main()
