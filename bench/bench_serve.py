"""Peak memory and readiness time of ``tutor serve`` with the default models.

    python -m bench.bench_serve [--questions 3] [--json]

Starts the real server on the bundled sample course in a temporary home (the converted model
cache of ``$TUTOR_HOME`` is reused when present), waits for ``/readyz``, signs in as a learner
created for the run, asks questions through ``POST /api/ask`` one after another, and reads the
process's resident memory from /proc: its peak (VmHWM) and its current size (VmRSS) once ready
and after the answers, and that size split into anonymous memory (RssAnon, the process's own) and
file-backed pages (RssFile: shared libraries and mapped weights, resident only while the page
cache keeps them, so they differ between a fresh install and a long-used one).
``TUTOR_LLM_QUANTIZE`` and the other settings pass through.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import REPO, write_result
from tutor.llm.llamacpp_server import free_port, stop_process

QUESTIONS = [
    "What is the pH of pure water?",
    "How many times does a for loop over range(5) run?",
    "What is the unit of force?",
]


STDIN = ["--password-stdin"]


def _memory_mb(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc status")


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"tutor serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("tutor serve did not become ready in time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import httpx

    from bench.bench_serve_load import ask_tutor, sign_in

    password = secrets.token_urlsafe(16)
    tutor = [sys.executable, "-m", "tutor.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        cache = Path(os.environ.get("TUTOR_HOME", REPO / ".tutor-home")) / "cache"
        if cache.is_dir():
            shutil.copytree(cache, home / "cache")
        env = {**os.environ, "TUTOR_HOME": str(home), "HF_HUB_OFFLINE": "1"}
        subprocess.run(
            [*tutor, "ingest", str(REPO / "examples" / "sample_course"), "--course", "sample"],
            env=env,
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*tutor, "users", "add", "bench", "--role", "learner", "--course", "sample", *STDIN],
            env=env,
            check=True,
            cwd=REPO,
            input=password.encode(),
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [*tutor, "serve", "--course", "sample", "--port", str(port)], env=env, cwd=REPO
        )
        try:
            ready_s = _wait_ready(url, proc, timeout=300)
            peak_ready = _memory_mb(proc.pid)
            rss_ready = _memory_mb(proc.pid, "VmRSS")
            # Anonymous memory is the process's own; file-backed pages (shared libraries, mapped
            # weights) count in RSS only while resident, so they vary with the page cache.
            anon_ready = _memory_mb(proc.pid, "RssAnon")
            file_ready = _memory_mb(proc.pid, "RssFile")
            answers = []
            with httpx.Client(base_url=url, timeout=600) as client:
                sign_in(client, "bench", password)
                for question in (QUESTIONS * 3)[: args.questions]:
                    outcome = ask_tutor(client, question, "sample")
                    if outcome.status != "answered" or outcome.total_s is None:
                        raise SystemExit(f"{question!r}: {outcome.status} {outcome.error}")
                    answers.append(round(outcome.total_s, 2))
            result = {
                "ready_s": round(ready_s, 2),
                "peak_rss_mb_ready": round(peak_ready, 1),
                "rss_mb_ready": round(rss_ready, 1),
                "peak_rss_mb": round(_memory_mb(proc.pid), 1),
                "rss_mb_after_answers": round(_memory_mb(proc.pid, "VmRSS"), 1),
                "anon_mb_ready": round(anon_ready, 1),
                "file_mb_ready": round(file_ready, 1),
                "anon_mb_after_answers": round(_memory_mb(proc.pid, "RssAnon"), 1),
                "file_mb_after_answers": round(_memory_mb(proc.pid, "RssFile"), 1),
                "answer_s": answers,
                "models_cached": cache.is_dir(),
                "quantize": os.environ.get("TUTOR_LLM_QUANTIZE", "auto"),
            }
        finally:
            stop_process(proc, timeout_s=30)
    path = write_result("serve", result)
    print(json.dumps(result) if args.json else f"{json.dumps(result, indent=2)}\nwritten to {path}")


if __name__ == "__main__":
    main()
