"""``tutor bench``: speed figures of the language-model backends and of a running server.

- ``tutor bench generation``: the configured backend against llama.cpp on the same GGUF and
  prompts, each in its own subprocess (decode tok/s, time to first token, load time, peak RSS).
- ``tutor bench serve``: a load test of a running ``tutor serve`` through ``POST /api/ask`` at
  several concurrency levels, optionally against a llama.cpp server on the same model.

The measuring code lives in the repository's ``bench/`` folder (``bench.bench_generation``,
``bench.bench_serve_load``), so these commands run from a clone of the repository.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.config import Settings
from tutor.errors import ConfigError


def register(subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    add_bench_parser(subparsers, add_common)


def add_bench_parser(
    subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None] | None = None
) -> None:
    """Add ``tutor bench generation`` and ``tutor bench serve`` to ``subparsers``."""
    bench = subparsers.add_parser(
        "bench", help="measure generation speed and server throughput (figures, not pass/fail)"
    )
    kinds = bench.add_subparsers(dest="bench_command", required=True)

    p = kinds.add_parser(
        "generation",
        help="the configured backend against llama.cpp on the same GGUF and prompts",
        description=(
            "Runs the configured backend and llama.cpp on the same ~600-token prompts, each in "
            "its own subprocess per repeat (repeats alternate the order), and prints medians: "
            "decode tok/s = (generated tokens - 1) / (first to last token); TTFT; load time; "
            "peak RSS. decode_ratio = ours / llama.cpp (higher is better); ttft_ratio = "
            "ours / llama.cpp (lower is better)."
        ),
    )
    if add_common is not None:
        add_common(p)
    add_generation_arguments(p)
    p.set_defaults(handler=_generation)

    p = kinds.add_parser(
        "serve",
        help="load-test a running tutor server through POST /api/ask",
        description=(
            "Drives a running tutor server with N concurrent streaming chats per level and "
            "reports aggregate completion tokens/s, p50/p95 time to first token and total "
            "time, errors, busy (503) and rate-limited (429) answers. The server's per-learner "
            "limits apply: start it with TUTOR_ACCOUNTS__MESSAGES_PER_MINUTE=0 and "
            "TUTOR_ACCOUNTS__MESSAGES_PER_DAY=0 for a load test, or give several users. "
            "aggregate_tok_s_ratio = ours / peer (higher is better)."
        ),
    )
    if add_common is not None:
        add_common(p)
    p.add_argument("--url", required=True, help="the tutor server, e.g. http://127.0.0.1:7860")
    p.add_argument(
        "--user",
        required=True,
        help="the user to sign in as; several, comma-separated, are shared round-robin",
    )
    p.add_argument(
        "--password-env",
        default="TUTOR_EVAL_PASSWORD",
        help="environment variable holding the password (default TUTOR_EVAL_PASSWORD)",
    )
    p.add_argument("--course", required=True, help="a course the user is enrolled in")
    p.add_argument("--concurrency", default="1,4,8", help="comma-separated levels (default 1,4,8)")
    p.add_argument(
        "--questions", type=int, default=3, help="questions per concurrent chat (default 3)"
    )
    p.add_argument(
        "--max-tokens",
        type=int,
        help="the peer's max_tokens (default: max_new_tokens, as the tutor's answers)",
    )
    peer = p.add_mutually_exclusive_group()
    peer.add_argument(
        "--llamacpp-peer",
        action="store_true",
        help="also start llama.cpp's server on the same GGUF and drive it the same way",
    )
    peer.add_argument("--peer-url", help="compare with a running OpenAI-compatible server (/v1)")
    p.add_argument("--peer-model", help="the model name on --peer-url (default: its first)")
    p.add_argument(
        "--no-match-lengths",
        dest="match_lengths",
        action="store_false",
        help="let the peer answer at its own length (default: its prompts are padded to the "
        "tutor's measured prompt length per question and its answers held to the tutor's "
        "answer length with min_tokens, so both sides do the same work)",
    )
    p.add_argument("--gguf", type=Path, help="the GGUF for --llamacpp-peer (default: llm)")
    p.add_argument(
        "--threads", type=int, help="the peer's CPU threads (default llm_threads, else cores)"
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per request (600)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_serve)


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``tutor bench generation`` (``python -m bench.bench_generation`` too)."""
    parser.add_argument("--prompts", type=int, default=4, help="different prompts (default 4)")
    parser.add_argument(
        "--new-tokens", type=int, default=128, help="new tokens at most (default 128)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="subprocesses per backend, interleaved (3)"
    )
    parser.add_argument(
        "--prompt-tokens", type=int, default=600, help="prompt length to aim for (600)"
    )
    parser.add_argument(
        "--threads", type=int, help="CPU threads for both (default llm_threads, else cores)"
    )
    parser.add_argument("--gguf", type=Path, help="the GGUF llama.cpp runs (default: llm)")
    parser.add_argument(
        "--llm-backend",
        choices=["transformers", "llamacpp", "openai"],
        help="measure this backend instead of the configured one",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def bench_module(name: str) -> Any:
    """Import ``bench.<name>`` from the repository the tutor package sits in."""
    import tutor

    root = Path(tutor.__file__).resolve().parent.parent
    if not (root / "bench" / f"{name}.py").is_file():
        raise ConfigError(
            f"tutor bench runs bench/{name}.py from the tutor's repository, which is not next "
            f"to the installed package ({root}); run it from a clone installed with "
            "`pip install -e .`"
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(f"bench.{name}")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _generation(args: argparse.Namespace, settings: Settings) -> int:
    return int(bench_module("bench_generation").compare_and_print(args, settings))


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    load = bench_module("bench_serve_load")
    generation = bench_module("bench_generation")
    try:
        levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    except ValueError as exc:
        raise ConfigError(f"--concurrency {args.concurrency!r} is not a list like 1,4,8") from exc
    if not levels or min(levels) < 1 or args.questions < 1:
        raise ConfigError("--concurrency levels and --questions must be at least 1")
    users = [u.strip() for u in args.user.split(",") if u.strip()]
    password = load.password_from(args.password_env)

    gguf: Path | None = args.gguf
    if gguf is None and (args.llamacpp_peer or args.peer_url):
        from tutor.model_paths import resolve_llm

        try:
            candidate = resolve_llm("smollm2" if settings.llm == "fake" else settings.llm)
        except ConfigError:
            candidate = None
        gguf = candidate if candidate is not None and candidate.suffix == ".gguf" else None
    if args.llamacpp_peer and gguf is None:
        raise ConfigError("--llamacpp-peer needs a GGUF model: give --gguf")
    peer = "llamacpp" if args.llamacpp_peer else args.peer_url
    report = load.run(
        url=args.url,
        users=users,
        password=password,
        course=args.course,
        levels=levels,
        questions=args.questions,
        max_tokens=args.max_tokens or settings.max_new_tokens,
        timeout_s=args.timeout,
        peer=peer,
        peer_model=args.peer_model,
        gguf=gguf,
        threads=args.threads or generation.default_threads(settings.llm_threads),
        progress=_progress,
        match_lengths=args.match_lengths,
    )
    if args.json:
        print(json.dumps(report))
    else:
        load.print_text(report)
    return 0
