"""One contract, run on the hashing fake and on the real sentence-transformers embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import HashingEmbedder, load_embedder
from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder
from tutor.config import Settings
from tutor.protocols import Embedder


@pytest.fixture(scope="module")
def real_embedder() -> Embedder:
    embedder = load_embedder(Settings())
    return embedder


@pytest.fixture(params=["hashing", pytest.param("real", marks=pytest.mark.real_models)])
def embedder(request) -> Embedder:
    if request.param == "hashing":
        return HashingEmbedder()
    return request.getfixturevalue("real_embedder")


def test_shape_dtype_and_unit_length(embedder: Embedder):
    vectors = embedder.embed(["Acids turn litmus red.", "Loops repeat code.", "x"])
    assert isinstance(embedder, Embedder)
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, embedder.dimension)


def test_deterministic_and_batch_independent(embedder: Embedder):
    texts = ["The pH of pure water is 7.", "A function returns a value."]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_related_text_scores_higher(embedder: Embedder):
    docs = embedder.embed(["Litmus paper turns red in an acid.", "Rivers carry sand to the sea."])
    query = embedder.embed(["What colour does litmus paper turn in an acid?"], query=True)[0]
    assert docs[0] @ query > docs[1] @ query


def test_token_counting(embedder: Embedder):
    assert embedder.count_tokens("") == 0
    assert 0 < embedder.count_tokens("one two three") <= 6
    assert embedder.count_tokens("word " * 50) >= 50
    assert embedder.max_tokens >= 128


# --- the query cache: one MiniLM pass per learner message -----------------------------------


class _CountingModel:
    """Stands in for a SentenceTransformer: a vector from each text's length, calls counted."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.max_seq_length = 256

    def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
        self.calls.append(list(texts))
        rows = np.array([[len(t), 1.0, 2.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _cached_embedder(size: int = 4) -> tuple[SentenceTransformerEmbedder, _CountingModel]:
    embedder = SentenceTransformerEmbedder(Path("unused"), query_cache_size=size)
    model = _CountingModel()
    embedder._model = model  # no files read: the model is already "loaded"
    embedder._dimension = 3
    return embedder, model


def test_query_cache_returns_the_same_vectors_without_a_second_pass():
    embedder, model = _cached_embedder()
    first = embedder.embed(["What is an ion?"], query=True)
    again = embedder.embed(["What is an ion?"], query=True)
    np.testing.assert_array_equal(first, again)
    assert len(model.calls) == 1
    mixed = embedder.embed(["Why is the sea salty?", "What is an ion?"], query=True)
    np.testing.assert_array_equal(mixed[1], first[0])
    assert model.calls[-1] == ["Why is the sea salty?"]  # only the new text is encoded
    again[0, 0] = 99.0  # callers get copies: the cached vector is untouched
    np.testing.assert_array_equal(embedder.embed(["What is an ion?"], query=True), first)


def test_documents_are_not_cached():
    embedder, model = _cached_embedder()
    embedder.embed(["Acids taste sour."])
    embedder.embed(["Acids taste sour."])
    assert len(model.calls) == 2 and len(embedder.query_cache) == 0


def test_query_cache_is_bounded_and_least_recently_used_goes_first():
    from retrieval.embedders.query_cache import QueryCache

    cache = QueryCache(size=3)
    for n in range(3):
        cache.put(f"q{n}", True, np.full(2, n, dtype=np.float32))
    assert cache.get("q0", True) is not None  # q0 is now the most recent
    cache.put("q3", True, np.zeros(2, dtype=np.float32))
    assert len(cache) == 3
    assert cache.get("q1", True) is None  # the oldest unused entry went
    assert cache.get("q0", True) is not None and cache.get("q0", False) is None
    vector = cache.get("q3", True)
    assert vector is not None and not vector.flags.writeable
    assert QueryCache(size=0).get("x", True) is None


def test_query_cache_is_thread_safe():
    import threading

    embedder, _ = _cached_embedder(size=8)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            for n in range(200):
                text = f"question {(seed * 7 + n) % 20}"
                vector = embedder.embed([text], query=True)[0]
                expected = np.array([len(text), 1.0, 2.0], dtype=np.float32)
                np.testing.assert_allclose(vector, expected / np.linalg.norm(expected), rtol=1e-6)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(embedder.query_cache) <= 8


@pytest.mark.real_models
def test_real_cached_query_equals_a_fresh_encoding(real_embedder: Embedder):
    text = "How do enzymes speed up reactions?"
    cached = real_embedder.embed([text], query=True)
    again = real_embedder.embed([text], query=True)
    assert isinstance(real_embedder, SentenceTransformerEmbedder)
    np.testing.assert_array_equal(cached, again)
    real_embedder.query_cache.clear()
    np.testing.assert_array_equal(real_embedder.embed([text], query=True), cached)
    document = real_embedder._encode([text])[0]  # documents are always float32
    if real_embedder.query_bf16:  # bf16 autocast on this CPU: the same vector, to 1e-4
        assert float(np.dot(cached[0], document)) > 0.9999
    else:
        np.testing.assert_allclose(cached[0], document, atol=1e-6)


@pytest.mark.real_models
def test_real_query_in_float32_when_bf16_is_off(real_embedder: Embedder):
    assert isinstance(real_embedder, SentenceTransformerEmbedder)
    text = "Why do leaves change colour in autumn?"
    saved = real_embedder._query_bf16
    try:
        real_embedder._query_bf16 = False
        real_embedder.query_cache.clear()
        query = real_embedder.embed([text], query=True)
    finally:
        real_embedder._query_bf16 = saved
        real_embedder.query_cache.clear()
    np.testing.assert_allclose(query[0], real_embedder._encode([text])[0], atol=1e-6)


def test_bf16_queries_only_where_the_cpu_computes_bf16(monkeypatch: pytest.MonkeyPatch):
    torch = pytest.importorskip("torch")
    from retrieval.embedders.sentence_transformer import native_bf16_cpu

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert native_bf16_cpu() is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert native_bf16_cpu() is True
    embedder = SentenceTransformerEmbedder(Path("unused"), query_bf16=False)
    assert embedder.query_bf16 is False


def test_a_query_is_embedded_on_one_torch_thread_and_the_count_is_put_back():
    torch = pytest.importorskip("torch")
    embedder, model = _cached_embedder()
    seen: list[int] = []
    encode = model.encode

    def spying(texts: list[str], **kwargs: object) -> np.ndarray:
        seen.append(torch.get_num_threads())
        return encode(texts, **kwargs)

    model.encode = spying  # type: ignore[method-assign]
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        embedder.embed(["Why do leaves change colour?"], query=True)
        assert seen == [1] and torch.get_num_threads() == 2
        embedder.embed(["A course paragraph about leaves."])  # documents: the process's count
        assert seen == [1, 2]
        embedder.query_threads = 0  # 0: leave the count alone
        embedder.embed(["Why is the sky blue?"], query=True)
        assert seen == [1, 2, 2]
    finally:
        torch.set_num_threads(before)
