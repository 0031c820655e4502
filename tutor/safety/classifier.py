"""The semantic classifier: a softmax layer over the sentence embeddings the tutor already
computes (all-MiniLM-L6-v2), trained by ``bench/train_safety_classifier.py`` on examples written
for the project and the dev splits of the public safety sets.

The weights are a small ``.npz`` shipped in the package. They only make sense for the embedder
they were trained on: with any other embedder (the hashing fake in tests) the classifier steps
aside and says so in a decision, and the rules and the other layers still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.protocols import Embedder
from tutor.safety.decisions import CATEGORIES, Decision, Layer

WEIGHTS = Path(__file__).parent / "weights" / "classifier.npz"
BENIGN = "benign"
MAX_CHARS = 2_000  # the embedder reads about 256 tokens; more only costs tokenising


@dataclass(frozen=True)
class ClassifierWeights:
    classes: tuple[str, ...]
    weight: np.ndarray  # (classes, dimension)
    bias: np.ndarray  # (classes,)
    threshold: float  # 1 - P(benign) at or above this: not benign
    embedder: str  # model id the weights were trained on
    version: str

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> ClassifierWeights:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                weight=data["weight"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                threshold=float(data["threshold"]),
                embedder=str(data["embedder"]),
                version=str(data["version"]),
            )


class SafetyClassifier:
    def __init__(self, embedder: Embedder, path: Path = WEIGHTS) -> None:
        self.embedder = embedder
        self.path = path
        self._weights: ClassifierWeights | None = None

    @property
    def weights(self) -> ClassifierWeights:
        if self._weights is None:
            self._weights = ClassifierWeights.load(self.path)
        return self._weights

    @property
    def source(self) -> str:
        return f"model:safety-classifier-{self.weights.version}"

    @property
    def active(self) -> bool:
        """True when the configured embedder is the one the weights were trained on."""
        return self.path.is_file() and self.embedder.model_id == self.weights.embedder

    def probabilities(self, text: str) -> dict[str, float]:
        w = self.weights
        vector = self.embedder.embed([text[:MAX_CHARS]], query=True)[0]
        logits = w.weight @ vector + w.bias
        logits = logits - logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        return {c: float(p) for c, p in zip(w.classes, probs, strict=True)}

    def decide(self, text: str, layer: Layer) -> list[Decision]:
        """One decision for the most likely harmful category, or a note that it stepped aside."""
        if not self.active:
            detail = f"skipped: the weights need embedder {self._trained_on()}"
            return [Decision("none", layer, "allow", 0.0, "model:safety-classifier", "low", detail)]
        probs = self.probabilities(text)
        harm = 1.0 - probs.get(BENIGN, 0.0)
        if harm < self.weights.threshold:
            return []
        category = max((c for c in probs if c != BENIGN and c in CATEGORIES), key=probs.__getitem__)
        return [
            Decision.make(category, layer, harm, self.source, detail=f"p={probs[category]:.2f}")
        ]

    def _trained_on(self) -> str:
        try:
            return self.weights.embedder
        except (OSError, KeyError, ValueError):
            return "(no weights file)"
