"""Load test of a running ``tutor serve`` through ``POST /api/ask``, optionally against a
llama.cpp server on the same GGUF.

    tutor bench serve --url http://127.0.0.1:7860 --user ann --course sample \\
        --concurrency 1,4,8 --questions 3 [--llamacpp-peer | --peer-url URL] --json

For each concurrency level C, C clients start together; each signs in once (its own session
cookie) and asks ``--questions`` questions one after another, each in a new chat, with
``"stream": true``. Per level it reports:

- ``aggregate_tok_s``: the answers' ``completion_tokens`` summed over the level's wall time
  (a server whose answers lack the field: their length / 4 characters, ``tokens_estimated``);
- ``ttft_ms_p50``/``ttft_ms_p95``: from sending to the first ``token`` event;
- ``total_ms_p50``/``total_ms_p95``: from sending to the ``answer`` event;
- ``answered``, ``errors``, ``busy`` (HTTP 503: the tutor's queue was full) and
  ``rate_limited`` (HTTP 429: the per-learner limits; start the server with
  ``TUTOR_ACCOUNTS__MESSAGES_PER_MINUTE=0`` and ``TUTOR_ACCOUNTS__MESSAGES_PER_DAY=0`` for a load
  test, or give several users).

The peer (``--llamacpp-peer`` starts ``python -m llama_cpp.server`` on a free loopback port;
``--peer-url`` uses a running OpenAI-compatible server) then gets the same levels and question
counts on ``/chat/completions`` with streaming, and the same work: the tutor's system prompt
(explain mode) and answer template around sample-course sources, padded to the prompt length the
tutor reported for that question, and an answer held to exactly the tutor's answer length for it
(``min_tokens`` = ``max_tokens``; llama.cpp's and vLLM's servers honour it). Without that match
(``match_lengths=False``, ``--no-match-lengths``) SmolLM2 answered the peer's prompts in 8-16
tokens and the tutor's in ~150, and a tokens/s ratio compared prefill with decoding. Its
completion tokens are the streamed content pieces (one token each on llama.cpp and vLLM).
``aggregate_tok_s_ratio`` is ours / peer per level (higher is better) and ``ttft_p95_ratio``
ours / peer (lower is better); ``answer_tokens_mean`` gives both sides' mean answer length and
``aggregate_comparable`` is false when they differ by more than 2x.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import percentile
from tutor.errors import ConfigError
from tutor.llm.llamacpp_server import running_llamacpp_server

QUESTIONS = [
    "What is the pH of pure water?",
    "How many times does a for loop over range(5) run?",
    "What is the unit of force?",
    "What does litmus paper do in an acid?",
    "What is the difference between a list and a tuple in Python?",
    "How is work calculated in physics?",
    "What is a covalent bond?",
    "What happens to a while loop whose condition never becomes false?",
]


@dataclass
class Outcome:
    """One question's fate."""

    status: str  # "answered", "error", "busy" or "rate_limited"
    ttft_s: float | None = None
    total_s: float | None = None
    tokens: int = 0
    error: str = ""
    estimated: bool = False  # tokens estimated from the text (no completion_tokens given)
    prompt_tokens: int = 0  # the tutor's prompt, as its answer reports it (0: unknown)


