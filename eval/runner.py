"""Run a suite (or all of them), stamp the run's identity, and write results and reports."""

from __future__ import annotations

import logging
import os
import time
import traceback
from pathlib import Path
from typing import Any

from eval.context import EvalContext
from eval.datasets import DataError
from eval.results import identity, write_json
from eval.suites import SUITES, suite_runner
from tutor.errors import TutorError

log = logging.getLogger(__name__)


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        return None


def run_all(ctx: EvalContext) -> dict[str, Any]:
    """Every suite on its default data; a suite that fails is reported, the others still run."""
    suites: dict[str, Any] = {}
    for name in SUITES:
        try:
            suites[name] = suite_runner(name)(ctx, [])
        except (TutorError, OSError, ValueError) as exc:
            log.warning("suite failed", extra={"suite": name, "error": str(exc)})
            suites[name] = {
                "suite": name,
                "summary": {"suite": name, "error": str(exc)},
                "notes": [f"the {name} suite could not run: {exc}"],
                "detail": traceback.format_exc(limit=3),
            }
    return {
        "suite": "all",
        "summary": {name: result["summary"] for name, result in suites.items()},
        "suites": suites,
        "notes": [f"`all` runs every suite on its default data (limit {ctx.limit})."],
    }


def run_eval(
    ctx: EvalContext, suite: str, data: list[str], out: Path, command: list[str]
) -> dict[str, Any]:
    """Run ``suite`` and write ``out/results.json``, ``out/report.html`` and ``out/report.md``."""
    from eval.report import write_report

    started = time.perf_counter()
    load_before = _load_average()
    if suite == "all":
        if data:
            raise DataError(
                "`tutor eval all` runs every suite on its default data; give --data to one suite"
            )
        result = run_all(ctx)
    else:
        result = suite_runner(suite)(ctx, data)
    services = ctx.services if ctx._services is not None else None
    stamp = identity(services, ctx.settings, command)
    stamp["split"] = ctx.split
    stamp["limit"] = ctx.limit
    stamp["fake_models"] = ctx.fake
    result["identity"] = stamp
    timings = result.setdefault("timings", {})
    timings["duration_s"] = round(time.perf_counter() - started, 2)
    # Other work on the machine slows every timing: the 1-minute load at the start and end.
    timings["load_average"] = {"start": load_before, "end": _load_average()}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", result)
    write_report(result, out)
    return result


__all__ = ["SUITES", "run_eval"]
