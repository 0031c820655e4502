"""Inner-product search over normalised vectors: FAISS, and a NumPy brute-force oracle.

Both answer ``search(queries, k) -> (scores, rows)`` with rows indexing the vectors in the order
they were built from; -1 marks an empty slot when fewer than ``k`` vectors exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tutor.errors import MissingDependency


class VectorIndex(Protocol):
    kind: str

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def __len__(self) -> int: ...


class NumpyIndex:
    """Exact search by one matrix product: the parity oracle and the fallback."""

    kind = "numpy-exact"

    def __init__(self, vectors: np.ndarray) -> None:
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        if n == 0:
            return scores, rows
        sims = queries.astype(np.float32) @ self._vectors.T
        take = min(k, n)
        top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        for i in range(len(queries)):
            order = top[i][np.argsort(-sims[i, top[i]], kind="stable")]
            rows[i, :take] = order
            scores[i, :take] = sims[i, order]
        return scores, rows


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependency("FAISS is not installed: pip install faiss-cpu") from exc
    return faiss


class FaissIndex:
    """Exact inner product (``IndexFlatIP``) or, above a size threshold, HNSW."""

    def __init__(self, index: object, kind: str) -> None:
        self._index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, *, hnsw_threshold: int) -> FaissIndex:
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        if len(vectors) >= hnsw_threshold:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
            kind = "faiss-hnsw"
        else:
            index = faiss.IndexFlatIP(dim)
            kind = "faiss-flat-ip"
        if len(vectors):
            index.add(vectors)
        return cls(index, kind)

    @classmethod
    def load(cls, path: Path, kind: str) -> FaissIndex:
        index = _faiss().read_index(str(path))
        if kind == "faiss-hnsw":
            index.hnsw.efSearch = 96
        return cls(index, kind)

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        scores, rows = self._index.search(queries, k)  # type: ignore[attr-defined]
        return scores, rows.astype(np.int64)
