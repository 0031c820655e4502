"""A small, thread-safe LRU cache of query embeddings.

A learner's message is embedded twice per turn with the same model: once by the safety
classifier (on the redacted message) and once by the retriever (on the same redacted message).
The cache makes the second one free. It is keyed by the exact text and the ``query`` flag and
holds at most ``size`` vectors (384 floats each for MiniLM: 256 entries are about 0.4 MB).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_SIZE = 256


class QueryCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("the cache size must be 0 or more")
        self.size = size
        self._items: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, text: str, query: bool) -> np.ndarray | None:
        """The cached vector (read-only), or None; a hit makes the entry the most recent."""
        key = (query, text)
        with self._lock:
            vector = self._items.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, text: str, query: bool, vector: np.ndarray) -> None:
        if self.size == 0:
            return
        stored = np.array(vector, dtype=np.float32, copy=True)
        stored.setflags(write=False)  # callers get copies; the cached vector never changes
        key = (query, text)
        with self._lock:
            self._items[key] = stored
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
