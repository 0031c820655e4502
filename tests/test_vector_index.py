"""FAISS against the NumPy brute-force oracle."""

import numpy as np
import pytest

from retrieval.vector_index import FaissIndex, NumpyIndex


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_faiss_matches_numpy_exactly():
    rng = np.random.default_rng(0)
    vectors, queries = _unit(rng, 2_000, 64), _unit(rng, 50, 64)
    f_scores, f_rows = FaissIndex.build(vectors, hnsw_threshold=10**9).search(queries, 10)
    n_scores, n_rows = NumpyIndex(vectors).search(queries, 10)
    np.testing.assert_array_equal(f_rows, n_rows)
    np.testing.assert_allclose(f_scores, n_scores, rtol=1e-5, atol=1e-5)


def test_hnsw_above_threshold_keeps_high_recall():
    rng = np.random.default_rng(1)
    vectors, queries = _unit(rng, 5_000, 32), _unit(rng, 100, 32)
    index = FaissIndex.build(vectors, hnsw_threshold=1_000)
    assert index.kind == "faiss-hnsw"
    _, approx = index.search(queries, 10)
    _, exact = NumpyIndex(vectors).search(queries, 10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("make", [NumpyIndex, lambda v: FaissIndex.build(v, hnsw_threshold=99)])
def test_fewer_vectors_than_k_pads_with_minus_one(make):
    vectors = _unit(np.random.default_rng(2), 3, 8)
    scores, rows = make(vectors).search(vectors[:1], 5)
    assert rows[0, 0] == 0 and list(rows[0, 3:]) == [-1, -1]
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_save_and_load_round_trip(tmp_path):
    vectors = _unit(np.random.default_rng(3), 100, 16)
    index = FaissIndex.build(vectors, hnsw_threshold=10**9)
    index.save(tmp_path / "i.faiss")
    loaded = FaissIndex.load(tmp_path / "i.faiss", index.kind)
    assert len(loaded) == 100
    np.testing.assert_array_equal(loaded.search(vectors[:5], 3)[1], index.search(vectors[:5], 3)[1])
