"""Profanity and rude tone: alt-profanity-check (a linear model over word n-grams, shipped in
its wheel). Imported lazily; about 4 ms a message on one CPU core."""

from __future__ import annotations

import threading
from typing import Any

from tutor.errors import MissingDependency


class ProfanityScorer:
    """Probability that a text is offensive (0..1), from alt-profanity-check."""

    source = "model:alt-profanity-check"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._predict: Any = None

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._predict is None:
                try:
                    from profanity_check import predict_prob
                except ImportError as exc:
                    raise MissingDependency(
                        "alt-profanity-check is not installed: pip install alt-profanity-check"
                    ) from exc
                self._predict = predict_prob
            return self._predict

    def score(self, text: str) -> float:
        return float(self._load()([text])[0])
