"""``tutor safety-eval`` (the safety benchmark, until ``tutor eval safety`` folds it in) and
``tutor safety-check`` (what the filter decides about one message)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.config import Settings


def register(subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = subparsers.add_parser(
        "safety-eval", help="send safety test prompts through the whole tutor and summarise"
    )
    add_common(p)
    p.add_argument("--data", type=Path, help="JSONL: {id, prompt, label} per line")
    p.add_argument("--course-dir", type=Path, help="course material (default: the sample course)")
    p.add_argument("--limit", type=int, help="at most this many prompts (per set)")
    p.add_argument("--sets", help="comma-separated shared sets (default: all), without --data")
    p.add_argument("--shared", type=Path, help="the shared data folder (default ../shared/data)")
    p.add_argument("--max-new-tokens", type=int, help="shorter answers make the run faster")
    p.add_argument(
        "--split",
        choices=["dev", "test"],
        default="test",
        help="which split of the shared sets (default test: the reported figures; dev: for"
        " tuning rules and thresholds), without --data",
    )
    p.add_argument(
        "--filter-only",
        action="store_true",
        help="only the input filter (no retrieval, no model): whole sets in minutes; the report"
        " says mode=filter_only",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=_safety_eval)

    p = subparsers.add_parser("safety-check", help="show the safety decisions for one message")
    add_common(p)
    p.add_argument("text")
    p.add_argument("--layer", choices=["input", "retrieved", "output"], default="input")
    p.set_defaults(handler=_safety_check)


def _safety_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.safety_suite import run_filter_eval, run_safety_eval

    if args.max_new_tokens:
        settings = settings.replace(max_new_tokens=args.max_new_tokens)
    options: dict[str, Any] = {
        "shared": args.shared,
        "sets": [s.strip() for s in args.sets.split(",")] if args.sets else None,
        "progress": lambda line: print(line, file=sys.stderr, flush=True),
        "split": args.split,
    }
    if args.filter_only:
        report = run_filter_eval(settings, args.data, args.limit, **options)
    else:
        report = run_safety_eval(settings, args.data, args.course_dir, args.limit, **options)
    print(json.dumps(report, indent=None if args.json else 1, ensure_ascii=False))
    return 0


def _safety_check(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.embedders import load_embedder
    from tutor.safety import load_safety_filter

    screened = load_safety_filter(settings, load_embedder(settings)).check(
        args.text, layer=args.layer
    )
    print(
        json.dumps(
            {
                "action": screened.action,
                "text": screened.text,
                "decisions": [d.to_dict() for d in screened.decisions],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0
