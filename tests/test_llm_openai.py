"""The OpenAI-compatible backend against a real llama.cpp server and against tiny scripted servers.

The real-server tests (marked ``real_models``) start ``python -m llama_cpp.server`` on the
packaged SmolLM2 GGUF on a free loopback port; they are skipped only when llama-cpp-python (the
``llamacpp`` extra, installed by ``make test``) is missing. The failure-path tests use a small
``http.server`` in a thread that answers as each test scripts it, and need no model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE_COURSE
from tutor.config import Settings
from tutor.errors import ConfigError, ModelError
from tutor.llm import load_language_model
from tutor.llm.llamacpp_server import free_port, running_llamacpp_server
from tutor.llm.openai_backend import OpenAICompatibleModel, redact_url
from tutor.protocols import LanguageModel, generate

QUESTION = [
    {"role": "system", "content": "You are a patient tutor. Answer in one or two sentences."},
    {"role": "user", "content": "What is the pH of pure water?"},
]


# ---- a real llama.cpp server ------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (``.../v1``) of a llama.cpp server on SmolLM2, stopped after the module."""
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llamacpp]')"
    )
    from tutor.model_paths import resolve_llm

    gguf = resolve_llm("smollm2")
    with running_llamacpp_server(gguf, alias="smollm2", start_timeout_s=90) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def remote(llama_server: str) -> Iterator[OpenAICompatibleModel]:
    model = OpenAICompatibleModel(llama_server, "smollm2", timeout_s=60, retries=1)
    model.warm_up()
    yield model
    model.close()


@pytest.mark.real_models
def test_streamed_answer_is_greedy_and_deterministic(remote: OpenAICompatibleModel):
    assert isinstance(remote, LanguageModel)
    pieces = list(remote.stream(QUESTION, max_new_tokens=40))
    assert len(pieces) > 1 and "".join(pieces).strip()
    again = generate(remote, QUESTION, max_new_tokens=40)
    assert again == "".join(pieces)

    import httpx

    whole = httpx.post(
        f"{remote.base_url}/chat/completions",
        json={"model": "smollm2", "messages": QUESTION, "max_tokens": 40, "temperature": 0},
        timeout=60,
    ).json()
    assert whole["choices"][0]["message"]["content"] == again


@pytest.mark.real_models
def test_multi_turn_conversation(remote: OpenAICompatibleModel):
    messages = [
        {"role": "system", "content": "You are a patient tutor."},
        {"role": "user", "content": "What is the pH of pure water?"},
        {"role": "assistant", "content": "Pure water has a pH of 7 at room temperature."},
        {"role": "user", "content": "And is lemon juice more acidic than that?"},
    ]
    reply = generate(remote, messages, max_new_tokens=32)
    assert reply.strip()


@pytest.mark.real_models
def test_warm_up_names_the_models_the_server_has(llama_server: str):
    model = OpenAICompatibleModel(llama_server, "no-such-model", retries=0)
    with pytest.raises(ConfigError, match="smollm2"):
        model.warm_up()


