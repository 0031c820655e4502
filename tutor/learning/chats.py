"""A learner's own earlier chats: listed per course and reopened to carry on.

Chats live in the server's transcript store, keyed by the account, so they follow the learner
from one device to another. Only the owner lists or reopens a chat (checked here, on the server:
an id from the browser is never trusted); turns a teacher hid are left out, as in the chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tutor.accounts.access import AccessDenied, User, require_login
from tutor.transcripts.store import SQLiteTranscriptStore
from tutor.types import Answer, Source

TITLE_CHARS = 60


def chat_title(question: str, limit: int = TITLE_CHARS) -> str:
    """The first question on one line, cut at a word boundary with an ellipsis."""
    flat = " ".join((question or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,;:.?!") + "…"


@dataclass(frozen=True)
class ChatSummary:
    id: str
    course: str
    title: str
    created: float
    last: float  # time of the latest turn
    turns: int


@dataclass(frozen=True)
class ResumedChat:
    id: str
    course: str
    messages: list[dict[str, str]]  # chatbot messages: question, rendered answer, ...
    last_turn: int | None  # the latest turn (what the thumbs would rate)


def answer_of(turn: dict[str, Any]) -> Answer:
    """A stored turn as the ``Answer`` it was (text, mode, sources, notes)."""
    sources = [
        Source(
            n=int(s.get("n") or i + 1),
            document=str(s.get("document") or ""),
            title=str(s.get("title") or ""),
            heading=str(s.get("heading") or ""),
            page=s.get("page"),
            score=float(s.get("score") or 0.0),
            text=str(s.get("text") or ""),
            chunk_id=str(s.get("chunk_id") or ""),
        )
        for i, s in enumerate(turn.get("sources") or [])
    ]
    return Answer(
        answer=turn["answer"],
        mode="guide" if turn.get("mode") == "guide" else "explain",
        sources=sources,
        model=str(turn.get("model") or ""),
        not_covered=bool(turn.get("not_covered")),
        refused=bool(turn.get("refused")),
        question=turn["question"],
    )


class ChatHistory:
    def __init__(self, store: SQLiteTranscriptStore) -> None:
        self.store = store

    def mine(self, user: User | None, course: str, limit: int = 50) -> list[ChatSummary]:
        """``user``'s own chats in ``course``, most recently used first."""
        user = require_login(user)
        return [
            ChatSummary(
                id=r["id"],
                course=r["course"],
                title=chat_title(r["first_question"] or ""),
                created=float(r["created"]),
                last=float(r["last"] or r["created"]),
                turns=int(r["turns"]),
            )
            for r in self.store.chat_summaries(user.id, course, limit)
        ]

    def resume(self, user: User | None, chat_id: str, language: str = "en") -> ResumedChat:
        """The messages of ``user``'s own chat ``chat_id``, ready to show and continue (the
        tutor's notes around each answer in ``language``).

        ``AccessDenied`` (the same for a missing chat and someone else's) otherwise.
        """
        from tutor.ui.render import render_answer  # plain functions; no Gradio import

        user = require_login(user)
        chat = self.store.chat(str(chat_id or ""))
        if chat is None or chat["user_id"] != user.id:
            raise AccessDenied("no such chat among yours")
        messages: list[dict[str, str]] = []
        last_turn: int | None = None
        for turn in self.store.chat_turns(chat["id"], include_hidden=False):
            messages.append({"role": "user", "content": turn["question"]})
            rendered = render_answer(answer_of(turn), language)
            messages.append({"role": "assistant", "content": rendered})
            last_turn = int(turn["id"])
        return ResumedChat(chat["id"], chat["course"], messages, last_turn)


__all__ = ["ChatHistory", "ChatSummary", "ResumedChat", "answer_of", "chat_title"]
