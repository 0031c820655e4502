"""One contract, run on the hashing fake and on the real sentence-transformers embedder."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.embedders import HashingEmbedder, load_embedder
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
