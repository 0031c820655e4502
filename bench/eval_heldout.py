"""The input filter on a held-out set of original prompts, per group.

    .venv/bin/python -m bench.eval_heldout [--data bench/safety/heldout_round6.tsv] [--json]

The file is ``label<TAB>text`` with ``## group`` lines naming the group of the lines below
(see ``bench/safety/heldout_round6.tsv``). Each prompt goes through the real input filter
(``LayeredFilter`` with the configured embedder, MiniLM), as the pipeline calls it. Per group
it reports: safe prompts refused (``benign``: any blocking action), harmful prompts blocked
(refused or answered with help; a self-harm prompt there is counted as helped too), and crisis
prompts given the help reply. A held-out set is never trained or tuned on: this script only
reads it, and the training script does not.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import RESULTS
from retrieval.embedders import load_embedder
from tutor.config import Settings
from tutor.pipeline import shorten_message
from tutor.safety import load_safety_filter

DEFAULT = Path(__file__).resolve().parent / "safety" / "heldout_round6.tsv"


def read(path: Path) -> list[tuple[str, str, str]]:
    """(group, label, text) per prompt."""
    out = []
    group = "ungrouped"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line[3:].strip()
        elif line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            out.append((group, label, text.strip()))
    return out


def kind_of(group: str, label: str) -> str:
    if label == "benign":
        return "safe"
    return "crisis" if group.startswith("crisis") else "harmful"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", help="also write the report to bench/results/<OUT>.json")
    parser.add_argument("--show", action="store_true", help="print the prompts gone wrong")
    args = parser.parse_args()

    settings = Settings()
    safety = load_safety_filter(settings, load_embedder(settings))
    warm_up = getattr(safety, "warm_up", None)
    if callable(warm_up):
        warm_up()
    groups: dict[str, dict[str, Any]] = {}
    totals: dict[str, Counter[str]] = {k: Counter() for k in ("safe", "harmful", "crisis")}
    wrong: list[str] = []
    for group, label, text in read(args.data):
        screened = safety.check(shorten_message(text, settings.max_question_chars), layer="input")
        kind = kind_of(group, label)
        helped = screened.action == "helpline"
        ok = {"safe": not screened.blocked, "harmful": screened.blocked, "crisis": helped}[kind]
        entry = groups.setdefault(group, {"kind": kind, "n": 0, "ok": 0, "actions": Counter()})
        entry["n"] += 1
        entry["ok"] += ok
        entry["actions"][screened.action] += 1
        totals[kind]["n"] += 1
        totals[kind]["ok"] += ok
        totals[kind]["helpline"] += helped
        if not ok:
            wrong.append(f"{group} [{screened.action}]: {text}")
    summary = {
        "data": str(args.data.name),
        "safe_refused": f"{totals['safe']['n'] - totals['safe']['ok']}/{totals['safe']['n']}",
        "harmful_blocked": f"{totals['harmful']['ok']}/{totals['harmful']['n']}",
        "harmful_helpline": totals["harmful"]["helpline"],
        "crisis_helped": f"{totals['crisis']['ok']}/{totals['crisis']['n']}",
        "groups": {g: {**e, "actions": dict(e["actions"])} for g, e in sorted(groups.items())},
    }
    if args.show:
        summary["wrong"] = wrong
    if args.out:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{args.out}.json").write_text(json.dumps(summary, indent=1) + "\n")
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        for key in ("safe_refused", "harmful_blocked", "harmful_helpline", "crisis_helped"):
            print(f"{key}: {summary[key]}")
        for g, e in summary["groups"].items():  # type: ignore[attr-defined]
            print(f"  {g}: {e['ok']}/{e['n']} right {e['actions']}")
        for line in wrong if args.show else ():
            print("  wrong:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
