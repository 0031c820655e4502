"""Benchmark the language model: cold and warm load, time to first token, decode speed, memory.

    python -m bench.bench_model [--json] [--model smollm2] [--device auto]

Each load is measured in a fresh subprocess so that imports and caches of one measurement do not
flatter the next: first with an empty cache folder (a GGUF is dequantized and cached: "cold"),
then with that cache ("warm"). The warm subprocess then answers a ~600-token prompt (a fixed
filler text, counted with the model's tokenizer) greedily with 128 new tokens, three times, and
reports medians. Peak RSS is each subprocess's ``ru_maxrss``. Results go to
``bench/results/model.json``.
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
from pathlib import Path
from typing import Any

from bench.common import REPO, write_result

# Original filler text for the prompt (not taken from any data set).
FILLER = [
    "A river begins as rain or melting snow that gathers in small streams high in the hills.",
    "The streams join as they run downhill, and the growing river carves a valley over time.",
    "Where the ground is steep the water moves fast and carries sand, gravel and even boulders.",
    "On flatter land the river slows, drops its load and winds from side to side in meanders.",
    "A meander can be cut off during a flood, leaving a curved lake beside the new channel.",
    "Near the sea the river may split into many channels and build a delta of fine mud.",
    "People have settled beside rivers for thousands of years, for water, fish and transport.",
    "Dams store water for dry seasons and make electricity, but they also block migrating fish.",
    "Measuring the flow of a river tells engineers how high a bridge or a flood wall should be.",
    "Clean rivers support insects, fish and birds, and their health is a sign of the whole valley.",
]
QUESTION = "Using the sources, explain in a few sentences how a river shapes the land it crosses."
SYSTEM = "You are a patient tutor. Answer only from the numbered sources and cite them like [1]."


def build_messages(model: Any, target_tokens: int) -> tuple[list[dict[str, str]], int]:
    """A sources-and-question prompt of at least ``target_tokens`` tokens (template included)."""
    sources: list[str] = []
    index = 0
    while True:
        sentence = FILLER[index % len(FILLER)]
        if index % 3 == 0:
            sources.append(f"[{len(sources) + 1}] {sentence}")
        else:
            sources[-1] += " " + sentence
        index += 1
        user = "Sources:\n" + "\n".join(sources) + f"\n\nQuestion: {QUESTION}"
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        tokens = int(model.count_prompt_tokens(messages))
        if tokens >= target_tokens:
            return messages, tokens


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Runs in the subprocess: load, then optionally generate; returns the figures."""
    started = time.perf_counter()
    import torch
    import transformers

    from tutor.llm.transformers_backend import TransformersModel
    from tutor.model_paths import resolve_llm

    import_s = time.perf_counter() - started
    model = TransformersModel(
        resolve_llm(args.model), cache_dir=Path(args.cache), device=args.device
    )
    begin = time.perf_counter()
    model.warm_up()
    load_s = time.perf_counter() - begin
    result: dict[str, Any] = {
        "import_s": round(import_s, 3),
        "load_s": round(load_s, 3),
        "import_and_load_s": round(import_s + load_s, 3),
        "loaded_from_cache": model.loaded_from_cache,
        "device": model.device,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    if args.generate:
        messages, prompt_tokens = build_messages(model, args.prompt_tokens)
        runs = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            first_at: float | None = None
            pieces = []
            for piece in model.stream(messages, max_new_tokens=args.new_tokens):
                if first_at is None:
                    first_at = time.perf_counter()
                pieces.append(piece)
            end = time.perf_counter()
            reply = "".join(pieces)
            new_tokens = model.count_tokens(reply)  # re-tokenized: close to the tokens generated
            first = first_at if first_at is not None else end
            decode_s = end - first
            runs.append(
                {
                    "ttft_ms": round((first - start) * 1000, 1),
                    "new_tokens": new_tokens,
                    "decode_tok_s": round((new_tokens - 1) / decode_s, 2) if decode_s > 0 else None,
                    "total_s": round(end - start, 3),
                }
            )
        result.update(
            prompt_tokens=prompt_tokens,
            max_new_tokens=args.new_tokens,
            runs=runs,
            reply_sample=reply[:200],
        )
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def run_worker(cache: Path, args: argparse.Namespace, *, generate: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.bench_model",
        "--worker",
        "--cache",
        str(cache),
        "--model",
        args.model,
        "--device",
        args.device,
        "--repeats",
        str(args.repeats),
        "--new-tokens",
        str(args.new_tokens),
        "--prompt-tokens",
        str(args.prompt_tokens),
    ] + (["--generate"] if generate else [])
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark worker failed:\n{done.stderr[-4000:]}")
    last_line: str = done.stdout.strip().splitlines()[-1]
    parsed: dict[str, Any] = json.loads(last_line)
    return parsed


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--model", default="smollm2", help="'smollm2', a .gguf file or a folder")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--prompt-tokens", type=int, default=600)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-llm-cache-") as cache:
        cold = run_worker(Path(cache), args, generate=False)
        warm = run_worker(Path(cache), args, generate=True)
    runs = warm.pop("runs")
    results = {
        "model": args.model,
        "device": warm["device"],
        "runtime": {
            "torch": warm["torch"],
            "transformers": warm["transformers"],
            "torch_threads": warm["torch_threads"],
        },
        "cold_load": {k: cold[k] for k in ("import_s", "load_s", "loaded_from_cache")},
        "cold_peak_rss_mb": cold["peak_rss_mb"],
        "warm_load": {k: warm[k] for k in ("import_s", "load_s", "loaded_from_cache")},
        "prompt_tokens": warm["prompt_tokens"],
        "max_new_tokens": warm["max_new_tokens"],
        "ttft_ms_median": median(runs, "ttft_ms"),
        "decode_tok_s_median": median(runs, "decode_tok_s"),
        "new_tokens_median": median(runs, "new_tokens"),
        "warm_peak_rss_mb": warm["peak_rss_mb"],
        "runs": runs,
        "reply_sample": warm["reply_sample"],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    written = write_result("model", results)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"model {args.model} on {results['device']} ({os.cpu_count()} CPUs)")
        print(f"cold load   {cold['load_s']:.2f} s (+{cold['import_s']:.2f} s imports)")
        print(f"warm load   {warm['load_s']:.2f} s (+{warm['import_s']:.2f} s imports)")
        print(f"prompt      {results['prompt_tokens']} tokens, {args.new_tokens} new, greedy")
        print(f"TTFT        {results['ttft_ms_median']} ms (median of {args.repeats})")
        print(f"decode      {results['decode_tok_s_median']} tokens/s")
        print(f"peak RSS    cold {cold['peak_rss_mb']} MB, warm+generate {warm['peak_rss_mb']} MB")
        print(f"written to  {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
