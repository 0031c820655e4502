"""Hybrid retrieval, the relevance gate and the LangChain adapter, on the hashing embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.embedders import HashingEmbedder
from retrieval.ingest import ingest
from retrieval.retriever import Retriever
from tutor.config import Settings


@pytest.fixture
def retriever(settings: Settings, course_dir: Path) -> Retriever:
    ingest([course_dir], course="demo", settings=settings, embedder=HashingEmbedder())
    return Retriever(settings.courses_dir, HashingEmbedder(), top_k=3)


@pytest.mark.parametrize("method", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("What colour does litmus paper turn in an acid?", "chemistry/acids.md"),
        ("How many times does the for loop with range(3) run?", "python/loops.md"),
        ("How do volcanoes form?", "notes.txt"),
    ],
)
def test_each_method_finds_the_right_document(retriever, method, question, document):
    found = retriever.retrieve(question, "demo", method=method)
    assert found.results[0].chunk.document == document


def test_scores_are_cosines_best_first_and_gate_on_relevance(retriever, settings):
    found = retriever.retrieve("litmus paper colour in an acid", "demo")
    scores = [r.score for r in found.results]
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert found.best_dense == pytest.approx(max(scores), abs=1e-6)
    assert found.covered(settings.min_relevance)
    off_topic = retriever.retrieve("Who painted the Mona Lisa?", "demo")
    assert not off_topic.covered(settings.min_relevance)


def test_reingest_is_seen_without_restarting(retriever, settings, course_dir):
    (course_dir / "notes.txt").write_text("Glaciers carve U-shaped valleys.\n")
    ingest([course_dir], course="demo", settings=settings, embedder=HashingEmbedder())
    top = retriever.retrieve("glaciers valleys", "demo").results[0]
    assert "Glaciers" in top.chunk.text


def test_langchain_adapter_returns_documents_with_metadata(retriever):
    from langchain_core.retrievers import BaseRetriever

    from retrieval.langchain_retriever import TutorRetriever

    lc = TutorRetriever(retriever=retriever, course="demo", k=2)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("litmus paper in an acid")
    assert len(docs) == 2
    assert docs[0].metadata["document"] == "chemistry/acids.md"
    assert "Litmus" in docs[0].page_content
    assert {"id", "title", "heading", "page", "score", "start", "end"} <= set(docs[0].metadata)