@dataclass
class Level:
    concurrency: int
    wall_s: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        answered = [o for o in self.outcomes if o.status == "answered"]
        ttft = [o.ttft_s * 1000 for o in answered if o.ttft_s is not None]
        total = [o.total_s * 1000 for o in answered if o.total_s is not None]
        tokens = sum(o.tokens for o in answered)
        errors = [o.error for o in self.outcomes if o.status == "error"]

        def q(values: list[float], pct: float) -> float | None:
            return round(percentile(values, pct), 1) if values else None

        return {
            "concurrency": self.concurrency,
            "requests": len(self.outcomes),
            "answered": len(answered),
            "errors": len(errors),
            "busy": sum(o.status == "busy" for o in self.outcomes),
            "rate_limited": sum(o.status == "rate_limited" for o in self.outcomes),
            "completion_tokens": tokens,
            "tokens_estimated": any(o.estimated for o in answered),
            "wall_s": round(self.wall_s, 2),
            "aggregate_tok_s": round(tokens / self.wall_s, 2) if self.wall_s > 0 else None,
            "ttft_ms_p50": round(statistics.median(ttft), 1) if ttft else None,
            "ttft_ms_p95": q(ttft, 95),
            "total_ms_p50": round(statistics.median(total), 1) if total else None,
            "total_ms_p95": q(total, 95),
            "error_samples": sorted(set(errors))[:3],
        }


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event name, data) pairs of a server-sent event stream; unnamed events are "message"."""
    name = "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield name, "\n".join(data)


def _status_outcome(response: Any) -> Outcome:
    code = response.status_code
    try:
        detail = str(response.json().get("error", ""))
    except Exception:
        detail = response.text[:200]
    if code == 503:
        return Outcome("busy", error=detail)
    if code == 429:
        return Outcome("rate_limited", error=detail)
    return Outcome("error", error=f"HTTP {code}: {detail}")


# ---- our side: POST /api/ask ---------------------------------------------------------------


def sign_in(client: Any, user: str, password: str) -> None:
    """POST /login as a program (JSON, not a redirect); the client keeps the session cookie."""
    response = client.post(
        "/login",
        data={"username": user, "password": password},
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200:
        raise ConfigError(
            f"signing in to {client.base_url} as {user!r} failed: HTTP {response.status_code}"
        )
    # Keep the cookie even when it is marked Secure and the URL is plain http.
    token = response.cookies.get("tutor_session")
    if token:
        client.headers["Cookie"] = f"tutor_session={token}"


def ask_tutor(client: Any, question: str, course: str) -> Outcome:
    body = {"question": question, "course": course, "mode": "explain", "stream": True}
    start = time.perf_counter()
    first: float | None = None
    try:
        with client.stream("POST", "/api/ask", json=body) as response:
            if response.status_code != 200:
                response.read()
                return _status_outcome(response)
            for name, data in sse_events(response.iter_lines()):
                if name == "token" and first is None:
                    first = time.perf_counter()
                elif name == "answer":
                    answer = json.loads(data)
                    end = time.perf_counter()
                    tokens = answer.get("completion_tokens")
                    estimated = not isinstance(tokens, int)
                    if estimated:  # a server without the field: about 4 characters a token
                        tokens = math.ceil(len(str(answer.get("answer", ""))) / 4)
                    return Outcome(
                        "answered",
                        ttft_s=(first or end) - start,
                        total_s=end - start,
                        tokens=int(tokens),
                        estimated=estimated,
                        prompt_tokens=int(answer.get("prompt_tokens") or 0),
                    )
                elif name == "error":
                    problem = json.loads(data)
                    status = int(problem.get("status", 500))
                    kind = {503: "busy", 429: "rate_limited"}.get(status, "error")
                    return Outcome(kind, error=str(problem.get("error", "")))
    except Exception as exc:  # a load test counts failures instead of stopping
        return Outcome("error", error=f"{type(exc).__name__}: {exc}")
    return Outcome("error", error="the stream ended without an answer event")


# ---- the peer: an OpenAI-compatible /chat/completions --------------------------------------


def ask_peer(
    client: Any,
    model: str,
    messages: list[dict[str, str]],
    max_tokens: int,
    min_tokens: int = 0,
) -> Outcome:
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
    }
    if min_tokens:  # llama.cpp's and vLLM's servers take it; it holds back the end token
        body["min_tokens"] = min_tokens
    start = time.perf_counter()
    first: float | None = None
    pieces = 0
    try:
        with client.stream("POST", "/chat/completions", json=body) as response:
            if response.status_code != 200:
                response.read()
                return _status_outcome(response)
            for _, data in sse_events(response.iter_lines()):
                if data.strip() == "[DONE]":
                    break
                chunk = json.loads(data)
                choices = chunk.get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    pieces += 1
                    if first is None:
                        first = time.perf_counter()
    except Exception as exc:
        return Outcome("error", error=f"{type(exc).__name__}: {exc}")
    end = time.perf_counter()
    return Outcome("answered", ttft_s=(first or end) - start, total_s=end - start, tokens=pieces)


def peer_prompts(
    gguf: Path | None, count: int, target_tokens: int | list[int] = 600
) -> list[list[dict]]:
    """Chat messages like the tutor's: its own system prompt (explain mode), sources framed by
    its own answer template and a question, of at least ``target_tokens`` tokens (one target
    for all, or one per question)."""
    from bench.bench_generation import course_paragraphs
    from tutor.prompting import PromptLibrary

    library = PromptLibrary()
    system = library.render("system", course="sample", mode="explain")

    paragraphs = course_paragraphs()
    counter: Callable[[list[dict[str, str]]], int]
    model: Any = None
    if gguf is not None:
        from tutor.llm.llamacpp_backend import LlamaCppModel

        model = LlamaCppModel(gguf)
        counter = model.count_prompt_tokens
    else:  # about four characters a token in English
        counter = lambda messages: sum(len(m["content"]) for m in messages) // 4  # noqa: E731
    prompts = []
    try:
        for i in range(count):
            question = QUESTIONS[i % len(QUESTIONS)]
            target = target_tokens if isinstance(target_tokens, int) else target_tokens[i]
            sources: list[dict[str, Any]] = []
            messages: list[dict[str, str]] = []
            while not messages or counter(messages) < target:
                n = len(sources) + 1
                text = paragraphs[(i * 5 + n - 1) % len(paragraphs)]
                sources.append({"n": n, "place": f"sample course, part {n}", "text": text})
                user = library.render("answer", sources=sources, question=question)
                messages = [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ]
            prompts.append(messages)
    finally:
        if model is not None:
            model.close()
    return prompts


# ---- running levels ------------------------------------------------------------------------


def run_level(
    concurrency: int,
    questions: int,
    make_client: Callable[[int], Any],
    ask: Callable[[Any, int], Outcome],
) -> Level:
    """``concurrency`` clients at once, each asking ``questions`` questions in turn."""
    clients = [make_client(i) for i in range(concurrency)]  # sign-ins before the clock starts
    level = Level(concurrency)
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def client_loop(slot: int) -> None:
        barrier.wait()
        for k in range(questions):
            outcome = ask(clients[slot], slot * questions + k)
            with lock:
                level.outcomes.append(outcome)

    threads = [
        threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    level.wall_s = time.perf_counter() - started
    for client in clients:
        client.close()
    return level


def peer_model_name(url: str, given: str | None) -> str:
    import httpx

    if given:
        return given
    listing = httpx.get(f"{url}/models", timeout=30).json()
    return str(listing["data"][0]["id"])


def run(
    *,
    url: str,
    users: list[str],
    password: str,
    course: str,
    levels: list[int],
    questions: int,
    max_tokens: int,
    timeout_s: float = 600.0,
    peer: str | None = None,  # "llamacpp" to start one, or a running server's /v1 URL
    peer_model: str | None = None,
    gguf: Path | None = None,
    threads: int = 1,
    progress: Callable[[str], None] | None = None,
    match_lengths: bool = True,
) -> dict[str, Any]:
    import httpx

    url = url.rstrip("/")

    def tutor_client(slot: int) -> Any:
        client = httpx.Client(base_url=url, timeout=httpx.Timeout(timeout_s))
        sign_in(client, users[slot % len(users)], password)
        return client

    # what the tutor's prompt and answer to each question measured, for the peer to match
    seen: dict[int, list[tuple[int, int]]] = {}

    def ask_ours(client: Any, n: int) -> Outcome:
        outcome = ask_tutor(client, QUESTIONS[n % len(QUESTIONS)], course)
        if outcome.status == "answered" and outcome.prompt_tokens:
            seen.setdefault(n % len(QUESTIONS), []).append((outcome.prompt_tokens, outcome.tokens))
        return outcome

    ours: dict[int, dict[str, Any]] = {}
    for c in levels:
        if progress:
            progress(f"tutor: {c} concurrent")
        ours[c] = run_level(c, questions, tutor_client, ask_ours).summary()

    theirs: dict[int, dict[str, Any]] = {}
    model_name = None
    if peer is not None:
        with _peer_url(peer, gguf, threads) as peer_url:
            model_name = peer_model_name(peer_url, peer_model if peer != "llamacpp" else "peer")
            matched = matched_lengths(seen, max_tokens) if match_lengths else {}
            targets = [matched.get(i, (600, 0))[0] for i in range(len(QUESTIONS))]
            prompts = peer_prompts(gguf, len(QUESTIONS), targets)

            def peer_client(slot: int) -> Any:
                return httpx.Client(base_url=peer_url, timeout=httpx.Timeout(timeout_s))

            def ask_theirs(client: Any, n: int) -> Outcome:
                assert model_name is not None
                index = n % len(QUESTIONS)
                answer = matched.get(index, (0, 0))[1]
                limit = answer or max_tokens
                return ask_peer(client, model_name, prompts[index], limit, min_tokens=answer)

            for c in levels:
                if progress:
                    progress(f"peer: {c} concurrent")
                theirs[c] = run_level(c, questions, peer_client, ask_theirs).summary()

    results = []
    for c in levels:
        row = dict(ours[c])
        if c in theirs:
            row["peer"] = theirs[c]
            mine, other = row["aggregate_tok_s"], theirs[c]["aggregate_tok_s"]
            row["aggregate_tok_s_ratio"] = round(mine / other, 3) if mine and other else None
            ttft, peer_ttft = row["ttft_ms_p95"], theirs[c]["ttft_ms_p95"]
            row["ttft_p95_ratio"] = round(ttft / peer_ttft, 3) if ttft and peer_ttft else None
            lengths = {
                who: round(data["completion_tokens"] / data["answered"], 1)
                if data["answered"]
                else None
                for who, data in (("ours", row), ("peer", theirs[c]))
            }
            row["answer_tokens_mean"] = lengths
            # tokens/s compare like with like only when both sides write answers of a like
            # length; otherwise one side's time goes mostly to prefill
            ours_mean, peer_mean = lengths["ours"], lengths["peer"]
            row["aggregate_comparable"] = bool(
                ours_mean and peer_mean and 0.5 <= ours_mean / peer_mean <= 2.0
            )
        results.append(row)
    return {
        "url": url,
        "course": course,
        "users": len(users),
        "questions_per_client": questions,
        "max_tokens": max_tokens,
        "peer": None
        if peer is None
        else {
            "url": peer,
            "model": model_name,
            "threads": threads,
            "lengths_matched": bool(match_lengths and seen),
        },
        "levels": results,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def matched_lengths(
    seen: dict[int, list[tuple[int, int]]], max_tokens: int
) -> dict[int, tuple[int, int]]:
    """Per question: the tutor's median prompt and answer length in tokens (the answer capped at
    ``max_tokens``), which the peer is then asked to match: its prompt padded with sources to
    that length, its answer held to exactly that many tokens (``min_tokens`` = ``max_tokens``).
    A 135M model answers a short question in a few tokens on one prompt and a hundred on
    another; without this the tokens/s of the two sides measure different work."""
    matched = {}
    for index, pairs in seen.items():
        prompt = int(statistics.median(p for p, _ in pairs))
        answer = int(statistics.median(a for _, a in pairs))
        matched[index] = (prompt, max(1, min(answer, max_tokens)))
    return matched


@contextmanager
def _peer_url(peer: str, gguf: Path | None, threads: int) -> Iterator[str]:
    if peer != "llamacpp":
        yield peer.rstrip("/")
        return
    if gguf is None:
        raise ConfigError("--llamacpp-peer needs a GGUF model (--gguf or llm)")
    with running_llamacpp_server(gguf, alias="peer", threads=threads) as started:
        yield started


def print_text(report: dict[str, Any]) -> None:
    print(f"tutor at {report['url']}, course {report['course']}")
    header = "conc  answered err busy 429  tok/s   TTFT p50/p95 ms   total p50/p95 ms"
    print(header)
    for row in report["levels"]:
        for who, data in (("ours", row), ("peer", row.get("peer"))):
            if data is None:
                continue
            print(
                f"{row['concurrency']:>4} {who:<5}{data['answered']:>4} {data['errors']:>4} "
                f"{data['busy']:>4} {data['rate_limited']:>3} {data['aggregate_tok_s']!s:>7}  "
                f"{data['ttft_ms_p50']!s:>7}/{data['ttft_ms_p95']!s:<8} "
                f"{data['total_ms_p50']!s:>7}/{data['total_ms_p95']!s}"
            )
        if "aggregate_tok_s_ratio" in row:
            print(
                f"     ratio ours/peer aggregate tok/s: {row['aggregate_tok_s_ratio']}, "
                f"TTFT p95: {row['ttft_p95_ratio']}"
            )
            if not row["aggregate_comparable"]:
                lengths = row["answer_tokens_mean"]
                print(
                    f"     (answers differ in length: {lengths['ours']} vs {lengths['peer']} "
                    "tokens on average, so the tokens/s ratio is not like for like)"
                )
        if row["rate_limited"]:
            print(
                "     (rate limited: start the server with TUTOR_ACCOUNTS__MESSAGES_PER_MINUTE=0 "
                "for a load test)"
            )


def password_from(variable: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise ConfigError(f"set {variable} to the bench user's password")
    return value
