"""Peak memory and readiness time of ``tutor serve`` with the default models.

    python -m bench.bench_serve [--questions 3] [--json]

Starts the real server on the bundled sample course in a temporary home (the converted model
cache of ``$TUTOR_HOME`` is reused when present), waits for ``/readyz``, asks questions through
the chat's HTTP API, and reads the process's peak resident memory (VmHWM) from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import REPO, write_result

QUESTIONS = [
    "What is the pH of pure water?",
    "How many times does a for loop over range(5) run?",
    "What is the unit of force?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


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
    from gradio_client import Client

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
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [*tutor, "serve", "--course", "sample", "--port", str(port)], env=env, cwd=REPO
        )
        try:
            ready_s = _wait_ready(url, proc, timeout=300)
            rss_ready = _peak_rss_mb(proc.pid)
            client = Client(url, verbose=False)
            answers = []
            for question in (QUESTIONS * 3)[: args.questions]:
                started = time.perf_counter()
                client.predict(question, "sample", "explain", api_name="/chat")
                answers.append(round(time.perf_counter() - started, 2))
            result = {
                "ready_s": round(ready_s, 2),
                "peak_rss_mb_ready": round(rss_ready, 1),
                "peak_rss_mb": round(_peak_rss_mb(proc.pid), 1),
                "answer_s": answers,
                "models_cached": cache.is_dir(),
            }
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    path = write_result("serve", result)
    print(json.dumps(result) if args.json else f"{json.dumps(result, indent=2)}\nwritten to {path}")


if __name__ == "__main__":
    main()
