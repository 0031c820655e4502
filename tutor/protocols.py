"""The seams of the tutor: one Protocol per role. Real and fake implementations satisfy them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """The longest input the model reads; chunk sizes are measured against it."""
        ...

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dimension), each row of unit length."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the embedder's own tokenizer (special tokens excluded)."""
        ...


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model that streams its reply."""

    @property
    def model_id(self) -> str: ...

    @property
    def context_window(self) -> int: ...

    def stream(
        self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` (role/content dicts) piece by piece."""
        ...

    def count_tokens(self, text: str) -> int: ...


def generate(model: LanguageModel, messages: Sequence[dict[str, str]], **kwargs: int) -> str:
    """The whole reply at once, derived from ``stream``."""
    return "".join(model.stream(messages, **kwargs))
