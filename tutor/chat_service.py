"""The learner's chat as a service: access and rate checks, memory from the server-side
transcript, streaming, and recording of every turn before its answer is acknowledged.

Used by the web chat and ``tutor ask --as NAME`` alike, so both record turns the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tutor.accounts.access import User, check_chat_course
from tutor.accounts.limits import RateLimiter
from tutor.transcripts.store import TranscriptStore, TurnRecord
from tutor.types import Answer, LearnerContext, Mode

if TYPE_CHECKING:
    from tutor.learning.profile import Profiles
    from tutor.pipeline import Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedAnswer:
    """The final event of ``ChatService.stream``: the answer, already committed to disk."""

    answer: Answer
    turn_id: int
    chat_id: str

    def to_json(self) -> dict[str, Any]:
        """The answer's JSON plus where it was recorded: ``tutor ask --json`` and ``/api/ask``."""
        return {**self.answer.to_json(), "turn_id": self.turn_id, "chat_id": self.chat_id}


class ChatService:
    def __init__(
        self,
        pipeline: Pipeline,
        store: TranscriptStore,
        limiter: RateLimiter,
        *,
        memory_turns: int = 4,
        embedder_id: str = "",
        profiles: Profiles | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.limiter = limiter
        self.memory_turns = memory_turns
        self.embedder_id = embedder_id
        self.profiles = profiles if profiles is not None else _profiles_of(store)

    def learner_context(
        self, user: User, course: str, given: LearnerContext | None
    ) -> LearnerContext | None:
        """``given`` (the page's language...) merged with the learner's own profile: their
        level, the topics they found hard in this course, their preferred language when the
        caller did not give one."""
        if self.profiles is None:
            return given
        return self.profiles.learner_context(user.id, course, given)

    def open_chat(self, user: User, course: str, chat_id: str | None) -> str:
        """``chat_id`` when it is this user's chat in this course, else a new chat's id."""
        check_chat_course(user, course)
        if chat_id:
            chat = self.store.chat(chat_id)
            if chat and chat["user_id"] == user.id and chat["course"] == course:
                return chat_id
        return self.store.new_chat(user.id, course)

    def stream(
        self,
        user: User,
        question: str,
        *,
        course: str,
        mode: str = "explain",
        chat_id: str | None = None,
        learner: LearnerContext | None = None,
    ) -> Iterator[str | RecordedAnswer]:
        """Text pieces as they are generated, then one ``RecordedAnswer``.

        Raises ``AccessDenied`` (not enrolled), ``RateLimited`` or the pipeline's
        ``TutorError`` before anything is recorded.
        """
        chosen: Mode = "guide" if mode == "guide" else "explain"
        check_chat_course(user, course)
        with self.limiter.reserve(user):
            chat = self.open_chat(user, course, chat_id)
            history = self.store.history(chat, self.memory_turns)
            learner = self.learner_context(user, course, learner)
            answer: Answer | None = None
            for event in self.pipeline.stream(
                question, course=course, mode=chosen, history=history, learner=learner
            ):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
            if answer is None:
                raise RuntimeError("the pipeline ended without an answer")
            turn_id = self.store.record(
                TurnRecord(
                    chat_id=chat,
                    user_id=user.id,
                    course=course,
                    answer=answer,
                    embedder=self.embedder_id,
                )
            )
        log.info("turn recorded", extra={"turn": turn_id, "course": course})
        yield RecordedAnswer(answer=answer, turn_id=turn_id, chat_id=chat)

    def ask(
        self,
        user: User,
        question: str,
        *,
        course: str,
        mode: str = "explain",
        chat_id: str | None = None,
        learner: LearnerContext | None = None,
    ) -> RecordedAnswer:
        final: RecordedAnswer | None = None
        for event in self.stream(
            user, question, course=course, mode=mode, chat_id=chat_id, learner=learner
        ):
            if isinstance(event, RecordedAnswer):
                final = event
        assert final is not None
        return final


def _profiles_of(store: TranscriptStore) -> Profiles | None:
    """The learner profiles kept in the same database as ``store`` (when it has one)."""
    from tutor.learning.profile import Profiles
    from tutor.transcripts.db import Database

    db = getattr(store, "db", None)
    return Profiles(db) if isinstance(db, Database) else None


def ask_as(
    pipeline: Pipeline, name: str, question: str, course: str, mode: str, as_json: bool
) -> int:
    """``tutor ask --as NAME``: one question through the chat service, recorded like the chat's."""
    import json
    import sys

    from tutor.errors import TutorError
    from tutor.transcripts.backend import Backend

    backend = Backend.open(pipeline.services.settings)
    user = backend.accounts.get(name)
    if user is None:
        raise TutorError(f"no user named {name!r}; add one with `tutor users add {name} ...`")
    chats = backend.chat_service(pipeline)
    final: RecordedAnswer | None = None
    for event in chats.stream(user, question, course=course, mode=mode):
        if isinstance(event, RecordedAnswer):
            final = event
        elif not as_json:
            sys.stdout.write(event)
            sys.stdout.flush()
    assert final is not None
    if as_json:
        print(json.dumps(final.to_json(), ensure_ascii=False))
    else:
        print(f"\n\n(recorded as turn {final.turn_id} in chat {final.chat_id})")
    return 0
