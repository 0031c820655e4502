"""A practice round: questions on a topic from the course's passages, checked answers, hints.

``start`` makes the questions (``tutor.learning.questions``) and stores each one with the
passage it came from, shown as its citation. ``check`` records every attempt. A wrong first
answer gets a hint in the guiding style (the passage sentence with the term hidden, its first
letter, an invitation to try again) and never the answer; the answer and its citation come
after a second miss. A wrong answer also records the topic as hard and puts it on the review
schedule (box 1); a right first answer on a topic that is due for review moves it up a box.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tutor.accounts.access import AccessDenied, User, check_chat_course, require_login
from tutor.errors import TutorError
from tutor.i18n import text
from tutor.learning.answers import Similarity, check_answer
from tutor.learning.profile import TOPIC_MAX, Profiles, clean_line
from tutor.learning.questions import make_questions
from tutor.learning.review import Review
from tutor.transcripts.db import Database
from tutor.types import Chunk

QUESTIONS = 3  # per round, by default
MAX_QUESTIONS = 10
MAX_MISSES = 2  # the answer is shown after this many wrong answers
ANSWER_CHARS = 200  # a longer answer is cut before it is checked and stored


class PracticeError(TutorError):
    """No practice question could be made, or the question cannot be answered now."""


@dataclass(frozen=True)
class PracticeItem:
    id: int
    course: str
    topic: str
    kind: str  # "define" or "cloze"
    question: str
    expected: str  # copied from the passage
    sentence: str  # the passage sentence it comes from
    hidden: str  # that sentence with the expected answer blanked out
    chunk_id: str
    document: str
    title: str
    heading: str
    page: int | None
    created: float

    @property
    def place(self) -> str:
        """ "Title > Heading" of the passage (without repeating the title)."""
        title, heading = self.title.strip(), self.heading.strip()
        if title and (heading == title or heading.startswith(title + " > ")):
            title = ""
        return " > ".join(p for p in (title, heading) if p) or self.document

    def citation(self, language: str = "en") -> str:
        """Where the question comes from: place, document and page."""
        where = self.document
        if self.page is not None:
            where = text("learning.page", language, document=where, page=self.page)
        return f"{self.place} ({where})"


@dataclass(frozen=True)
class Feedback:
    item: PracticeItem
    outcome: str  # "right", "hint", "answer", "done" or "empty"
    message: str  # plain text for the learner (escape it before showing it as Markdown)
    misses: int

    @property
    def correct(self) -> bool:
        return self.outcome == "right"

    @property
    def finished(self) -> bool:
        """Nothing more to try on this question: go on to the next one."""
        return self.outcome in ("right", "answer", "done")


def _item(row: Any) -> PracticeItem:
    return PracticeItem(
        id=int(row["id"]),
        course=row["course"],
        topic=row["topic"],
        kind=row["kind"],
        question=row["question"],
        expected=row["expected"],
        sentence=row["sentence"],
        hidden=row["hidden"],
        chunk_id=row["chunk_id"],
        document=row["document"],
        title=row["title"],
        heading=row["heading"],
        page=row["page"],
        created=float(row["created"]),
    )


def hint_letters(expected: str, language: str) -> str:
    """The hint that narrows the answer down without giving it."""
    if any(c.isdigit() for c in expected):
        return text("learning.hint_number", language)
    words = expected.split()
    if len(words) > 1:
        return text("learning.hint_words", language, first=expected[:1], words=len(words))
    return text("learning.hint_letters", language, first=expected[:1], letters=len(expected))


class Practice:
    def __init__(
        self,
        db: Database,
        profiles: Profiles,
        review: Review,
        *,
        clock: Callable[[], float] = time.time,
        similarity: Similarity | None = None,
    ) -> None:
        self.db = db
        self.profiles = profiles
        self.review = review
        self.clock = clock
        self.similarity = similarity

    def start(
        self,
        user: User | None,
        course: str,
        topic: str,
        passages: Sequence[Chunk],
        *,
        language: str = "en",
        count: int = QUESTIONS,
    ) -> list[PracticeItem]:
        """Make and store up to ``count`` questions on ``topic`` from ``passages``."""
        user = require_login(user)
        check_chat_course(user, course)
        topic = clean_line(topic, TOPIC_MAX)
        made = make_questions(passages, max(1, min(count, MAX_QUESTIONS)), topic=topic)
        if not made:
            raise PracticeError(text("learning.no_questions", language, topic=topic))
        now = self.clock()
        ids: list[int] = []
        with self.db.write() as conn:
            for entry in made:
                q, chunk = entry.question, entry.chunk
                if q.kind == "define":
                    asked = text("learning.q_define", language, definition=q.definition)
                else:
                    asked = text("learning.q_cloze", language, sentence=q.hidden)
                cursor = conn.execute(
                    "INSERT INTO practice_items (user_id, course, topic, kind, question, "
                    "expected, sentence, hidden, chunk_id, document, title, heading, page, "
                    "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        user.id,
                        course,
                        topic,
                        q.kind,
                        asked,
                        q.answer,
                        q.sentence,
                        q.hidden,
                        chunk.id,
                        chunk.document,
                        chunk.title,
                        chunk.heading,
                        chunk.page,
                        now,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
        return [self.item(user, item_id) for item_id in ids]

    def item(self, user: User | None, item_id: int) -> PracticeItem:
        """One of ``user``'s own questions; ``AccessDenied`` for anyone else's or none."""
        user = require_login(user)
        row = self.db.one(
            "SELECT * FROM practice_items WHERE id = ? AND user_id = ?", (int(item_id), user.id)
        )
        if row is None:
            raise AccessDenied("no such practice question among yours")
        return _item(row)

    def attempts(self, user: User | None, item_id: int) -> list[dict[str, Any]]:
        item = self.item(user, item_id)
        rows = self.db.rows(
            "SELECT answer, correct, feedback, at FROM practice_attempts WHERE item_id = ? "
            "ORDER BY id",
            (item.id,),
        )
        return [{**dict(r), "correct": bool(r["correct"])} for r in rows]

    def check(
        self, user: User | None, item_id: int, answer: str, *, language: str = "en"
    ) -> Feedback:
        """Check and record the learner's answer to one of their questions."""
        item = self.item(user, item_id)
        assert user is not None  # item() checked the login
        earlier = self.attempts(user, item.id)
        misses = sum(1 for a in earlier if not a["correct"])
        if any(a["correct"] for a in earlier) or misses >= MAX_MISSES:
            return Feedback(item, "done", text("learning.done", language), misses)
        given = clean_line(answer, ANSWER_CHARS)
        if not given:
            return Feedback(item, "empty", text("learning.empty_answer", language), misses)
        verdict = check_answer(given, item.expected, self.similarity)
        citation = item.citation(language)
        if verdict.correct:
            outcome = "right"
            message = text("learning.right", language, sentence=item.sentence, citation=citation)
            if misses == 0:
                self.review.remembered(user.id, item.course, item.topic)
        else:
            misses += 1
            if misses == 1:  # the first miss on this question: the topic was hard
                self.profiles.record_topic(user.id, item.course, item.topic, "practice")
                self.review.missed(user.id, item.course, item.topic)
            if misses < MAX_MISSES:
                outcome = "hint"
                message = text(
                    "learning.hint",
                    language,
                    citation=citation,
                    hidden=item.hidden,
                    clue=hint_letters(item.expected, language),
                )
            else:
                outcome = "answer"
                message = text(
                    "learning.reveal",
                    language,
                    answer=item.expected,
                    sentence=item.sentence,
                    citation=citation,
                )
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO practice_attempts (item_id, answer, correct, feedback, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (item.id, given, int(outcome == "right"), message, self.clock()),
            )
        return Feedback(item, outcome, message, misses)


__all__ = ["QUESTIONS", "Feedback", "Practice", "PracticeError", "PracticeItem"]
