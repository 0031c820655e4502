"""A deterministic, dependency-free embedder for tests and ``--fake`` runs.

Each word and each pair of neighbouring words is hashed (SHA-1) into one of ``dimension``
buckets with a sign; the counts are L2-normalised. Texts that share words really do score
higher, so retrieval tests on it are meaningful, while nothing is downloaded or loaded.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import numpy as np

from retrieval.lexical import lexical_tokens


class HashingEmbedder:
    def __init__(self, dimension: int = 256, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.model_id = f"hashing-{dimension}"

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = lexical_tokens(text)
            for feature in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                digest = hashlib.sha1(feature.encode("utf-8")).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out
