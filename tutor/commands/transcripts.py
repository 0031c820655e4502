"""``tutor transcripts export|purge|audit``: the operator's side of the transcript store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.commands import write_output
from tutor.config import Settings


def register(subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    group = subparsers.add_parser("transcripts", help="export or purge recorded turns")
    sub = group.add_subparsers(dest="transcripts_command", required=True)

    p = sub.add_parser("export", help="export turns as JSONL or CSV (newest first by triage)")
    add_common(p)
    p.add_argument("--course")
    p.add_argument("--learner")
    p.add_argument("--flagged", action="store_true", help="only turns flagged by safety checks")
    p.add_argument("--since", help="YYYY-MM-DD")
    p.add_argument("--until", help="YYYY-MM-DD (inclusive)")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    p.set_defaults(handler=_export)

    p = sub.add_parser("purge", help="delete turns older than the retention period")
    add_common(p)
    p.add_argument("--older-than", type=float, help="days (default: accounts.retention_days)")
    p.set_defaults(handler=_purge)

    p = sub.add_parser("audit", help="show the audit log (who viewed or exported what)")
    add_common(p)
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=_audit)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.transcripts.backend import Backend
    from tutor.transcripts.desk import parse_day
    from tutor.transcripts.store import TurnFilter, export_row, write_export

    backend = Backend.open(settings)
    where = TurnFilter(
        courses=frozenset({args.course}) if args.course else None,
        learner=args.learner or "",
        flag="flagged" if args.flagged else "",
        since=parse_day(args.since or ""),
        until=parse_day(args.until or "", end=True),
        limit=10**9,
    )
    rows = [export_row(t) for t in backend.store.query(where)]
    text = write_export(rows, args.format)
    backend.store.audit(
        "cli",
        f"export_{args.format}",
        args.course or "all courses",
        f"{len(rows)} turns; learner={args.learner or ''}; flagged={args.flagged}",
    )
    write_output(text, args.out, f"wrote {len(rows)} turns")
    return 0


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.transcripts.backend import Backend

    days = args.older_than if args.older_than is not None else settings.accounts.retention_days
    if days < 0:
        print("error: --older-than must be 0 or more days", file=sys.stderr)
        return 2
    backend = Backend.open(settings)
    count = backend.store.purge(days)
    backend.store.audit("cli", "purge", f"older than {days:g} days", f"{count} turns")
    print(f"purged {count} turns older than {days:g} days")
    return 0


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime

    from tutor.transcripts.backend import Backend

    for row in reversed(Backend.open(settings).store.audit_log(args.limit)):
        when = datetime.fromtimestamp(row["time"], UTC).isoformat(timespec="seconds")
        print(f"{when}\t{row['actor']}\t{row['action']}\t{row['target']}\t{row['detail']}")
    return 0
