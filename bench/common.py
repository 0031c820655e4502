"""Helpers shared by the benchmark scripts: data paths, percentiles, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TUTOR_SHARED_DATA", REPO.parent / "shared" / "data"))
RESULTS = REPO / "bench" / "results"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "n": len(ms),
    }


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**data, "machine": machine()}, indent=2), encoding="utf-8")
    return path


def squad_paragraphs() -> list[tuple[str, str]]:
    """(article title, paragraph) pairs of ../shared/data/squad_v2_dev, in file order."""
    path = SHARED_DATA / "squad_v2_dev" / "dev-v2.0.reconstructed.json"
    if not path.is_file():
        raise SystemExit(f"benchmark data missing: {path} (set TUTOR_SHARED_DATA)")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(a["title"], p["context"]) for a in data["data"] for p in a["paragraphs"]]


def squad_questions(limit: int) -> list[str]:
    path = SHARED_DATA / "squad_v2_dev" / "dev-v2.0.reconstructed.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    return out[:: max(1, len(out) // limit)][:limit]
