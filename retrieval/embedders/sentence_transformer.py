"""The real embedder: any local sentence-transformers folder (all-MiniLM-L6-v2 by default)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import MissingDependency, ModelError


class SentenceTransformerEmbedder:
    def __init__(
        self, path: Path, *, model_id: str | None = None, device: str = "auto", batch_size: int = 64
    ) -> None:
        self.path = path
        self.model_id = model_id or path.name
        self._device = None if device == "auto" else device
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self._dimension: int | None = None

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise MissingDependency(
                        "sentence-transformers is not installed: pip install sentence-transformers"
                    ) from exc
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                try:
                    self._model = SentenceTransformer(
                        str(self.path), device=self._device, local_files_only=True
                    )
                except Exception as exc:  # any load failure becomes one actionable error
                    raise ModelError(f"cannot load the embedder at {self.path}: {exc}") from exc
            return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self._load()
            get_dim = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            self._dimension = int(get_dim())
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return int(self._load().max_seq_length)

    def count_tokens(self, text: str) -> int:
        tokenizer = self._load().tokenizer
        return len(tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
