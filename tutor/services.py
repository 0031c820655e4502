"""Build the tutor's parts once from settings; pass the result in, never as global state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from retrieval.embedders import load_embedder
from retrieval.retriever import Retriever
from tutor.config import Settings
from tutor.prompting import PromptLibrary
from tutor.protocols import Embedder, LanguageModel
from tutor.safety import SafetyFilter, load_safety_filter


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    llm: LanguageModel
    retriever: Retriever
    safety: SafetyFilter
    prompts: PromptLibrary = field(default_factory=PromptLibrary)
    clock: Callable[[], float] = time.perf_counter

    @classmethod
    def build(cls, settings: Settings, *, fake: bool = False) -> Services:
        """Cheap: nothing heavy loads until ``warm_up`` or first use.

        ``fake`` swaps in the shipped fakes (scripted model, hashing embedder). The safety filter
        stays the configured one: with the hashing embedder its classifier steps aside and the
        rules, redaction and answer checks still run.
        """
        from tutor.llm import load_language_model

        if fake:
            settings = settings.replace(llm="fake", embedder="hashing")
        embedder = load_embedder(settings)
        llm = load_language_model(settings)
        retriever = Retriever(
            settings.courses_dir, embedder, candidates=settings.candidates, top_k=settings.top_k
        )
        return cls(
            settings=settings,
            embedder=embedder,
            llm=llm,
            retriever=retriever,
            safety=load_safety_filter(settings, embedder),
        )

    def warm_up(self) -> None:
        """Load the models now (instead of on the first question)."""
        for part in (self.embedder, self.llm, self.safety):
            warm = getattr(part, "warm_up", None)
            if callable(warm):
                warm()
