"""Generation speed of the configured backend against llama.cpp on the same GGUF and prompts.

    python -m bench.bench_generation [--prompts 4] [--new-tokens 128] [--repeats 3] [--json]
    tutor bench generation ...            (the same, with the tutor's configuration options)

Both sides answer the same chat messages: a fixed system prompt, then about 600 tokens of
numbered sources cut from the bundled sample course and a question (counted with llama.cpp's
tokenizer and the GGUF's chat template). Greedy decoding, ``--new-tokens`` at most; generation
may stop earlier at the end-of-sequence token, so the tokens actually generated are reported.

Each side runs in its own subprocess per repeat (``--backend configured|llamacpp`` runs one
side and prints one JSON line), so load time and peak RSS are per backend. Repeats alternate
the sides (A B, B A, ...) so that a machine that speeds up or slows down affects both. Each
subprocess first answers a short unrelated message, untimed, then every prompt once.

- TTFT: from the call to the first streamed piece (prompt processing included).
- decode tok/s: (generated tokens - 1) / (time from the first to the last piece), tokens
  counted with each backend's own tokenizer on the reply (an OpenAI-compatible server's count
  is the backend's byte estimate).
- load_s: building and warming up the model in a fresh process (imports excluded).
- peak_rss_mb: the subprocess's peak resident memory (``ru_maxrss``), imports included.
- ratios are ours / llama.cpp: higher is better for decode, lower is better for TTFT.
Figures are medians over prompts and repeats (peak RSS: the largest).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import REPO

SAMPLE_COURSE = REPO / "examples" / "sample_course"
SYSTEM = (
    "You are a patient tutor. Answer only from the numbered sources, in your own words, "
    "and cite them like [1]."
)
QUESTIONS = [
    "Explain in detail what these sources say, step by step, with an example for each idea.",
    "Summarise the main ideas of these sources for a beginner, point by point.",
    "Using the sources, write a short lesson with a worked example and a practice question.",
    "What are the key facts in the sources, and how do they connect to each other?",
]
WARM_UP = [{"role": "user", "content": "Say hello in one short sentence."}]
SIDES = ("configured", "llamacpp")


# ---- prompts ------------------------------------------------------------------------------


def course_paragraphs(folder: Path = SAMPLE_COURSE) -> list[str]:
    """Paragraphs of the sample course's Markdown files, in a stable order, headings dropped."""
    paragraphs: list[str] = []
    for path in sorted(folder.rglob("*.md")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(line for line in block.splitlines() if not line.startswith("#"))
            text = " ".join(text.split())
            if len(text) > 40:
                paragraphs.append(text)
    if not paragraphs:
        raise SystemExit(f"no course text found under {folder}")
    return paragraphs


def build_prompts(
    count: int,
    target_tokens: int,
    count_prompt_tokens: Callable[[list[dict[str, str]]], int],
) -> list[dict[str, Any]]:
    """``count`` chat prompts of at least ``target_tokens`` tokens each, all different."""
    paragraphs = course_paragraphs()
    prompts = []
    for i in range(count):
        question = QUESTIONS[i % len(QUESTIONS)]
        start = (i * 7) % len(paragraphs)
        sources: list[str] = []
        tokens = 0
        messages: list[dict[str, str]] = []
        while tokens < target_tokens and len(sources) < 4 * len(paragraphs):
            sources.append(
                f"[{len(sources) + 1}] {paragraphs[(start + len(sources)) % len(paragraphs)]}"
            )
            user = "Sources:\n" + "\n\n".join(sources) + f"\n\nQuestion: {question}"
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
            tokens = count_prompt_tokens(messages)
        prompts.append({"messages": messages, "tokens": tokens})
    return prompts


# ---- one side, in its own process ---------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def gguf_quantization(path: Path | str) -> str:
    """The weight format in a GGUF file's usual name (``SmolLM2-135M-Instruct.Q4_1`` -> Q4_1)."""
    stem = Path(path).stem
    return stem.rsplit(".", 1)[-1] if "." in stem else "gguf"


def _build(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The model of one side, not loaded yet, and what to report about it."""
    if args.backend == "llamacpp":
        from tutor.llm.llamacpp_backend import LlamaCppModel

        model: Any = LlamaCppModel(Path(args.gguf), threads=args.threads)
        return model, {"backend": "llamacpp", "quantization": gguf_quantization(args.gguf)}

    from tutor.config import load_settings
    from tutor.llm import load_language_model

    overrides: dict[str, Any] = {"home": args.home, "llm": args.llm, "llm_threads": args.threads}
    if args.llm_backend:
        overrides["llm_backend"] = args.llm_backend
    settings = load_settings(Path(args.config) if args.config else None, **overrides)
    model = load_language_model(settings)
    quantization = {
        "llamacpp": gguf_quantization(getattr(model, "path", args.gguf)),
        "openai": "(server)",
    }.get(settings.llm_backend, settings.llm_quantize)
    return model, {"backend": settings.llm_backend, "quantization": quantization}


def run_side(args: argparse.Namespace) -> dict[str, Any]:
    """Load one backend, answer every prompt once, return the figures."""
    prompts = json.loads(Path(args.prompts_file).read_text(encoding="utf-8"))
    model, info = _build(args)
    begin = time.perf_counter()
    warm = getattr(model, "warm_up", None)
    if callable(warm):
        warm()
    load_s = time.perf_counter() - begin
    for found in ("quantization", "quantize"):  # what the loaded backend says it runs, if it does
        value = getattr(model, found, None)
        if isinstance(value, str):
            info["quantization"] = value
            break
    "".join(model.stream(WARM_UP, max_new_tokens=4))  # untimed: first-call costs

    runs = []
    for prompt in prompts:
        messages = prompt["messages"]
        start = time.perf_counter()
        first_at: float | None = None
        last_at = start
        pieces = []
        for piece in model.stream(messages, max_new_tokens=args.new_tokens):
            last_at = time.perf_counter()
            if first_at is None:
                first_at = last_at
            pieces.append(piece)
        reply = "".join(pieces)
        new_tokens = int(model.count_tokens(reply))
        decode_s = last_at - first_at if first_at is not None else 0.0
        runs.append(
            {
                "prompt_tokens": prompt["tokens"],
                "ttft_ms": round(((first_at or last_at) - start) * 1000, 1),
                "new_tokens": new_tokens,
                "decode_tok_s": (
                    round((new_tokens - 1) / decode_s, 2)
                    if decode_s > 0 and new_tokens > 1
                    else None
                ),
                "total_s": round(time.perf_counter() - start, 3),
            }
        )
    return {
        **info,
        "model": model.model_id,
        "device": getattr(model, "device", None) or "cpu",
        "threads": args.threads,
        "load_s": round(load_s, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "runs": runs,
        "reply_sample": reply[:160] if prompts else "",
    }


# ---- the comparison -----------------------------------------------------------------------


def default_threads(configured: int) -> int:
    """``llm_threads``, or when 0 the physical core count (torch's default) for both sides."""
    if configured > 0:
        return configured
    import psutil

    return int(psutil.cpu_count(logical=False) or os.cpu_count() or 1)


def _worker_command(side: str, options: dict[str, Any], prompts_file: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "bench.bench_generation",
        "--backend",
        side,
        "--prompts-file",
        str(prompts_file),
        "--new-tokens",
        str(options["new_tokens"]),
        "--threads",
        str(options["threads"]),
        "--gguf",
        str(options["gguf"]),
        "--home",
        str(options["home"]),
        "--llm",
        str(options["llm"]),
    ]
    if options.get("config"):
        command += ["--config", str(options["config"])]
    if options.get("llm_backend"):
        command += ["--llm-backend", str(options["llm_backend"])]
    return command


def _run_worker(command: list[str], side: str, timeout_s: float) -> dict[str, Any]:
    from tutor.errors import ModelError

    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=False,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"the {side} benchmark run took over {timeout_s:g} s") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise ModelError(
            f"the {side} benchmark run failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    parsed: dict[str, Any] = json.loads(lines[-1])
    return parsed


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 2) if present else None


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 3) if ours is not None and theirs else None


def compare(
    *,
    settings: Any,
    config: Path | None,
    prompts: int,
    new_tokens: int,
    repeats: int,
    gguf: Path | None = None,
    threads: int | None = None,
    llm_backend: str | None = None,
    prompt_tokens: int = 600,
    timeout_s: float = 1800.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run both sides ``repeats`` times on ``prompts`` prompts; return the summary."""
    from tutor.errors import ConfigError
    from tutor.llm.llamacpp_backend import LlamaCppModel
    from tutor.model_paths import resolve_llm

    if prompts < 1 or repeats < 1 or new_tokens < 2:
        raise ConfigError("--prompts and --repeats must be at least 1, --new-tokens at least 2")
    if gguf is None:
        gguf = resolve_llm("smollm2" if settings.llm == "fake" else settings.llm)
    if gguf.suffix != ".gguf":
        raise ConfigError(
            f"llama.cpp needs a GGUF file and the configured model {gguf} is not one; "
            "give the same model as a .gguf with --gguf"
        )
    if config is None and not os.environ.get("TUTOR_CONFIG") and Path("tutor.toml").is_file():
        config = Path("tutor.toml").resolve()  # the workers run in the repository folder
    options = {
        "new_tokens": new_tokens,
        "threads": threads or default_threads(settings.llm_threads),
        "gguf": gguf,
        "home": settings.home,
        "llm": settings.llm,
        "config": config,
        "llm_backend": llm_backend,
    }
    counter = LlamaCppModel(gguf, context_window=max(2048, prompt_tokens * 2))
    try:
        built = build_prompts(prompts, prompt_tokens, counter.count_prompt_tokens)
    finally:
        counter.close()

    results: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="bench-generation-") as tmp:
        prompts_file = Path(tmp) / "prompts.json"
        prompts_file.write_text(json.dumps(built), encoding="utf-8")
        for repeat in range(repeats):
            order = SIDES if repeat % 2 == 0 else tuple(reversed(SIDES))
            for side in order:
                if progress:
                    progress(f"repeat {repeat + 1}/{repeats}: {side}")
                command = _worker_command(side, options, prompts_file)
                results[side].append(_run_worker(command, side, timeout_s))

    def runs_of(side: str) -> list[dict[str, Any]]:
        return [run for result in results[side] for run in result["runs"]]

    ours, peer = runs_of("configured"), runs_of("llamacpp")
    first = results["configured"][0]
    summary: dict[str, Any] = {
        "decode_tok_s": _median([r["decode_tok_s"] for r in ours]),
        "llamacpp_decode_tok_s": _median([r["decode_tok_s"] for r in peer]),
        "ttft_ms": _median([r["ttft_ms"] for r in ours]),
        "llamacpp_ttft_ms": _median([r["ttft_ms"] for r in peer]),
        "load_s": _median([r["load_s"] for r in results["configured"]]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results["configured"]),
    }
    summary["decode_ratio"] = _ratio(summary["decode_tok_s"], summary["llamacpp_decode_tok_s"])
    summary["ttft_ratio"] = _ratio(summary["ttft_ms"], summary["llamacpp_ttft_ms"])
    summary.update(
        backend=first["backend"],
        model=first["model"],
        device=first["device"],
        quantization=first["quantization"],
        llamacpp_model=results["llamacpp"][0]["model"],
        threads=options["threads"],
        prompts=prompts,
        repeats=repeats,
        runs=len(ours),
        prompt_tokens=_median([p["tokens"] for p in built]),
        max_new_tokens=new_tokens,
        new_tokens=_median([r["new_tokens"] for r in ours]),
        llamacpp_new_tokens=_median([r["new_tokens"] for r in peer]),
        llamacpp_load_s=_median([r["load_s"] for r in results["llamacpp"]]),
        llamacpp_peak_rss_mb=max(r["peak_rss_mb"] for r in results["llamacpp"]),
        reply_sample=first["reply_sample"],
        llamacpp_reply_sample=results["llamacpp"][0]["reply_sample"],
    )
    return summary


def print_text(summary: dict[str, Any]) -> None:
    s = summary
    print(
        f"{s['backend']} ({s['model']}, {s['quantization']}, {s['device']}) against llama.cpp "
        f"({s['llamacpp_model']}), {s['threads']} threads"
    )
    print(
        f"prompts     {s['prompts']} x {s['repeats']} repeats, ~{s['prompt_tokens']} tokens, "
        f"up to {s['max_new_tokens']} new (generated: {s['new_tokens']} / "
        f"{s['llamacpp_new_tokens']})"
    )
    print(
        f"decode      {s['decode_tok_s']} tok/s vs {s['llamacpp_decode_tok_s']} "
        f"(ratio {s['decode_ratio']}, higher is better)"
    )
    print(
        f"TTFT        {s['ttft_ms']} ms vs {s['llamacpp_ttft_ms']} ms "
        f"(ratio {s['ttft_ratio']}, lower is better)"
    )
    print(f"load        {s['load_s']} s vs {s['llamacpp_load_s']} s")
    print(f"peak RSS    {s['peak_rss_mb']} MB vs {s['llamacpp_peak_rss_mb']} MB")


def main(argv: list[str] | None = None) -> int:
    from tutor.commands.bench import add_generation_arguments

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_generation_arguments(parser)
    parser.add_argument("--config", type=Path, help="a tutor.toml file")
    parser.add_argument("--home", type=Path, help="the tutor home (default: configured)")
    parser.add_argument("--llm", help="the model (default: configured)")
    parser.add_argument("--backend", choices=SIDES, help="run one side only, print one line")
    parser.add_argument("--prompts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.backend:
        if args.prompts_file is None or args.gguf is None or args.threads is None:
            parser.error("--backend needs --prompts-file, --gguf and --threads")
        print(json.dumps(run_side(args)))
        return 0

    from tutor.config import load_settings

    return compare_and_print(args, load_settings(args.config, home=args.home, llm=args.llm))


def compare_and_print(args: argparse.Namespace, settings: Any) -> int:
    """Run :func:`compare` with the command line's options and print it (JSON with ``--json``);
    shared by this script and ``tutor bench generation``."""
    summary = compare(
        settings=settings,
        config=args.config,
        prompts=args.prompts,
        new_tokens=args.new_tokens,
        repeats=args.repeats,
        gguf=args.gguf,
        threads=args.threads,
        llm_backend=args.llm_backend,
        prompt_tokens=args.prompt_tokens,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if args.json:
        print(json.dumps(summary))
    else:
        print_text(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
