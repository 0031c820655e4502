"""``tutor eval speed``: time to first token, decode speed, retrieval latency, concurrency.

Two targets, named in the results (``summary.target``):
- ``--url URL``: a running ``tutor serve``; each chat is one request to its ``/chat`` API
  (``POST /gradio_api/call/chat`` then the event stream), timed from the request to the first
  streamed piece of the answer and to the end. Token counts are not sent over the API, so
  decode speed is missing there. ``--user NAME`` signs in first (``POST /login``; the password
  comes from ``$TUTOR_EVAL_PASSWORD``).
- otherwise: in-process pipelines sharing one set of loaded models (one ``Pipeline`` per chat,
  one thread each), as ``tutor serve`` runs them.

Every level (1, 4, 8 concurrent chats) asks each chat one question; the questions come from
``--data`` (generic JSONL), else a fixed list about the sample course.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from eval.context import CourseHandle, EvalContext
from eval.metrics import latency_summary, percentile
from eval.results import Metrics
from eval.shared_sets import read_generic_set, resolve_data
from eval.suites.common import default_course, grouped_bar_chart, histogram
from tutor.pipeline import Pipeline
from tutor.types import Answer

LEVELS = (1, 4, 8)
SAMPLE_QUESTIONS = (
    "What does the pH scale measure?",
    "How many covalent bonds does a carbon atom usually form?",
    "What is sublimation?",
    "How many times does a for loop over range(5) run?",
    "What is the difference between a list and a tuple in Python?",
    "What is Newton's first law of motion?",
    "How is work calculated in physics?",
    "Why do bases feel slippery?",
)


def questions_for(ctx: EvalContext, data: list[str]) -> list[str]:
    if data:
        ref = resolve_data(data[0], ctx.shared)
        return [q.question for q in read_generic_set(ref).questions]
    return list(SAMPLE_QUESTIONS)


def timed_stream(pipeline: Pipeline, question: str, course: str) -> dict[str, Any]:
    started = time.perf_counter()
    first: float | None = None
    answer: Answer | None = None
    for event in pipeline.stream(question, course=course, mode="explain"):
        if isinstance(event, Answer):
            answer = event
        elif first is None and event:
            first = time.perf_counter()
    finished = time.perf_counter()
    assert answer is not None
    ttft = ((first or finished) - started) * 1000
    total = (finished - started) * 1000
    decoded = (finished - first) if first is not None else 0.0
    tokens = answer.completion_tokens
    return {
        "question": question,
        "not_covered": answer.not_covered,
        "tokens": tokens,
        "ttft_ms": round(ttft, 1),
        "total_ms": round(total, 1),
        "decode_tok_s": round((tokens - 1) / decoded, 2)
        if tokens > 1 and decoded > 0 and not answer.not_covered
        else None,
    }


def http_opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    """An HTTP client keeping cookies; signed in first when the server asks for a login."""
    import http.cookiejar
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    if user:
        form = urllib.parse.urlencode({"username": user, "password": password or ""}).encode()
        with opener.open(f"{url.rstrip('/')}/login", data=form, timeout=60) as response:
            response.read()
    return opener


def timed_http(
    opener: urllib.request.OpenerDirector, url: str, question: str, course: str
) -> dict[str, Any]:
    """One chat over the server's Gradio API: first streamed content and completion times."""
    base = url.rstrip("/")
    body = json.dumps({"data": [question, course, "explain"]}).encode()
    started = time.perf_counter()
    request = urllib.request.Request(
        f"{base}/gradio_api/call/chat", data=body, headers={"Content-Type": "application/json"}
    )
    with opener.open(request, timeout=600) as response:
        event_id = json.loads(response.read())["event_id"]
    first: float | None = None
    event = ""
    completed = False
    with opener.open(f"{base}/gradio_api/call/chat/{event_id}", timeout=600) as stream:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in {"generating", "complete"}:
                if first is None and _has_answer_text(line[5:].strip()):
                    first = time.perf_counter()
                if event == "complete":
                    completed = True
            if event in {"complete", "error"} and line == "":
                break
    finished = time.perf_counter()
    return {
        "question": question,
        "completed": completed,
        "ttft_ms": round(((first or finished) - started) * 1000, 1),
        "total_ms": round((finished - started) * 1000, 1),
        "decode_tok_s": None,
    }