@pytest.mark.real_models
def test_two_learners_at_once_both_get_whole_answers(remote: OpenAICompatibleModel):
    # llama_cpp.server cuts off the stream it is writing when another request arrives unless
    # started with --interrupt_requests false (as running_llamacpp_server does)
    other = [{"role": "user", "content": "Name three things plants need to grow."}]
    alone = [generate(remote, m, max_new_tokens=48) for m in (QUESTION, other)]
    together: list[str] = ["", ""]

    def ask(index: int, messages: list[dict[str, str]]) -> None:
        together[index] = generate(remote, messages, max_new_tokens=48)

    threads = [threading.Thread(target=ask, args=pair) for pair in enumerate([QUESTION, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert together == alone


@pytest.mark.real_models
def test_closing_early_leaves_the_server_usable(remote: OpenAICompatibleModel):
    pieces = remote.stream(QUESTION, max_new_tokens=200)
    assert next(pieces)
    pieces.close()
    assert generate(remote, QUESTION, max_new_tokens=8).strip()


@pytest.mark.real_models
def test_whole_pipeline_answers_through_the_server(llama_server: str, settings: Settings):
    from retrieval.ingest import ingest
    from tutor.pipeline import Pipeline
    from tutor.services import Services

    configured = settings.replace(
        llm="smollm2",  # not "fake": the openai backend answers
        llm_backend="openai",
        openai_base_url=llama_server,
        openai_model="smollm2",
        max_new_tokens=48,
    )
    services = Services.build(configured)
    assert isinstance(services.llm, OpenAICompatibleModel)
    report = ingest(
        [SAMPLE_COURSE], course="sample", settings=configured, embedder=services.embedder
    )
    assert report.documents >= 1
    services.warm_up()
    answer = Pipeline(services).ask("What is the pH of pure water at 25 °C?", course="sample")
    assert not answer.not_covered and answer.sources
    assert answer.model == "smollm2" and answer.answer.strip()
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]


# ---- scripted servers for the failure paths ----------------------------------------------


def sse(*texts: str, done: bool = True) -> bytes:
    events = [
        json.dumps({"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]})
        for t in texts
    ]
    body = "".join(f"data: {e}\n\n" for e in events)
    return (body + ("data: [DONE]\n\n" if done else "")).encode()


Behaviour = Callable[[BaseHTTPRequestHandler, int], None]


class ScriptedServer:
    """An HTTP server in a thread; ``behaviour(handler, n)`` answers the n-th request (from 1)."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()  # set at teardown to free stalled handlers
        self.disconnected = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body) if body else None,
                    }
                )
                try:
                    outer.behaviour(self, len(outer.requests))
                except (BrokenPipeError, ConnectionResetError):
                    outer.disconnected.set()

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[[Behaviour], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(behaviour: Behaviour) -> ScriptedServer:
        server = ScriptedServer(behaviour)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", headers.pop("content_type", "application/json"))
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def stream_head(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True


def model_for(server: ScriptedServer, **kwargs: Any) -> OpenAICompatibleModel:
    kwargs.setdefault("backoff_s", 0.01)
    return OpenAICompatibleModel(server.url, "tiny", **kwargs)


def test_server_down_is_a_model_error_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = OpenAICompatibleModel(url, "tiny", retries=1, backoff_s=0.01, timeout_s=5)
    started = time.monotonic()
    with pytest.raises(ModelError, match="is not reachable") as caught:
        generate(model, QUESTION)
    assert url in str(caught.value)
    assert time.monotonic() - started < 5
    with pytest.raises(ModelError, match=re.escape(url)):
        model.warm_up()


def test_503_is_retried_until_the_stream_comes(scripted: Callable[[Behaviour], ScriptedServer]):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        if n <= 2:
            reply(handler, 503, b'{"error": "warming up"}')
            return
        stream_head(handler)
        handler.wfile.write(sse("Hello", " world"))

    server = scripted(behaviour)
    model = model_for(server, retries=2)
    assert generate(model, QUESTION, max_new_tokens=12) == "Hello world"
    assert len(server.requests) == 3
    sent = server.requests[-1]["body"]
    assert sent["stream"] is True and sent["temperature"] == 0 and sent["model"] == "tiny"
    assert sent["max_tokens"] == 12 and sent["messages"] == QUESTION


def test_retries_run_out_with_the_server_message(scripted: Callable[[Behaviour], ScriptedServer]):
    server = scripted(lambda h, n: reply(h, 429, b'{"error": {"message": "slow down"}}'))
    model = model_for(server, retries=1)
    with pytest.raises(ModelError, match="HTTP 429: slow down"):
        generate(model, QUESTION)
    assert len(server.requests) == 2


def test_a_client_error_is_not_retried(scripted: Callable[[Behaviour], ScriptedServer]):
    body = b'{"error": {"message": "prompt is longer than the context"}}'
    server = scripted(lambda h, n: reply(h, 400, body))
    with pytest.raises(ModelError, match="HTTP 400: prompt is longer"):
        generate(model_for(server, retries=3), QUESTION)
    assert len(server.requests) == 1


def test_a_stalled_server_times_out(scripted: Callable[[Behaviour], ScriptedServer]):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        server.release.wait(10)

    server = scripted(behaviour)
    model = model_for(server, timeout_s=0.5, retries=0)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"did not answer within 0\.5 s"):
        generate(model, QUESTION)
    assert time.monotonic() - started < 5


def test_a_stall_in_the_middle_of_a_reply_is_not_retried(
    scripted: Callable[[Behaviour], ScriptedServer],
):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        stream_head(handler)
        handler.wfile.write(sse("Half", done=False))
        handler.wfile.flush()
        server.release.wait(10)

    server = scripted(behaviour)
    model = model_for(server, timeout_s=0.5, retries=3)
    pieces = model.stream(QUESTION)
    assert next(pieces) == "Half"
    with pytest.raises(ModelError, match="stopped answering"):
        next(pieces)
    assert len(server.requests) == 1


def test_closing_the_iterator_closes_the_response(
    scripted: Callable[[Behaviour], ScriptedServer],
):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        stream_head(handler)
        for i in range(2000):
            if server.release.is_set():
                return
            handler.wfile.write(sse(f"w{i} ", done=False))
            handler.wfile.flush()
            time.sleep(0.01)

    server = scripted(behaviour)
    pieces = model_for(server).stream(QUESTION)
    assert next(pieces) == "w0 "
    pieces.close()
    assert server.disconnected.wait(10), "the server kept streaming to a closed connection"


def test_error_event_in_the_stream_is_a_model_error(
    scripted: Callable[[Behaviour], ScriptedServer],
):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        stream_head(handler)
        handler.wfile.write(b'data: {"error": {"message": "out of memory"}}\n\n')

    server = scripted(behaviour)
    with pytest.raises(ModelError, match="out of memory"):
        generate(model_for(server, retries=0), QUESTION)


def test_bearer_token_is_sent_but_never_shown(scripted: Callable[[Behaviour], ScriptedServer]):
    def behaviour(handler: BaseHTTPRequestHandler, n: int) -> None:
        stream_head(handler)
        handler.wfile.write(sse("ok"))

    server = scripted(behaviour)
    model = model_for(server, api_key="sk-secret-123")
    assert generate(model, QUESTION) == "ok"
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(model)


def test_warm_up_adopts_the_window_the_server_reports(
    scripted: Callable[[Behaviour], ScriptedServer],
):
    listing = {"object": "list", "data": [{"id": "tiny", "max_model_len": 8192}]}
    server = scripted(lambda h, n: reply(h, 200, json.dumps(listing).encode()))
    model = model_for(server)
    assert model.context_window == 2048
    model.warm_up()
    assert model.context_window == 8192
    assert server.requests[0]["method"] == "GET" and server.requests[0]["path"] == "/v1/models"
    fixed = model_for(server, context_window=4096)
    fixed.warm_up()
    assert fixed.context_window == 4096


def test_count_tokens_is_a_conservative_byte_estimate():
    model = OpenAICompatibleModel("http://127.0.0.1:9/v1", "tiny")
    assert model.count_tokens("") == 0
    assert model.count_tokens("abc") == 1
    assert model.count_tokens("abcd") == 2
    assert model.count_tokens("é") == 1  # two bytes


def test_bad_settings_are_config_errors(settings: Settings, tmp_path: Path):
    with pytest.raises(ConfigError, match="openai_base_url"):
        OpenAICompatibleModel("gpu-server:8000", "m")
    with pytest.raises(ConfigError, match="openai_model"):
        OpenAICompatibleModel("http://gpu:8000/v1", "")
    assert redact_url("http://me:pw@gpu:8000/v1") == "http://gpu:8000/v1"
    configured = settings.replace(
        llm="smollm2", llm_backend="openai", openai_base_url="http://gpu:8000/v1/"
    )
    with pytest.raises(ConfigError, match="openai_model"):
        load_language_model(configured)


def test_a_server_that_ignores_stream_still_answers(
    scripted: Callable[[Behaviour], ScriptedServer],
):
    completion = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Whole"}}]}
    server = scripted(lambda h, n: reply(h, 200, json.dumps(completion).encode()))
    assert generate(model_for(server), QUESTION) == "Whole"
