"""``tutor learner export NAME`` and ``tutor learner delete NAME``: a learner's right to their
data and to its erasure."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutor.commands import write_output
from tutor.config import Settings
from tutor.errors import TutorError


def register(subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    group = subparsers.add_parser("learner", help="export or erase one learner's data")
    sub = group.add_subparsers(dest="learner_command", required=True)

    p = sub.add_parser("export", help="everything stored about a learner, as JSON")
    add_common(p)
    p.add_argument("name")
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    p.set_defaults(handler=_export)

    p = sub.add_parser("delete", help="erase a learner's account, chats, turns and feedback")
    add_common(p)
    p.add_argument("name")
    p.set_defaults(handler=_delete)


def _find(backend: Any, name: str) -> Any:
    user = backend.accounts.get(name)
    if user is None:
        raise TutorError(f"no user named {name!r}")
    return user


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    user = _find(backend, args.name)
    data = {
        "user": {"name": user.name, "role": user.role, "courses": sorted(user.courses)},
        **backend.store.export_user(user.id),
    }
    backend.store.audit("cli", "learner_export", user.name, f"{len(data['turns'])} turns")
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    write_output(text, args.out, f"wrote {len(data['turns'])} turns of {user.name}")
    return 0


def _delete(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    user = _find(backend, args.name)
    turns = backend.store.delete_user_turns(user.id)
    backend.accounts.remove(user.name)
    # The audit log keeps that an erasure happened, not whose or what text.
    with backend.db.write() as conn:
        conn.execute("UPDATE audit SET actor = '(erased user)' WHERE actor = ?", (user.name,))
        conn.execute("UPDATE audit SET target = '(erased user)' WHERE target = ?", (user.name,))
    backend.store.audit("cli", "learner_delete", f"user {user.id}", f"{turns} turns")
    backend.db.scrub()
    print(f"deleted {user.name}: account and {turns} turns")
    return 0
