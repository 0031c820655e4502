"""Profanity and rude tone: alt-profanity-check (a linear model over word n-grams, shipped in
its wheel). Loaded lazily.

The package's ``predict_prob`` goes through scikit-learn's ``TfidfVectorizer`` and
``CalibratedClassifierCV``, whose input checks cost about 4 ms a message, and importing
scikit-learn costs ``tutor serve`` about 0.8 s and 70 MB. The model is a word TF-IDF (single
words, lower case, stop words outside the vocabulary, rows scaled to unit length) read by five
sigmoid-calibrated linear SVMs, so :class:`LinearProfanity` keeps their numbers as plain arrays
and computes the same probability with numpy (about 0.1 ms; equal to ``predict_prob`` to 1e-9,
checked in the tests). The arrays are written once to ``cache_dir`` (a file named after the
package's version); later starts read them without importing scikit-learn or the package.
"""

from __future__ import annotations

import logging
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import MissingDependency
from tutor.files import write_atomically
from tutor.safety.text import WORD_TOKEN

logger = logging.getLogger(__name__)


class LinearProfanity:
    """The package's TF-IDF and calibrated linear SVMs as arrays (see the module doc)."""

    FIELDS = ("words", "idf", "weight", "bias", "a", "b")

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.index = {str(word): i for i, word in enumerate(arrays["words"])}
        self.idf = arrays["idf"]
        self.weight = arrays["weight"]  # (vocabulary, members)
        self.bias, self.a, self.b = arrays["bias"], arrays["a"], arrays["b"]

    @classmethod
    def from_package(cls, vectorizer: Any, model: Any) -> LinearProfanity:
        params = vectorizer.get_params()
        expected = {
            "analyzer": "word",
            "lowercase": True,
            "ngram_range": (1, 1),
            "norm": "l2",
            "use_idf": True,
            "sublinear_tf": False,
            "binary": False,
            "preprocessor": None,
            "tokenizer": None,
            "strip_accents": None,
            "token_pattern": WORD_TOKEN.pattern,
        }
        differing = {key for key, value in expected.items() if params.get(key) != value}
        members = model.calibrated_classifiers_
        if differing or any(m.method != "sigmoid" or len(m.calibrators) != 1 for m in members):
            raise ValueError(f"an unexpected model layout ({sorted(differing) or 'calibration'})")
        words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        return cls(
            {
                "words": np.array(words),
                "idf": np.asarray(vectorizer.idf_, dtype=np.float64),
                "weight": np.stack([m.estimator.coef_[0] for m in members], axis=1),
                "bias": np.array([m.estimator.intercept_[0] for m in members]),
                "a": np.array([m.calibrators[0].a_ for m in members]),
                "b": np.array([m.calibrators[0].b_ for m in members]),
            }
        )

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.array([self._one(text) for text in texts])

    def _one(self, text: str) -> float:
        columns: dict[int, int] = {}
        for word in WORD_TOKEN.findall(text.lower()):
            column = self.index.get(word)  # stop words are not in the vocabulary
            if column is not None:
                columns[column] = columns.get(column, 0) + 1
        decision = self.bias
        if columns:
            index = np.fromiter(columns, dtype=np.intp, count=len(columns))
            values = np.fromiter(columns.values(), dtype=np.float64, count=len(columns))
            values *= self.idf[index]
            values /= np.sqrt(np.dot(values, values))
            decision = values @ self.weight[index] + self.bias
        return float((1.0 / (1.0 + np.exp(self.a * decision + self.b))).mean())

    def save(self, target: Path) -> None:
        """Write the arrays to ``target`` atomically (a failure only logs)."""
        save_arrays: Any = np.savez  # its stub types ** as allow_pickle

        def write(temp: Path) -> None:
            with temp.open("wb") as out:  # a file object: savez would add ".npz" to a name
                save_arrays(out, **self.arrays)

        try:
            write_atomically(target, write)
        except OSError as exc:
            logger.warning("could not cache the profanity model in %s: %s", target, exc)

    @classmethod
    def read(cls, source: Path) -> LinearProfanity | None:
        """The arrays saved in ``source``, or None when missing or damaged."""
        try:
            with np.load(source, allow_pickle=False) as data:
                arrays = {name: data[name] for name in cls.FIELDS}
            return cls(arrays)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("ignoring the damaged profanity cache %s: %s", source, exc)
            return None


def cache_file(cache_dir: Path) -> Path | None:
    """Where the arrays of the installed package's model are kept (None: not installed)."""
    try:
        version = metadata.version("alt-profanity-check")
    except metadata.PackageNotFoundError:
        return None
    return cache_dir / f"alt-profanity-check-{version}.npz"


class ProfanityScorer:
    """Probability that a text is offensive (0..1), from alt-profanity-check."""

    source = "model:alt-profanity-check"

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._predict: Any = None
        self.cache_dir = cache_dir  # None: no cache, the package is read at every start

    def warm_up(self) -> None:
        self._load()

    def _load(self) -> Any:
        with self._lock:
            if self._predict is None:
                cached = cache_file(self.cache_dir) if self.cache_dir is not None else None
                if cached is not None:
                    self._predict = LinearProfanity.read(cached)
                    if self._predict is not None:
                        return self._predict
                try:
                    from profanity_check import profanity_check as package
                except ImportError as exc:
                    raise MissingDependency(
                        "alt-profanity-check is not installed: pip install alt-profanity-check"
                    ) from exc
                try:
                    linear = LinearProfanity.from_package(package.vectorizer, package.model)
                except (AttributeError, ValueError):  # another model layout: the package's own
                    self._predict = package.predict_prob
                else:
                    if cached is not None:
                        linear.save(cached)
                    self._predict = linear
            return self._predict

    def score(self, text: str) -> float:
        return float(self._load()([text])[0])
