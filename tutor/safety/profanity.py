"""Profanity and rude tone: alt-profanity-check (a linear model over word n-grams, shipped in
its wheel). Imported lazily.

The package's ``predict_prob`` goes through scikit-learn's ``CalibratedClassifierCV``, whose
input checks cost about 4 ms a message. The model is five sigmoid-calibrated linear SVMs, so
the scorer reads their weights once and computes the same probability with one sparse product
(about 0.6 ms; equal to ``predict_prob`` to 1e-9, checked in the tests).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from tutor.errors import MissingDependency


class _LinearCalibrated:
    """The arithmetic of a binary ``CalibratedClassifierCV`` of sigmoid-calibrated linear models."""

    def __init__(self, vectorizer: Any, model: Any) -> None:
        members = model.calibrated_classifiers_
        if any(m.method != "sigmoid" or len(m.calibrators) != 1 for m in members):
            raise ValueError("expected sigmoid-calibrated binary classifiers")
        self.vectorizer = vectorizer
        self.weight = np.stack([m.estimator.coef_[0] for m in members], axis=1)  # (V, members)
        self.bias = np.array([m.estimator.intercept_[0] for m in members])
        self.a = np.array([m.calibrators[0].a_ for m in members])
        self.b = np.array([m.calibrators[0].b_ for m in members])

    def __call__(self, texts: list[str]) -> np.ndarray:
        decision = self.vectorizer.transform(texts) @ self.weight + self.bias
        return np.asarray((1.0 / (1.0 + np.exp(self.a * decision + self.b))).mean(axis=1))


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
                    from profanity_check import profanity_check as package
                except ImportError as exc:
                    raise MissingDependency(
                        "alt-profanity-check is not installed: pip install alt-profanity-check"
                    ) from exc
                try:
                    self._predict = _LinearCalibrated(package.vectorizer, package.model)
                except (AttributeError, ValueError):  # another model layout: the package's own
                    self._predict = package.predict_prob
            return self._predict

    def score(self, text: str) -> float:
        return float(self._load()([text])[0])
