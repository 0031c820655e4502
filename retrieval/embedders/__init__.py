"""Embedders: the real sentence-transformers one and a deterministic hashing fake."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.embedders.hashing import HashingEmbedder

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import Embedder

__all__ = ["HashingEmbedder", "load_embedder"]


def load_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedder`` ("hashing" is the fake)."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder
    from tutor.config import DEFAULT_EMBEDDER
    from tutor.model_paths import resolve_embedder

    model_id = "all-MiniLM-L6-v2" if settings.embedder == DEFAULT_EMBEDDER else None
    return SentenceTransformerEmbedder(
        resolve_embedder(settings.embedder), model_id=model_id, device=settings.device
    )
