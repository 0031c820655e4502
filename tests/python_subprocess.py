"""Run a short Python script in a fresh interpreter (what a new process imports, for example)."""

from __future__ import annotations

import os
import subprocess
import sys


def run_python(script: str, *, timeout: float = 300) -> str:
    """The script's standard output; fails the test with its error output if it fails."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
