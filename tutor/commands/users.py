"""``tutor users add|list|courses|password|remove``: accounts on the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tutor.config import Settings


def register(subparsers: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    group = subparsers.add_parser("users", help="manage learner, teacher and admin accounts")
    sub = group.add_subparsers(dest="users_command", required=True)

    p = sub.add_parser("add", help="add a user (prints a generated password unless given one)")
    add_common(p)
    p.add_argument("name")
    p.add_argument("--role", choices=["learner", "teacher", "admin"], required=True)
    p.add_argument("--course", action="append", default=[], help="course (repeatable)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(handler=_add)

    p = sub.add_parser("list", help="list users, roles and courses")
    add_common(p)
    p.set_defaults(handler=_list)

    p = sub.add_parser("courses", help="set a user's courses")
    add_common(p)
    p.add_argument("name")
    p.add_argument("--course", action="append", default=[], help="course (repeatable)")
    p.set_defaults(handler=_courses)

    p = sub.add_parser("password", help="set a new password (ends the user's sessions)")
    add_common(p)
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(handler=_password)

    p = sub.add_parser("remove", help="remove a user and all their transcripts")
    add_common(p)
    p.add_argument("name")
    p.set_defaults(handler=_remove)


def _password_from(args: argparse.Namespace) -> tuple[str, bool]:
    from tutor.accounts.users import generate_password

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


def _backend(settings: Settings) -> Any:
    from tutor.transcripts.backend import Backend

    return Backend.open(settings)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    backend = _backend(settings)
    password, generated = _password_from(args)
    user = backend.accounts.add(args.name, args.role, password, args.course)
    backend.store.audit("cli", "user_add", user.name, user.role)
    courses = ", ".join(sorted(user.courses)) or "no course"
    print(f"added {user.role} {user.name} ({courses})")
    if generated:
        print(f"password: {password}")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    for user in _backend(settings).accounts.list():
        print(f"{user.name}\t{user.role}\t{','.join(sorted(user.courses))}")
    return 0


def _courses(args: argparse.Namespace, settings: Settings) -> int:
    backend = _backend(settings)
    user = backend.accounts.set_courses(args.name, args.course)
    backend.store.audit("cli", "user_courses", user.name, ",".join(sorted(user.courses)))
    print(f"{user.name}: {', '.join(sorted(user.courses)) or 'no course'}")
    return 0


def _password(args: argparse.Namespace, settings: Settings) -> int:
    backend = _backend(settings)
    password, generated = _password_from(args)
    backend.accounts.set_password(args.name, password)
    backend.store.audit("cli", "user_password", args.name)
    print(f"password of {args.name} changed" + (f": {password}" if generated else ""))
    return 0


def _remove(args: argparse.Namespace, settings: Settings) -> int:
    backend = _backend(settings)
    backend.accounts.remove(args.name)
    backend.store.audit("cli", "user_remove", args.name)
    backend.db.scrub()
    print(f"removed {args.name}")
    return 0
