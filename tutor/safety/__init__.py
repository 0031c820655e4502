"""Safety filters: what learners send, what the course says and what the tutor answers.

``load_safety_filter`` builds the configured ``SafetyFilter`` (the layered real one, or the
block-list fake). Importing this package is cheap: the profanity model and the classifier
weights load on ``warm_up`` or first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.safety.base import CheckContext, SafetyFilter
from tutor.safety.blocklist import BlockListFilter
from tutor.safety.decisions import CATEGORIES, Decision, Layer, Screening
from tutor.safety.layered import LayeredFilter

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import Embedder

__all__ = [
    "CATEGORIES",
    "BlockListFilter",
    "CheckContext",
    "Decision",
    "Layer",
    "LayeredFilter",
    "SafetyFilter",
    "Screening",
    "load_safety_filter",
]


def load_safety_filter(settings: Settings, embedder: Embedder) -> SafetyFilter:
    """``settings.safety_filter``: "layered" (default) or "blocklist" (the fake)."""
    from tutor.errors import ConfigError

    if settings.safety_filter == "layered":
        return LayeredFilter(embedder, cache_dir=settings.cache_dir / "safety")
    if settings.safety_filter == "blocklist":
        return BlockListFilter()
    raise ConfigError(
        f"unknown safety_filter {settings.safety_filter!r}; use 'layered' or 'blocklist'"
    )
