"""``tutor learner export NAME``, ``tutor learner delete NAME``, ``tutor learner profile NAME``
and ``tutor learner forget NAME``: a learner's right to their data, to see what the tutor
remembers about them, and to its erasure."""

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

    p = sub.add_parser(
        "profile", help="what the tutor remembers about a learner: profile, hard topics, reviews"
    )
    add_common(p)
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=_profile)

    p = sub.add_parser(
        "forget",
        help="delete a learner's learning data (profile, hard topics, practice, reviews); "
        "chats and the account stay",
    )
    add_common(p)
    p.add_argument("name")
    p.set_defaults(handler=_forget)


def _find(backend: Any, name: str) -> Any:
    user = backend.accounts.get(name)
    if user is None:
        raise TutorError(f"no user named {name!r}")
    return user


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    user = _find(backend, args.name)
    from tutor.learning.profile import Profiles

    data = {
        "user": {"name": user.name, "role": user.role, "courses": sorted(user.courses)},
        **backend.store.export_user(user.id),
        "learning": Profiles(backend.db).export(user.id),
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


def _profile(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.learning import Learning
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    user = _find(backend, args.name)
    learning = Learning.open(backend.store)
    profile = learning.profiles.get(user.id)
    topics = learning.profiles.hard_topics(user.id)
    schedule = learning.review.schedule(user.id)
    backend.store.audit("cli", "learner_profile", user.name)
    if args.json:
        body = {
            "user": user.name,
            "profile": profile.to_json(),
            "hard_topics": [t.to_json() for t in topics],
            "review_schedule": [r.to_json() for r in schedule],
            "due_now": [r.to_json() for r in learning.review.due(user.id)],
        }
        print(json.dumps(body, ensure_ascii=False, indent=1))
        return 0
    print(f"{user.name} ({user.role})")
    print(f"  level: {profile.level or '-'}")
    print(f"  preferred language: {profile.language or '-'}")
    print(f"  preferred mode: {profile.mode or '-'}")
    print(f"  spaced review: {'on' if profile.spaced_review else 'off'}")
    print(f"hard topics ({len(topics)}):")
    for t in topics:
        print(f"  [{t.course}] {t.topic} (from {t.source}, {t.count}x, last {_day(t.last_seen)})")
    print(f"review schedule ({len(schedule)}):")
    for r in schedule:
        print(f"  [{r.course}] {r.topic}: box {r.box}, due {_day(r.due_at)}")
    return 0


def _forget(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.learning.profile import Profiles
    from tutor.transcripts.backend import Backend

    backend = Backend.open(settings)
    user = _find(backend, args.name)
    counts = Profiles(backend.db).forget(user.id)
    detail = ", ".join(f"{n} {table}" for table, n in counts.items())
    backend.store.audit("cli", "learner_forget", f"user {user.id}", detail)
    print(f"deleted the learning data of {user.name}: {detail}")
    return 0


def _day(seconds: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")
