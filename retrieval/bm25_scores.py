"""BM25 scores from an index saved by bm25s, read with numpy alone.

A course build stores its lexical index as bm25s saves it: the parameters, the vocabulary and the
precomputed score of every (token, chunk) pair as a sparse column matrix (``data``, ``indices``,
``indptr``). Scoring a question is only a sum of the columns of its tokens; loading the index
through bm25s, however, imports SciPy and ~180 modules on the first question a server answers
(0.2 s and 17 MB here). :class:`SavedBm25` reads the same files and sums the same columns in the
same order, so the scores are bm25s's, bit for bit (``tests/test_bm25_scores.py``). Building and
saving an index still goes through bm25s, at ingest.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# Scoring methods whose score of a chunk without the token is zero; the others (BM25L, BM25+)
# add a per-token "non-occurrence" score, which is read when the index has one.
_SPARSE_METHODS = frozenset({"lucene", "robertson", "atire"})


class SavedBm25:
    """``get_scores(tokens)`` of a saved bm25s index."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        documents: int,
        dtype: np.dtype,
        nonoccurrence: np.ndarray | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.data, self.indices, self.indptr = data, indices, indptr
        self.documents = documents
        self.dtype = dtype
        self.nonoccurrence = nonoccurrence

    @classmethod
    def load(cls, folder: Path) -> SavedBm25:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        vocabulary = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        nonoccurrence = None
        if params.get("method", "lucene") not in _SPARSE_METHODS:
            nonoccurrence = np.load(folder / "nonoccurrence_array.index.npy")
        return cls(
            vocabulary,
            np.load(folder / "data.csc.index.npy"),
            np.load(folder / "indices.csc.index.npy"),
            np.load(folder / "indptr.csc.index.npy"),
            int(params["num_docs"]),
            np.dtype(params.get("dtype", "float32")),
            nonoccurrence,
        )

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """One score per chunk: the sum over ``tokens`` (repeats counted, unknown ones left out)
        of each token's precomputed column."""
        ids = [self.vocabulary[token] for token in tokens if token in self.vocabulary]
        scores = np.zeros(self.documents, dtype=self.dtype)
        for token in ids:
            start, end = self.indptr[token], self.indptr[token + 1]
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[np.asarray(ids, dtype=np.int64)].sum()
        return scores
