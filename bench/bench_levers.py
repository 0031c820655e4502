"""Benchmark the speed levers of the transformers backend: lean loop, weight format, batching.

    python -m bench.bench_levers [--runs 3] [--new 128] [--prompt-tokens 600] [--threads 0]
                                 [--quality 5] [--json]

One process loads SmolLM2 (the packaged GGUF, through the converted cache) in float32, bfloat16
and int8, then measures, interleaving the configurations run after run (medians are reported):

- ``generate fp32``: the previous path, transformers' ``generate`` streaming through a
  ``TextIteratorStreamer``-like callback, eager float32, one chat;
- ``generate int8-dyn``: the same with torch's ``quantize_dynamic`` int8 linear layers (the
  lever the issue measured);
- ``lean fp32`` / ``lean bf16`` / ``lean int8``: the engine's own greedy loop, one chat;
- ``lean int8, HF forward``: the same loop calling transformers' module-by-module forward
  instead of the engine's lean decoder (``tutor/llm/lean.py``);
- ``lean int8 reuse``: the same chat right after another one with the same system prompt, so
  the keys and values of their common prefix (in whole 128-token chunks) are reused;
- ``int8 x4`` / ``int8 x8``: that many chats started together (different prompts sharing the
  system prompt), aggregate tokens per second over the whole run and each chat's time to first
  token (TTFT), and the text pieces per second while all of them decode (after the last first
  token, before the first chat ends; a piece is about one token).

Every prompt is about ``--prompt-tokens`` tokens: the tutor's own system prompt, sources and a
question; each reply is at most ``--new`` tokens. Single-chat runs feed their prompt in full (no
cached prefix, except ``lean int8 reuse``); concurrent chats share the system prompt, so all but
the first may reuse its cache.
Decode tok/s counts the tokens after the first over the time after the first.

``--quality N`` also compares N greedy replies in int8 with float32 (identical or not, and where
they part), and the next-token agreement with float32 of bf16, our int8 and torch's own dynamic
int8, teacher-forced on float32's replies (one pass over each whole sequence: torch's int8 then
quantizes every token with one shared range, as it would in a prefill). Results go to
``bench/results/levers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_model import FILLER
from bench.common import write_result

QUESTIONS = [
    "Using the sources, explain in a few sentences how a river shapes the land it crosses.",
    "Using the sources, explain why people have settled beside rivers.",
    "Using the sources, describe what a meander is and how a lake can form beside a river.",
    "Using the sources, explain what a delta is and where it forms.",
    "Using the sources, give the good and bad sides of dams.",
    "Using the sources, explain why engineers measure the flow of a river.",
    "Using the sources, explain how fast water moves on steep ground and what it carries.",
    "Using the sources, explain what clean rivers tell us about a valley.",
]
QUALITY_PROMPTS = [
    "What is photosynthesis? Answer in two sentences.",
    "Give three tips for learning a new language.",
    "Explain what a fraction is to a ten-year-old.",
    "Why is the sky blue?",
    "Écris deux phrases sur les volcans.",
    "What causes the seasons on Earth?",
    "Name the planets of the solar system in order.",
    "How do you find the area of a rectangle?",
]


def system_prompt() -> str:
    """The tutor's own system prompt (explain mode), as every chat of a course shares it."""
    from tutor.prompting import PromptLibrary

    return PromptLibrary().render("system", course="Rivers and valleys", mode="explain")


def build_messages(model: Any, index: int, target_tokens: int) -> list[dict[str, str]]:
    """A sources-and-question prompt of at least ``target_tokens`` tokens; ``index`` varies it."""
    system = system_prompt()
    sources: list[str] = []
    step = 0
    while True:
        sentence = FILLER[(step + index) % len(FILLER)]
        if step % 3 == 0:
            sources.append(f"[{len(sources) + 1}] {sentence}")
        else:
            sources[-1] += " " + sentence
        step += 1
        question = QUESTIONS[index % len(QUESTIONS)]
        user = "Sources:\n" + "\n".join(sources) + f"\n\nQuestion: {question}"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        if model.count_prompt_tokens(messages) >= target_tokens:
            return messages


def run_generate(
    model: Any, messages: list[dict[str, str]], new: int, network: Any = None
) -> dict[str, float]:
    """The previous path: ``model.generate`` (eager) with a streamer recording token times.

    ``network`` replaces the model's own weights (torch's dynamic int8, for instance).
    """
    import torch

    times: list[float] = []

    class Recorder:
        def __init__(self) -> None:
            self.prompt_seen = False

        def put(self, value: Any) -> None:
            if not self.prompt_seen:  # generate first puts the prompt
                self.prompt_seen = True
                return
            times.append(time.perf_counter())

        def end(self) -> None:
            pass

    ids = torch.tensor([model._encode(messages)])
    started = time.perf_counter()
    with torch.inference_mode():
        (network or model._model).generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=new,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            repetition_penalty=1.1,
            pad_token_id=model._tokenizer.eos_token_id,
            streamer=Recorder(),
        )
    return _figures(started, times[0], times[-1], len(times))


