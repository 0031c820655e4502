"""Who may see and do what. Every server-side handler asks these functions; hiding a button
is never the check.

- A learner chats in the courses they belong to and sees only their own chats and turns.
- A teacher sees the turns of the courses they teach (and only those), reviews and exports them.
- An admin manages users; an admin reads no transcripts unless also made a course's teacher
  (operators with the database file use the command line, which is audited too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.errors import TutorError

ROLES = ("learner", "teacher", "admin")


class AccessDenied(TutorError):
    """The signed-in user may not see or do this."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    courses: frozenset[str] = frozenset()

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def require_login(user: User | None) -> User:
    if user is None:
        raise AccessDenied("please sign in first")
    return user


def require_teacher(user: User | None) -> User:
    user = require_login(user)
    if not user.is_teacher:
        raise AccessDenied("only teachers can use the review desk")
    return user


def require_admin(user: User | None) -> User:
    user = require_login(user)
    if not user.is_admin:
        raise AccessDenied("only admins can manage users")
    return user


def may_chat(user: User, course: str) -> bool:
    """Learners and teachers chat in their own courses."""
    return user.role in ("learner", "teacher") and course in user.courses


def check_chat_course(user: User, course: str) -> None:
    if not may_chat(user, course):
        raise AccessDenied(f"you are not enrolled in the course {course!r}")


def teacher_courses(user: User, course: str = "") -> frozenset[str]:
    """The courses whose turns ``user`` may review: all theirs, or the one asked for if theirs."""
    require_teacher(user)
    if course:
        if course not in user.courses:
            raise AccessDenied(f"you do not teach the course {course!r}")
        return frozenset({course})
    return user.courses


def check_turn_visible(user: User, turn: dict[str, Any] | None) -> dict[str, Any]:
    """Return ``turn`` when ``user`` may read it, else raise ``AccessDenied`` (the same error
    whether the turn exists or not, so ids cannot be probed)."""
    if turn is not None:
        if user.role == "learner" and turn["user_id"] == user.id and not turn.get("hidden"):
            return turn
        if user.is_teacher and turn["course"] in user.courses:
            return turn
    raise AccessDenied("no such conversation among those you may see")


def check_chat_visible(user: User, chat: dict[str, Any] | None) -> dict[str, Any]:
    if chat is not None:
        if user.role == "learner" and chat["user_id"] == user.id:
            return chat
        if user.is_teacher and chat["course"] in user.courses:
            return chat
    raise AccessDenied("no such conversation among those you may see")


def check_own_turn(user: User, turn: dict[str, Any] | None) -> dict[str, Any]:
    """A learner rating an answer: only answers given to them."""
    if turn is not None and turn["user_id"] == user.id and not turn.get("hidden"):
        return turn
    raise AccessDenied("no such answer among yours")
