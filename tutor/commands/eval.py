"""``tutor eval SUITE ...`` and ``tutor eval compare RUN_A RUN_B``.

Suites: retrieval, qa, pedagogy, safety, speed, all. Each run writes ``results.json``,
``report.md`` and ``report.html`` into ``--out`` (default ``$TUTOR_HOME/eval/<suite>-<time>``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.config import Settings

SUITE_HELP = {
    "retrieval": "recall@1/5/10, MRR@10, nDCG@10 of the gold passage; dense, BM25 and hybrid",
    "qa": "the whole tutor answers: accuracy, EM/F1, abstention, citations, groundedness",
    "pedagogy": "guide-mode turns on MathDial/MRBench: leakage, questions, judge agreement",
    "safety": "block rate, false refusals, helpline rate, injection success",
    "speed": "time to first token, decode tok/s, retrieval latency, 1/4/8 concurrent chats",
    "all": "every suite on its default data (use --limit for a quick pass)",
}
REPO = Path(__file__).resolve().parent.parent.parent


def shared_data_dir(environ: dict[str, str] | os._Environ[str]) -> Path | None:
    """``$TUTOR_SHARED_DATA``, else ``../shared/data`` next to the repository or the cwd."""
    if environ.get("TUTOR_SHARED_DATA"):
        return Path(environ["TUTOR_SHARED_DATA"]).expanduser()
    for candidate in (REPO.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="benchmark retrieval, answers, pedagogy, safety and speed",
        description="Benchmark the tutor; every run writes results.json, report.md and "
        "report.html. Compare two runs with `tutor eval compare RUN_A RUN_B`.",
    )
    suites = parser.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for name, text in SUITE_HELP.items():
        p = suites.add_parser(name, help=text, description=text)
        add_common(p)
        where = p.add_mutually_exclusive_group()
        where.add_argument("--course", help="ask an already indexed course of the tutor's home")
        where.add_argument(
            "--course-dir",
            type=Path,
            help="a folder of course files, indexed into a temporary home for this run",
        )
        if name != "all":
            p.add_argument(
                "--data",
                action="append",
                default=[],
                metavar="PATH",
                help="a generic JSONL file, or a ../shared/data folder (name or path); "
                "repeatable (default: the suite's usual data sets)",
            )
        p.add_argument("--limit", type=int, help="at most N questions per data set (seeded)")
        p.add_argument(
            "--split",
            choices=["dev", "test"],
            default="test",
            help="the data sets' split (default test; tune on dev only)",
        )
        p.add_argument("--out", type=Path, help="results folder (default $TUTOR_HOME/eval/...)")
        p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
        p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
        if name in {"speed", "all"}:
            p.add_argument("--url", help="a running `tutor serve`, e.g. http://127.0.0.1:7860")
            p.add_argument(
                "--user", help="sign in to --url as this user (password: $TUTOR_EVAL_PASSWORD)"
            )
        p.set_defaults(handler=_cmd_run)

    p = suites.add_parser("compare", help="what got better or worse between two runs")
    add_common(p)
    p.add_argument("run_a", type=Path, help="a results folder or results.json (the baseline)")
    p.add_argument("run_b", type=Path, help="a results folder or results.json (the new run)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(handler=_cmd_compare)


def _command_line(args: argparse.Namespace) -> list[str]:
    parts = ["tutor", "eval", args.suite]
    for name in ("course", "course_dir", "limit", "split", "out", "url", "llm", "embedder"):
        value = getattr(args, name, None)
        if value is not None:
            parts += [f"--{name.replace('_', '-')}", str(value)]
    for spec in getattr(args, "data", []) or []:
        parts += ["--data", spec]
    if args.fake:
        parts.append("--fake")
    return parts


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from eval.context import EvalContext
    from eval.runner import run_eval

    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or settings.home / "eval" / f"{args.suite}-{stamp}"
    ctx = EvalContext(
        settings=settings,
        fake=args.fake,
        split=args.split,
        limit=args.limit,
        shared=shared_data_dir(os.environ),
        course=args.course,
        course_dir=args.course_dir,
        url=getattr(args, "url", None),
        url_user=getattr(args, "user", None),
        url_password=os.environ.get("TUTOR_EVAL_PASSWORD"),
        progress=not args.no_progress,
    )
    with ctx.session():
        result = run_eval(ctx, args.suite, getattr(args, "data", []), out, _command_line(args))
    if args.json:
        print(json.dumps(result["summary"], ensure_ascii=False))
    else:
        _print_summary(result)
        print(f"\nresults: {out / 'results.json'}\nreport:  {out / 'report.html'}")
    return 0


def _print_summary(result: dict[str, Any]) -> None:
    summaries = (
        result["summary"].items()
        if result["suite"] == "all"
        else [(result["suite"], result["summary"])]
    )
    for name, summary in summaries:
        print(f"== {name}")
        for key, value in summary.items():
            if key in {"suite", "missing"} or isinstance(value, (dict, list)):
                continue
            shown = (
                "missing"
                if value is None
                else f"{value:.3f}"
                if isinstance(value, float)
                else value
            )
            print(f"  {key}: {shown}")
        for key, reason in (summary.get("missing") or {}).items():
            print(f"  ({key} missing: {reason})")


def _cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from eval.compare import compare_paths, render

    report = compare_paths(args.run_a, args.run_b)
    print(json.dumps(report, ensure_ascii=False) if args.json else render(report))
    return 0