def run_lean(
    model: Any, messages: list[dict[str, str]], new: int, stamps: list[float] | None = None
) -> dict[str, float]:
    started = time.perf_counter()
    stream = model.stream(messages, max_new_tokens=new)
    first = last = 0.0
    for _piece in stream:
        last = time.perf_counter()
        first = first or last
        if stamps is not None:
            stamps.append(last)
    return _figures(started, first, last, stream.token_count)


def run_hf_forward(model: Any, messages: list[dict[str, str]], new: int) -> dict[str, float]:
    """``run_lean`` with the engine's lean decoder switched off (transformers' forward)."""
    engine = model._engine
    saved, engine._lean = engine._lean, None
    try:
        return run_lean(model, messages, new)
    finally:
        engine._lean = saved


def run_after(
    model: Any, primer: list[dict[str, str]], messages: list[dict[str, str]], new: int
) -> dict[str, float]:
    """One chat right after another that shares its system prompt (its prefix stays cached)."""
    "".join(model.stream(primer, max_new_tokens=1))
    return run_lean(model, messages, new)


def run_concurrent(model: Any, prompts: list[list[dict[str, str]]], new: int) -> dict[str, Any]:
    results: list[dict[str, float]] = [{} for _ in prompts]
    stamps: list[list[float]] = [[] for _ in prompts]
    barrier = threading.Barrier(len(prompts))

    def chat(index: int) -> None:
        barrier.wait()
        results[index] = run_lean(model, prompts[index], new, stamps[index])

    threads = [threading.Thread(target=chat, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    begin = min(r["start"] for r in results)
    end = max(r["end"] for r in results)
    tokens = sum(r["tokens"] for r in results)
    ttfts = [r["ttft_s"] for r in results]
    # while every chat decodes: after the last first token, before the first chat ends
    low = max(r["start"] + r["ttft_s"] for r in results)
    high = min(r["end"] for r in results)
    pieces = sum(low < t <= high for chat_stamps in stamps for t in chat_stamps)
    return {
        "aggregate_tok_s": tokens / (end - begin),
        "all_decoding_tok_s": pieces / (high - low) if high > low else 0.0,
        "ttft_median_s": statistics.median(ttfts),
        "ttft_max_s": max(ttfts),
        "tokens": tokens,
        "wall_s": end - begin,
    }


def _figures(started: float, first: float, last: float, tokens: int) -> dict[str, float]:
    decode = (tokens - 1) / (last - first) if tokens > 1 and last > first else 0.0
    return {
        "ttft_s": first - started,
        "decode_tok_s": decode,
        "tokens": tokens,
        "start": started,
        "end": last,
    }


def quality(reference: Any, candidate: Any, count: int, new: int) -> dict[str, Any]:
    """Greedy replies of ``candidate`` (int8) against ``reference`` (fp32)."""
    rows = []
    for text in QUALITY_PROMPTS[:count]:
        messages = [{"role": "user", "content": text}]
        ref = "".join(reference.stream(messages, max_new_tokens=new))
        got = "".join(candidate.stream(messages, max_new_tokens=new))
        same = 0
        while same < min(len(ref), len(got)) and ref[same] == got[same]:
            same += 1
        rows.append(
            {
                "prompt": text,
                "identical": ref == got,
                "common_prefix_chars": same,
                "fp32": ref,
                "int8": got,
            }
        )
    return {"identical": sum(r["identical"] for r in rows), "of": len(rows), "replies": rows}


def agreement(reference: Any, others: dict[str, Any], count: int, new: int) -> dict[str, Any]:
    """Next-token agreement with float32, teacher-forced on float32's own greedy replies.

    Free-running greedy replies part at the first differing token and never meet again, which
    says little about how close two weight formats are. Here every model reads the same text
    (prompt + float32's reply) and we count the reply positions where its top token equals
    float32's: 1.0 means no prediction changed.
    """
    import torch

    tokenizer = reference._tokenizer
    sequences = []
    for text in QUALITY_PROMPTS[:count]:
        messages = [{"role": "user", "content": text}]
        prompt = reference._encode(messages)
        reply = "".join(reference.stream(messages, max_new_tokens=new))
        ids = prompt + tokenizer.encode(reply, add_special_tokens=False)
        sequences.append((torch.tensor([ids]), len(prompt)))

    def predictions(model: Any) -> list[Any]:
        with torch.inference_mode():
            return [
                model(input_ids=ids).logits[0, start - 1 : -1].argmax(-1)
                for ids, start in sequences
            ]

    expected = predictions(reference._model)
    result = {}
    for name, model in others.items():
        got = predictions(model)
        same = sum(int((a == b).sum()) for a, b in zip(expected, got, strict=True))
        total = sum(len(a) for a in expected)
        result[name] = round(same / total, 4)
    return result


def per_tensor_int8(folder: Path) -> Any:
    """float32 weights quantized by torch's own dynamic int8 (one activation range per call)."""
    import warnings

    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, torch.qint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--new", type=int, default=128)
    parser.add_argument("--prompt-tokens", type=int, default=600)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--concurrency", default="4,8")
    parser.add_argument("--skip", default="", help="comma-separated configurations to skip")
    parser.add_argument("--quality", type=int, default=5, help="int8 vs fp32 replies (0: skip)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from tutor.config import load_settings
    from tutor.llm.transformers_backend import TransformersModel
    from tutor.model_paths import resolve_llm

    settings = load_settings()
    path = resolve_llm("smollm2")
    models = {}
    for quantize in ("none", "bf16", "int8"):
        model = TransformersModel(
            path,
            cache_dir=Path(settings.cache_dir) / "llm",
            device="cpu",
            quantize=quantize,
            threads=args.threads,
        )
        model.warm_up()
        models[model.quantization] = model
    fp32, bf16, int8 = models["fp32"], models["bf16"], models["int8"]
    single = build_messages(fp32, 0, args.prompt_tokens)
    other = build_messages(fp32, 1, args.prompt_tokens)  # same system prompt, other sources
    prompt_tokens = fp32.count_prompt_tokens(single)
    counts = [int(c) for c in args.concurrency.split(",") if c]
    chats = {n: [build_messages(fp32, i, args.prompt_tokens) for i in range(n)] for n in counts}

    dynamic = per_tensor_int8(fp32.cache_path) if fp32.cache_path is not None else None
    configs: dict[str, Any] = {
        "generate fp32": lambda: run_generate(fp32, single, args.new),
        "generate int8-dyn": lambda: run_generate(fp32, single, args.new, dynamic),
        "lean fp32": lambda: run_lean(fp32, single, args.new),
        "lean bf16": lambda: run_lean(bf16, single, args.new),
        "lean int8": lambda: run_lean(int8, single, args.new),
        "lean int8, HF forward": lambda: run_hf_forward(int8, single, args.new),
        "lean int8 reuse": lambda: run_after(int8, other, single, args.new),
    }
    for n in counts:
        configs[f"int8 x{n}"] = lambda n=n: run_concurrent(int8, chats[n], args.new)
    skipped = {s.strip() for s in args.skip.split(",") if s.strip()}
    if dynamic is None:
        skipped.add("generate int8-dyn")
    configs = {name: run for name, run in configs.items() if name not in skipped}

    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in configs}
    for run in range(args.runs):
        for name, measure in configs.items():
            for model in models.values():
                assert model._engine is not None
                while model._engine.active_count:  # the last reply's slot is freed a step later
                    time.sleep(0.01)
                model._engine.forget_prefixes()
            samples[name].append(measure())
            print(f"run {run + 1} {name}: {_brief(samples[name][-1])}", flush=True)

    table = {name: _medians(rows) for name, rows in samples.items()}
    result: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "max_new_tokens": args.new,
        "runs": args.runs,
        "threads": args.threads,
        "levers": table,
    }
    if args.quality:
        result["quality_int8_vs_fp32"] = quality(fp32, int8, args.quality, args.new)
        others = {"bf16": bf16._model, "int8 (ours: smoothed, per token)": int8._model}
        if dynamic is not None:  # one range per whole sequence, as in a prefill
            others["int8 (torch quantize_dynamic)"] = dynamic
        result["next_token_agreement_with_fp32"] = agreement(fp32, others, args.quality, args.new)
    path_out = write_result("levers", result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"\nprompt {prompt_tokens} tokens, up to {args.new} new, medians of {args.runs}")
        for name, row in table.items():
            print(f"  {name:14s} {_brief(row)}")
        if args.quality:
            q = result["quality_int8_vs_fp32"]
            print(f"  int8 vs fp32: {q['identical']} of {q['of']} replies identical")
            for name, share in result["next_token_agreement_with_fp32"].items():
                print(f"  next-token agreement with fp32, {name}: {share:.1%}")
        print(f"written to {path_out}")


def _medians(rows: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k in rows[0] if k not in ("start", "end")]
    return {k: round(statistics.median(float(r[k]) for r in rows), 3) for k in keys}


def _brief(row: dict[str, Any]) -> str:
    if "aggregate_tok_s" in row:
        return (
            f"aggregate {row['aggregate_tok_s']:.1f} tok/s (all decoding: "
            f"{row['all_decoding_tok_s']:.1f}), TTFT median "
            f"{row['ttft_median_s']:.2f} s, max {row['ttft_max_s']:.2f} s "
            f"({row['tokens']:.0f} tokens)"
        )
    return (
        f"TTFT {row['ttft_s']:.2f} s, decode {row['decode_tok_s']:.1f} tok/s "
        f"({row['tokens']:.0f} tokens)"
    )


if __name__ == "__main__":
    main()
