"""Result files: the run's identity, metrics with reasons for what is missing, and I/O.

``results.json`` layout (every suite)::

    {"suite", "summary": {... the names the README lists ..., "missing": {metric: reason}},
     "metrics": {...}, "datasets": [{"name", "split", "path", "n"}], "rows": [...],
     "charts": [...], "notes": [...], "identity": {...}, "timings": {...}}

``all`` nests one such object per suite under ``"suites"``. Everything that is a measurement
of time lives under keys listed in ``VOLATILE_KEYS``; ``strip_timings`` removes them, and what is
left is identical on a rerun with the same inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from eval.datasets import SEED
from tutor.config import Settings

RESULTS_FORMAT = 1
REPO = Path(__file__).resolve().parent.parent
# Keys whose values are timings (or hold only timings); dropped by ``strip_timings``.
VOLATILE_KEYS = frozenset(
    {
        "timings",
        "timings_ms",
        "started_at",
        "finished_at",
        "duration_s",
        "latency",
        "latency_ms",
        "volatile",
    }
)


class Metrics:
    """A dict of metrics in which a value that cannot be computed is None with a reason."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.missing: dict[str, str] = {}

    def put(self, name: str, value: Any, reason: str = "") -> None:
        if isinstance(value, float):
            value = round(value, 4)
        self.values[name] = value
        if value is None:
            self.missing[name] = reason or "could not be computed"

    def to_json(self) -> dict[str, Any]:
        out = dict(self.values)
        if self.missing:
            out["missing"] = dict(self.missing)
        return out


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "sentence_transformers": _version("sentence-transformers"),
    }


def settings_json(settings: Settings) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    data = convert(dataclasses.asdict(settings))
    assert isinstance(data, dict)
    return data


def identity(services: Any, settings: Settings, command: list[str]) -> dict[str, Any]:
    """Who and what produced a run: code, models, prompts, configuration, machine."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    missing = {}
    if commit is None:
        missing["git_commit"] = "not a git checkout, or git is not installed"
    out = {
        "git_commit": commit,
        "git_dirty": bool(status) if status is not None else None,
        "model": getattr(services.llm, "model_id", None) if services else None,
        "llm_setting": settings.llm,
        "embedder": getattr(services.embedder, "model_id", None) if services else None,
        "embedder_setting": settings.embedder,
        "prompt_templates_hash": services.prompts.templates_hash if services else None,
        "config": settings_json(settings),
        "machine": machine(),
        "seed": SEED,
        "command": command,
        "tutor_version": _version("open-ai-tutor"),
        "results_format": RESULTS_FORMAT,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if missing:
        out["missing"] = missing
    return out


def strip_timings(value: Any) -> Any:
    """``value`` without any timing (see ``VOLATILE_KEYS``): what must repeat on a rerun."""
    if isinstance(value, dict):
        return {k: strip_timings(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [strip_timings(v) for v in value if not (isinstance(v, dict) and v.get("volatile"))]
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n", "utf-8")
    os.replace(tmp, path)


def load_results(path: Path) -> dict[str, Any]:
    """A run's results from its folder or its ``results.json``."""
    from eval.datasets import DataError

    file = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{file}: no such results file") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{file}: not a readable results file ({exc})") from exc
    if not isinstance(data, dict) or "suite" not in data or "summary" not in data:
        raise DataError(f"{file}: not a tutor eval results file (no 'suite' and 'summary')")
    return data
