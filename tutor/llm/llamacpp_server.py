"""Start ``python -m llama_cpp.server`` on loopback: the peer of ``tutor bench serve`` and the
real server the OpenAI-backend tests talk to."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutor.errors import ModelError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_llamacpp_server(
    gguf: Path,
    *,
    alias: str,
    n_ctx: int = 2048,
    threads: int = 0,
    start_timeout_s: float = 120,
) -> Iterator[str]:
    """Serve ``gguf`` as model ``alias`` on a free loopback port; yield its ``/v1`` URL and stop
    the server afterwards. ``ModelError`` (with the server's last output) when it does not start.
    """
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [
        *(sys.executable, "-m", "llama_cpp.server", "--model", str(gguf)),
        *("--model_alias", alias, "--host", "127.0.0.1", "--port", str(port)),
        *("--n_ctx", str(n_ctx)),
        *(("--n_threads", str(threads)) if threads > 0 else ()),
        # By default the server cuts off the stream it is writing whenever another request
        # arrives; concurrent clients (a load test, two learners) must each get whole answers.
        *("--interrupt_requests", "false"),
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    # A file, not a pipe: a full pipe would stall the server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + start_timeout_s
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    tail = log.read()[-2000:].decode(errors="replace")
                    raise ModelError(f"llama_cpp.server exited with {proc.returncode}: {tail}")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise ModelError(
                        f"llama_cpp.server did not answer /v1/models within {start_timeout_s:.0f} s"
                    )
                time.sleep(0.2)
            yield url
        finally:
            stop_process(proc, timeout_s=10)


def stop_process(proc: subprocess.Popen[Any], timeout_s: float) -> None:
    """Ask a child process to end; kill it when it has not within ``timeout_s``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
