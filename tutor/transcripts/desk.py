"""The teacher's review desk and the learner's own views, with the access rule checked and
the viewing or export written to the audit log on every call. The web routes, the Gradio
handlers and the tests all go through here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tutor.accounts.access import (
    AccessDenied,
    User,
    check_chat_visible,
    check_own_turn,
    check_turn_visible,
    require_login,
    require_teacher,
    teacher_courses,
)
from tutor.transcripts.store import SQLiteTranscriptStore, TurnFilter, export_row, write_export


def parse_day(text: str, *, end: bool = False) -> float | None:
    """``YYYY-MM-DD`` (UTC) as epoch seconds; ``end`` gives the start of the next day."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"date {text!r}: use YYYY-MM-DD") from exc
    return day.timestamp() + (86400 if end else 0)


class Desk:
    def __init__(self, store: SQLiteTranscriptStore) -> None:
        self.store = store

    def _filter(self, user: User, *, course: str = "", **filters: Any) -> TurnFilter:
        return TurnFilter(
            courses=teacher_courses(user, course),
            learner=filters.get("learner") or "",
            since=parse_day(filters.get("since") or ""),
            until=parse_day(filters.get("until") or "", end=True),
            flag=filters.get("flag") or "",
            mode=filters.get("mode") or "",
            text=filters.get("text") or "",
            limit=int(filters.get("limit") or 500),
        )

    def queue(self, user: User, **filters: Any) -> list[dict[str, Any]]:
        """The triage queue of the teacher's courses (or one of them), filtered."""
        where = self._filter(user, **filters)
        rows = self.store.query(where)
        self.store.audit(
            user.name, "view_queue", ",".join(sorted(where.courses or ())), _describe(filters)
        )
        return rows

    def conversation(self, user: User, turn_id: int) -> list[dict[str, Any]]:
        """The whole chat around a turn, for its teacher."""
        require_teacher(user)
        turn = check_turn_visible(user, self.store.turn(turn_id))
        self.store.audit(user.name, "view_chat", turn["chat_id"], f"turn {turn_id}")
        return self.store.chat_turns(turn["chat_id"])

    def chat(self, user: User, chat_id: str) -> list[dict[str, Any]]:
        """A chat as its learner (hidden turns left out) or its course's teacher sees it."""
        require_login(user)
        check_chat_visible(user, self.store.chat(chat_id))
        if user.is_teacher:
            self.store.audit(user.name, "view_chat", chat_id, "")
            return self.store.chat_turns(chat_id)
        return self.store.chat_turns(chat_id, include_hidden=False)

    def my_chats(self, user: User) -> list[dict[str, Any]]:
        require_login(user)
        return self.store.chats_of(user.id)

    def review(self, user: User, turn_id: int, **changes: Any) -> dict[str, Any]:
        require_teacher(user)
        check_turn_visible(user, self.store.turn(turn_id))
        self.store.review(turn_id, user.name, **changes)
        self.store.audit(user.name, "review", f"turn {turn_id}", ",".join(sorted(changes)))
        return self.store.turn(turn_id) or {}

    def hide(self, user: User, turn_id: int, hidden: bool = True) -> None:
        require_teacher(user)
        check_turn_visible(user, self.store.turn(turn_id))
        self.store.set_hidden(turn_id, hidden)
        self.store.audit(user.name, "hide" if hidden else "unhide", f"turn {turn_id}")

    def feedback(self, user: User, turn_id: int, rating: int, comment: str = "") -> None:
        """A learner rates an answer they were given."""
        require_login(user)
        check_own_turn(user, self.store.turn(turn_id))
        self.store.set_feedback(turn_id, rating, comment)

    def export(self, user: User, fmt: str, **filters: Any) -> str:
        where = self._filter(user, **{**filters, "limit": filters.get("limit") or 10**9})
        rows = [export_row(t) for t in self.store.query(where)]
        self.store.audit(
            user.name,
            f"export_{fmt}",
            ",".join(sorted(where.courses or ())),
            f"{len(rows)} turns; {_describe(filters)}",
        )
        return write_export(rows, fmt)

    def analytics(self, user: User, course: str = "") -> dict[str, Any]:
        courses = teacher_courses(user, course)
        self.store.audit(user.name, "view_analytics", ",".join(sorted(courses)))
        return self.store.analytics(courses)


def _describe(filters: dict[str, Any]) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted(filters.items()) if v and k != "limit")


__all__ = ["AccessDenied", "Desk", "parse_day"]
