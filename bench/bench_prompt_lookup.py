"""Would prompt-lookup (n-gram) speculative decoding pay off for the tutor's answers?

    python -m bench.bench_prompt_lookup [--json]

vLLM and llama.cpp can propose the next few tokens by finding the latest n tokens earlier in the
prompt or the reply and copying what followed; one forward pass then checks the proposal and keeps
the tokens the model would have chosen anyway. The gain depends on how much of an answer repeats
its context. This script answers the sample course's questions with the real tutor (retrieval,
safety filters, SmolLM2, greedy), then replays each reply against its prompt and counts the
forward passes such a decoder would need: tokens per pass is the best speed-up it could give,
before the extra cost of checking several tokens at once. Runs in a temporary home with the
sample course ingested (the model cache of ``$TUTOR_HOME`` is copied in when present).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import REPO, write_result

QUESTIONS = [
    "What is the pH of pure water?",
    "How many times does a for loop over range(5) run?",
    "What is the unit of force?",
    "What is photosynthesis?",
    "Explain Newton's second law.",
    "What is a variable in Python?",
    "What is an acid?",
    "What does a catalyst do?",
]


def passes(prompt: list[int], reply: list[int], ngram: int, propose: int) -> int:
    """Forward passes to produce ``reply`` greedily with prompt lookup (longest n-gram first)."""
    count = index = 0
    while index < len(reply):
        seen = prompt + reply[: index + 1]  # the token just chosen is known; propose after it
        proposal: list[int] = []
        for size in range(ngram, 0, -1):
            if len(seen) <= size:
                continue
            tail = seen[-size:]
            for start in range(len(seen) - size - 1, -1, -1):
                if seen[start : start + size] == tail:
                    proposal = seen[start + size : start + size + propose]
                    break
            if proposal:
                break
        accepted = 0
        for offset, token in enumerate(proposal):
            position = index + 1 + offset
            if position >= len(reply) or reply[position] != token:
                break
            accepted += 1
        count += 1
        index += 1 + accepted
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="tutor-lookup-") as home:
        cache = Path(os.environ.get("TUTOR_HOME", REPO / ".tutor-home")) / "cache"
        if cache.is_dir():
            shutil.copytree(cache, Path(home) / "cache")
        os.environ["TUTOR_HOME"] = home
        results = _run()
    path = write_result("prompt_lookup", results)
    print(json.dumps(results, indent=1) if args.json else json.dumps(results["by_setting"]))
    print(f"wrote {path}")
    return 0


def _run() -> dict[str, Any]:
    from retrieval.ingest import ingest
    from tutor.config import load_settings
    from tutor.pipeline import Pipeline
    from tutor.services import Services

    settings = load_settings()
    services = Services.build(settings)
    services.warm_up()
    ingest(
        [REPO / "examples" / "sample_course"],
        course="sample",
        settings=settings,
        embedder=services.embedder,
    )
    llm: Any = services.llm
    captured: list[tuple[str, str]] = []
    stream = llm.stream

    def recording(messages: Any, **options: Any) -> Any:
        pieces = []
        for piece in stream(messages, **options):
            pieces.append(piece)
            yield piece
        captured.append((llm.render_prompt(messages), "".join(pieces)))

    llm.stream = recording
    pipeline = Pipeline(services)
    for question in QUESTIONS:
        pipeline.ask(question, course="sample")
    tokenizer = llm._tokenizer
    pairs = [
        (
            tokenizer.encode(prompt, add_special_tokens=False),
            tokenizer.encode(reply, add_special_tokens=False),
        )
        for prompt, reply in captured
    ]
    tokens = sum(len(reply) for _, reply in pairs)
    by_setting = {}
    for ngram in (1, 2, 3):
        for propose in (3, 5, 8):
            count = sum(passes(prompt, reply, ngram, propose) for prompt, reply in pairs)
            by_setting[f"ngram{ngram}_propose{propose}"] = {
                "passes": count,
                "tokens_per_pass": round(tokens / max(count, 1), 3),
            }
    return {"answers": len(pairs), "reply_tokens": tokens, "by_setting": by_setting}


if __name__ == "__main__":
    raise SystemExit(main())
