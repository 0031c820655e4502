"""Input safety filter latency, variants side by side on the same prompts.

    .venv/bin/python -m bench.bench_safety_latency [--per-set 80] [--split dev] [--json]

Each prompt (shortened to 2,000 characters, as the pipeline does) goes through the input filter
(rules, redaction, profanity, classifier) once per variant, in a shuffled order per prompt, with
the embedder's query cache emptied before each call, so every variant pays for its embedding
and all of them share whatever else the machine is doing at that moment. On a shared 2-core
machine absolute figures swing with the other jobs: compare the variants of one run (medians
and ratios), not runs.

Variants (torch threads for the query embedding; how a long message is read; its arithmetic):
- ``now``: one thread; two short windows (first 160 and last 180 characters); bf16 autocast
  where the CPU has native bf16 (the embedder's ``query_bf16``), the default;
- ``float32_queries``: the same in float32;
- ``wide_windows``: one thread; two 300-character windows (as before round two);
- ``before``: the process's torch thread count (2 here); two 300-character windows;
- ``transformers_bert``: the default, with transformers' ``BertModel`` in place of the lean BERT
  forward (``retrieval/embedders/lean_bert.py``; the same vectors, bit for bit).
Per set it prints p50/p95 per variant, a breakdown of the default by layer (rules, redaction,
profanity, embedding), and how many messages got another action in float32 than by default
(``changed_by_float32``). Prompts come from the dev splits (``--split test`` only to
confirm).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import SHARED_DATA, percentile, write_result
from eval import safety_datasets as sd
from retrieval.embedders import load_embedder
from tutor.config import Settings
from tutor.pipeline import shorten_message
from tutor.safety import classifier
from tutor.safety.classifier import windows
from tutor.safety.layered import LayeredFilter
from tutor.safety.rules import match_rules
from tutor.safety.text import normalise

SETS = ("xstest", "harmbench", "simple_safety_tests", "squad", "arc", "jailbreaks")
READERS: dict[str, Callable[..., list[sd.SafetyItem]]] = {
    **sd.REPORT_SETS,
    "jailbreaks": sd.jailbreaks,
}


def stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 95), 1),
        "n": len(values),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-set", type=int, default=80, help="prompts per set")
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    embedder = load_embedder(Settings())
    safety = LayeredFilter(embedder)
    safety.warm_up()
    cache = getattr(embedder, "query_cache", None)
    default_threads = getattr(embedder, "query_threads", 0)
    default_bf16 = bool(getattr(embedder, "query_bf16", False))
    reads = (classifier.HEAD_CHARS, classifier.TAIL_CHARS)
    encoders = _encoders(embedder)
    Variant = tuple[int, tuple[int, int], bool, str]
    variants: dict[str, Variant] = {
        "now": (default_threads, reads, default_bf16, "lean"),
        "float32_queries": (default_threads, reads, False, "lean"),
        "wide_windows": (default_threads, (300, 300), default_bf16, "lean"),
        "before": (0, (300, 300), False, "lean"),
    }
    if "transformers" in encoders:
        variants["transformers_bert"] = (default_threads, reads, default_bf16, "transformers")
    rng = random.Random(0)
    actions: dict[str, tuple[str, ...]] = {}

    def check(text: str, variant: Variant, name: str = "") -> float:
        threads, (classifier.HEAD_CHARS, classifier.TAIL_CHARS), bf16, encoder = variant
        if cache is not None:
            cache.clear()
        if encoders:
            embedder._model.model = encoders[encoder]  # type: ignore[attr-defined]
        if hasattr(embedder, "query_threads"):
            embedder.query_threads = threads
            embedder._query_bf16 = bf16
        started = time.perf_counter()
        screened = safety.check(text, layer="input")
        elapsed = (time.perf_counter() - started) * 1000
        classifier.HEAD_CHARS, classifier.TAIL_CHARS = reads
        actions[name] = tuple(sorted(d.action for d in screened.decisions))
        return elapsed

    for text in ("What is an atom?", "How do plants make food?"):
        for setup in variants.values():
            check(text, setup)  # lazy set-up out of the figures

    results: dict[str, Any] = {"split": args.split, "sets": {}}
    everything: dict[str, list[float]] = {v: [] for v in variants}
    for name in args.sets.split(","):
        items = READERS[name](SHARED_DATA, args.split)
        rng.shuffle(items)
        timings: dict[str, list[float]] = {v: [] for v in variants}
        parts: dict[str, list[float]] = {k: [] for k in ("rules", "redact", "profanity", "embed")}
        changed = changed_encoder = 0
        for item in items[: args.per_set]:
            text = shorten_message(item.prompt.strip(), 2000)
            order = list(variants)
            rng.shuffle(order)
            for name_ in order:
                timings[name_].append(check(text, variants[name_], name_))
            changed += actions["now"] != actions["float32_queries"]
            if "transformers_bert" in variants:
                changed_encoder += actions["now"] != actions["transformers_bert"]
            if encoders:
                embedder._model.model = encoders["lean"]  # type: ignore[attr-defined]
            # The default variant's layers, one at a time.
            if hasattr(embedder, "query_threads"):
                embedder.query_threads = default_threads
                embedder._query_bf16 = default_bf16
            a = time.perf_counter()
            match_rules(text, "input", normalised=normalise(text))
            b = time.perf_counter()
            redacted, _ = safety.redactor.redact(text, "input")
            c = time.perf_counter()
            if safety.profanity is not None:
                safety.profanity.score(text)
            d = time.perf_counter()
            if cache is not None:
                cache.clear()
            embedder.embed(windows(redacted), query=True)
            e = time.perf_counter()
            for key, seconds in zip(parts, (b - a, c - b, d - c, e - d), strict=True):
                parts[key].append(seconds * 1000)
        for v in variants:
            everything[v] += timings[v]
        entry: dict[str, Any] = {v: stats(t) for v, t in timings.items()}
        for v in [v for v in variants if v != "now"]:
            entry[f"p95_{v}_over_now"] = round(entry[v]["p95"] / max(entry["now"]["p95"], 1e-9), 2)
        entry["changed_by_float32"] = changed
        entry["changed_by_transformers_bert"] = changed_encoder
        entry["layers_now"] = {k: stats(t) for k, t in parts.items()}
        results["sets"][name] = entry
        if not args.json:
            print(name, json.dumps(entry), flush=True)
    results["overall"] = {v: stats(t) for v, t in everything.items()}
    results["query_bf16"] = default_bf16
    if hasattr(embedder, "query_threads"):
        embedder.query_threads = default_threads
        embedder._query_bf16 = default_bf16
    path = write_result("safety_latency", results)
    print(json.dumps(results["overall"]) if not args.json else json.dumps(results, indent=1))
    print(f"wrote {path}")
    return 0


def _encoders(embedder: Any) -> dict[str, Any]:
    """The query encoder's forward, lean and transformers' (empty: the library reads the folder)."""
    from retrieval.embedders.lean_bert import LeanBert
    from retrieval.embedders.st_folder import FolderEncoder

    embedder.warm_up()
    folder = getattr(embedder, "_model", None)
    if not isinstance(folder, FolderEncoder) or not isinstance(folder.model, LeanBert):
        return {}
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(embedder.path), add_pooling_layer=False).eval()
    return {"lean": folder.model, "transformers": bert}


if __name__ == "__main__":
    raise SystemExit(main())