def _has_answer_text(data: str) -> bool:
    """The chatbot value holds an assistant message with more than the "…" placeholder."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError:
        return False
    chat = value[0] if isinstance(value, list) and value else None
    if not isinstance(chat, list) or not chat:
        return False
    last = chat[-1]
    content = last.get("content") if isinstance(last, dict) else None
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return isinstance(content, str) and content.strip() not in {"", "…"}


def concurrent(
    level: int, questions: list[str], ask: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    results: list[dict[str, Any] | None] = [None] * level
    errors: list[str] = []

    def chat(i: int) -> None:
        try:
            results[i] = ask(questions[i % len(questions)])
        except Exception as exc:  # a failed chat is reported, not fatal
            errors.append(f"{type(exc).__name__}: {exc}")

    started = time.perf_counter()
    threads = [threading.Thread(target=chat, args=(i,)) for i in range(level)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    done = [r for r in results if r is not None]
    ttfts = [r["ttft_ms"] for r in done]
    totals = [r["total_ms"] for r in done]
    tokens = sum(r.get("tokens") or 0 for r in done)
    return {
        "chats": level,
        "completed": len(done),
        "errors": errors,
        "ttft_ms_p50": round(statistics.median(ttfts), 1) if ttfts else None,
        "ttft_ms_p95": round(percentile(ttfts, 95), 1) if ttfts else None,
        "total_ms_p50": round(statistics.median(totals), 1) if totals else None,
        "total_ms_p95": round(percentile(totals, 95), 1) if totals else None,
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(done) / wall, 3) if wall else None,
        "tokens_per_s": round(tokens / wall, 2) if tokens and wall else None,
        "requests": done,
    }


def run(ctx: EvalContext, data: list[str]) -> dict[str, Any]:
    questions = questions_for(ctx, data)
    n = min(len(questions), ctx.limit or len(questions))
    sequential_questions = questions[:n]
    handle: CourseHandle | None = None
    notes: list[str] = []
    if ctx.url is None:
        handle = default_course(ctx)
        ctx.services.warm_up()
        target = "in-process pipelines (no --url given)"
        pipeline = Pipeline(handle.services)
        course = handle.name
        timed_stream(pipeline, questions[0], course)  # warm-up, not counted

        def ask(question: str) -> dict[str, Any]:
            assert handle is not None
            return timed_stream(Pipeline(handle.services), question, course)
    else:
        target = f"server at {ctx.url}"
        course = ctx.course or ctx.settings.default_course
        url = ctx.url
        opener = http_opener(url, ctx.url_user, ctx.url_password)
        timed_http(opener, url, questions[0], course)  # warm-up, not counted

        def ask(question: str) -> dict[str, Any]:
            return timed_http(opener, url, question, course)

        if ctx.has_user_course():
            try:
                handle = ctx.user_course()
            except Exception as exc:  # the course may exist only on the server
                notes.append(f"retrieval latency not measured locally: {exc}")

    sequential = [ask(q) for q in ctx.track(sequential_questions, n, "speed sequential")]
    answered = [r for r in sequential if not r.get("not_covered")]
    retrieval_ms: list[float] = []
    if handle is not None:
        for _ in range(3):
            for q in questions:
                started = time.perf_counter()
                handle.retriever.retrieve(q, handle.name)
                retrieval_ms.append((time.perf_counter() - started) * 1000)
    levels = {}
    for level in ctx.track(LEVELS, len(LEVELS), "speed concurrency"):
        levels[str(level)] = concurrent(level, questions, ask)

    summary = Metrics()
    summary.put("suite", "speed")
    summary.put("n", len(sequential))
    summary.put("target", target)
    summary.put("course", course)
    ttfts = [r["ttft_ms"] for r in answered]
    summary.put(
        "ttft_ms_p50",
        statistics.median(ttfts) if ttfts else None,
        "no question was answered by the model (all not covered)",
    )
    summary.put(
        "ttft_ms_p95",
        percentile(ttfts, 95) if ttfts else None,
        "no question was answered by the model",
    )
    rates = [r["decode_tok_s"] for r in answered if r.get("decode_tok_s")]
    summary.put(
        "decode_tok_s",
        statistics.median(rates) if rates else None,
        "token counts are not sent over the chat API"
        if ctx.url
        else "no answer longer than one token",
    )
    why = "the course is not available in this process (give --course for a local copy)"
    summary.put("retrieval_ms_p50", statistics.median(retrieval_ms) if retrieval_ms else None, why)
    summary.put("retrieval_ms_p95", percentile(retrieval_ms, 95) if retrieval_ms else None, why)
    summary.put(
        "concurrency",
        {
            k: {
                m: v[m]
                for m in (
                    "ttft_ms_p50",
                    "ttft_ms_p95",
                    "total_ms_p50",
                    "answers_per_s",
                    "tokens_per_s",
                    "completed",
                )
            }
            for k, v in levels.items()
        },
    )
    charts = [
        histogram("Time to first token (sequential)", ttfts, "milliseconds", volatile=True),
        histogram("Retrieval latency", retrieval_ms, "milliseconds", volatile=True),
        {**grouped_bar_chart(
            "Latency under concurrent chats",
            {"TTFT p50": {k: v["ttft_ms_p50"] for k, v in levels.items()},
             "answer p50": {k: v["total_ms_p50"] for k, v in levels.items()}},
            "milliseconds",
        ), "volatile": True},
    ]  # fmt: skip
    return {
        "suite": "speed",
        "summary": summary.to_json(),
        "metrics": {"levels": levels, "target": target},
        "datasets": [
            {"name": "speed questions", "split": "n/a", "path": data[0] if data else "built-in",
             "n": len(questions)}
        ],
        "rows": sequential,
        "charts": charts,
        "notes": [
            f"Target: {target}. Speed figures are timings: they vary between runs and machines.",
            *notes,
        ],
        "timings": {"retrieval_ms": latency_summary(retrieval_ms) if retrieval_ms else None},
    }  # fmt: skip
