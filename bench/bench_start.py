"""Where a start of ``tutor serve`` goes, step by step, and what Gradio's stub writer costs.

    python -m bench.bench_start [--runs 3] [--json]

The models must be cached first (``make run`` or ``tutor serve`` once, same ``TUTOR_HOME``).
Every run is a fresh interpreter doing what ``tutor serve`` does before it listens, timed
between steps:

- ``serial``: one step after another, so that each is timed alone: import torch; the tutor's
  modules and uvicorn; open the database; build the services; load the language model; import
  Gradio; warm the embedder and the filters; build the app (UI and routes);
- ``as served``: the same, but the model loads on a thread while Gradio is imported, as
  ``tutor serve`` does (``tutor.server.warm_up_beside_ui_import``);
- ``import gradio`` after torch and FastAPI, as Gradio ships and with its stub writer skipped
  (``tutor/ui/gradio_stubs.py``).

The kinds run interleaved, ``--runs`` times each, and medians are printed: the process's
whole time (interpreter start included) and each step's. The start to ``/readyz`` through HTTP,
with memory, is ``python -m bench.bench_serve``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import REPO, write_result

_STEPS = """
import json, sys, time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
import torch
mark("import torch")
from tutor.ui import offline_environment
offline_environment()
import uvicorn
from tutor.config import load_settings
from tutor.services import Services
from tutor.transcripts.backend import Backend
from tutor.server import create_app, warm_up_beside_ui_import
mark("tutor modules and uvicorn")
settings = load_settings()
backend = Backend.open(settings)
mark("open the database")
services = Services.build(settings)
mark("build the services")
if sys.argv[1] == "serial":
    services.llm.warm_up()
    mark("load the language model")
    import gradio
    mark("import Gradio")
    services.warm_up()
    mark("warm the embedder and filters")
else:
    warm_up_beside_ui_import(services)
    mark("model beside the Gradio import, then the rest")
create_app(services, backend=backend)
mark("build the app")
print(json.dumps({b[0]: b[1] - a[1] for a, b in zip(marks, marks[1:])}))
"""

_GRADIO = """
import json, sys, time
import fastapi, torch
if sys.argv[1] == "skipped":
    from tutor.ui.gradio_stubs import skip_stub_writing
    skip_stub_writing()
started = time.perf_counter()
import gradio
print(json.dumps({"import gradio": time.perf_counter() - started}))
"""


def _run(script: str, kind: str) -> tuple[float, dict[str, float]]:
    """(the process's wall time, the step times it printed)."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, kind],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {step: round(statistics.median(r[step] for r in runs), 3) for step in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    kinds = {
        "serial": (_STEPS, "serial"),
        "as_served": (_STEPS, "overlapped"),
        "import_gradio_as_shipped": (_GRADIO, "as-shipped"),
        "import_gradio_stub_writer_skipped": (_GRADIO, "skipped"),
    }
    walls: dict[str, list[float]] = {name: [] for name in kinds}
    steps: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
    for _ in range(args.runs):
        for name, (script, kind) in kinds.items():
            wall, timed = _run(script, kind)
            walls[name].append(wall)
            steps[name].append(timed)
    result: dict[str, Any] = {
        "runs": args.runs,
        "process_s": {name: round(statistics.median(w), 3) for name, w in walls.items()},
        "steps_s": {name: _medians(s) for name, s in steps.items()},
    }
    shipped = result["steps_s"]["import_gradio_as_shipped"]["import gradio"]
    skipped = result["steps_s"]["import_gradio_stub_writer_skipped"]["import gradio"]
    result["import_gradio_ratio"] = round(skipped / shipped, 3)
    path = write_result("start", result)
    print(json.dumps(result) if args.json else f"{json.dumps(result, indent=2)}\nwritten to {path}")


if __name__ == "__main__":
    main()
