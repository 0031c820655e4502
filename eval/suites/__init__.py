"""The evaluation suites; each module has ``run(ctx, data) -> dict`` (see ``eval.results``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.context import EvalContext

SUITES = ("retrieval", "qa", "pedagogy", "safety", "speed")


def suite_runner(name: str) -> Callable[[EvalContext, list[str]], dict[str, Any]]:
    import importlib

    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; use one of {', '.join(SUITES)}")
    module = importlib.import_module(f"eval.suites.{name}")
    runner: Callable[[EvalContext, list[str]], dict[str, Any]] = module.run
    return runner
