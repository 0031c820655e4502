"""The real embedder: any local sentence-transformers folder (all-MiniLM-L6-v2 by default).

A plain folder (encoder, mean or first-token pooling, normalisation) runs through
:mod:`retrieval.embedders.st_folder` with the same arithmetic and without importing the
sentence-transformers library; any other folder loads with the library.

Query embeddings are kept in a small LRU cache (``query_cache_size`` entries): the safety
classifier and the retriever embed the same redacted message, and the second pays nothing.

A query (one learner message, one or two short texts) is encoded with ``query_threads`` torch
CPU threads (default 1), then the thread count is put back. On a busy 2-core machine a 2-thread
pool waits for a descheduled worker at every operator: measured side by side while another job
ran, one thread embedded a message in 20 ms at the median and two in 500 ms
(``bench/bench_safety_latency.py``); a short query gains little from a second thread even on a
quiet machine. Documents (ingest, large batches) keep the process's thread count.

On a CPU with native bfloat16 arithmetic (AVX-512 BF16 or AMX), a query is encoded under bf16
autocast (``query_bf16``, default: when the CPU has it): a long message's two windows took 16 ms
instead of 24.5 ms here, and the vectors kept a cosine of 0.99998 with float32's. Documents stay
float32, and so does every query on a CPU without it (emulated bf16 would be slower).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedders import st_folder
from retrieval.embedders.query_cache import DEFAULT_SIZE, QueryCache
from tutor.errors import MissingDependency, ModelError


class SentenceTransformerEmbedder:
    def __init__(
        self,
        path: Path,
        *,
        model_id: str | None = None,
        device: str = "auto",
        batch_size: int = 64,
        query_cache_size: int = DEFAULT_SIZE,
        query_threads: int = 1,
        query_bf16: bool | None = None,
    ) -> None:
        self.path = path
        self.query_threads = query_threads  # 0: the process's torch thread count
        self._query_bf16 = query_bf16  # None: when the CPU computes bf16 natively
        self.model_id = model_id or path.name
        self._device = None if device == "auto" else device
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self._library_lock = threading.Lock()  # a folder the sentence-transformers library reads
        self._dimension: int | None = None
        self.query_cache = QueryCache(query_cache_size)

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                try:
                    self._model = st_folder.load(self.path, device=self._device)
                except Exception as exc:  # any load failure becomes one actionable error
                    raise ModelError(f"cannot load the embedder at {self.path}: {exc}") from exc
                if self._model is not None:
                    return self._model
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
        model = self._load()
        if isinstance(model, st_folder.FolderEncoder):
            return model.count_tokens(text)
        with self._library_lock:  # see _encode
            return len(model.tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not query:  # documents are embedded in bulk at ingest, once per content hash
            return self._encode(texts)
        cache = self.query_cache
        found = [cache.get(text, True) for text in texts]
        missing = sorted({t for t, v in zip(texts, found, strict=True) if v is None})
        fresh: dict[str, np.ndarray] = {}
        if missing:
            on_cpu = self._on_cpu()
            with self._threads(self.query_threads if on_cpu else 0), self._bf16(on_cpu):
                encoded = self._encode(missing)
            fresh = dict(zip(missing, encoded, strict=True))
            for text, vector in fresh.items():
                cache.put(text, True, vector)
        rows = [v if v is not None else fresh[t] for t, v in zip(texts, found, strict=True)]
        return np.ascontiguousarray(np.stack(rows), dtype=np.float32)

    def _on_cpu(self) -> bool:
        return str(getattr(self._load(), "device", "cpu")).startswith("cpu")

    @property
    def query_bf16(self) -> bool:
        """Whether queries are encoded under bf16 autocast on the CPU (see the module doc)."""
        if self._query_bf16 is None:
            self._query_bf16 = native_bf16_cpu()
        return self._query_bf16

    def _bf16(self, on_cpu: bool) -> contextlib.AbstractContextManager[Any]:
        if not (on_cpu and self.query_bf16):
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    @staticmethod
    @contextlib.contextmanager
    def _threads(count: int) -> Iterator[None]:
        """Torch's CPU thread count set to ``count`` (0: unchanged) for the block, then put back."""
        if count <= 0:
            yield
            return
        import torch

        before = torch.get_num_threads()
        if before == count:
            yield
            return
        torch.set_num_threads(count)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if isinstance(model, st_folder.FolderEncoder):
            return model.encode(texts, batch_size=self._batch_size)
        # The library's tokenizer is one object whose truncation setting every call sets:
        # counting tokens in one thread while another encodes can fail (st_folder.py guards
        # its own tokenizer likewise, around tokenising only).
        with self._library_lock:
            vectors = model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def native_bf16_cpu() -> bool:
    """True when this CPU does bfloat16 arithmetic in hardware (AVX-512 BF16 or AMX)."""
    try:
        import torch

        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (ImportError, AttributeError, RuntimeError):  # an older torch: stay in float32
        return False
