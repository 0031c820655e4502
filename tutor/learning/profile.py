"""The learner's profile and the topics they found hard: read, edit, delete, and "delete
everything about me".

Nothing is inferred that the learner cannot see. A hard topic is recorded only from a practice
answer they got wrong, an answer they rated 👎, or a topic they added themselves; each one is
listed in "My learning" with where it came from, and can be deleted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tutor.errors import TutorError
from tutor.i18n import LANGUAGES
from tutor.transcripts.db import Database
from tutor.types import MODES, LearnerContext

LEVEL_MAX = 60  # characters of the free-text level ("Year 9", "first-year nursing")
TOPIC_MAX = 80  # characters of a hard topic
PROMPT_TOPICS = 5  # at most this many hard topics go into the prompt
SOURCES = ("practice", "feedback", "learner")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


class ProfileError(TutorError):
    """A profile value the learner can correct (too long, unknown language...)."""


def clean_line(text: str, limit: int) -> str:
    """``text`` on one line: control and bidi characters removed, spaces collapsed, cut."""
    flat = " ".join(_CONTROL.sub(" ", text or "").split())
    return flat[:limit].rstrip()


def topic_key(topic: str) -> str:
    """What makes two topics the same: case and spacing ignored."""
    return " ".join(topic.casefold().split())


@dataclass(frozen=True)
class Profile:
    level: str = ""
    language: str = ""  # a tutor.i18n code, "" for "the page's language"
    mode: str = ""  # "explain", "guide" or "" for no preference
    spaced_review: bool = True
    updated_at: float | None = None  # None: never saved

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "language": self.language,
            "mode": self.mode,
            "spaced_review": self.spaced_review,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class HardTopic:
    id: int
    course: str
    topic: str
    source: str  # one of SOURCES
    first_seen: float
    last_seen: float
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "course": self.course,
            "topic": self.topic,
            "source": self.source,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
        }


def _topic(row: Any) -> HardTopic:
    return HardTopic(
        id=int(row["id"]),
        course=row["course"],
        topic=row["topic"],
        source=row["source"],
        first_seen=float(row["first_seen"]),
        last_seen=float(row["last_seen"]),
        count=int(row["count"]),
    )


def turn_topic(turn: Mapping[str, Any]) -> str:
    """The topic of a rated answer: its top source's heading (or document title), else the
    question."""
    for source in turn.get("sources") or []:
        place = str(source.get("heading") or source.get("title") or "")
        if place:
            return _shorten_place(place)
        break
    return clean_line(str(turn.get("question") or ""), TOPIC_MAX)


def _shorten_place(place: str) -> str:
    """A heading path that fits ``TOPIC_MAX``, dropping its outer parts first."""
    parts = [p.strip() for p in place.split(">") if p.strip()]
    while len(parts) > 1 and len(" > ".join(parts)) > TOPIC_MAX:
        parts = parts[1:]
    return clean_line(" > ".join(parts), TOPIC_MAX)


class Profiles:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    # the profile -----------------------------------------------------------------------------
    def get(self, user_id: int) -> Profile:
        row = self.db.one("SELECT * FROM learner_profiles WHERE user_id = ?", (user_id,))
        if row is None:
            return Profile()
        return Profile(
            level=row["level"],
            language=row["language"],
            mode=row["mode"],
            spaced_review=bool(row["spaced_review"]),
            updated_at=float(row["updated_at"]),
        )

    def update(
        self,
        user_id: int,
        *,
        level: str | None = None,
        language: str | None = None,
        mode: str | None = None,
        spaced_review: bool | None = None,
    ) -> Profile:
        """Change the given fields (``None`` keeps a field); returns the saved profile."""
        current = self.get(user_id)
        if level is not None:
            flat = clean_line(level, LEVEL_MAX + 1)
            if len(flat) > LEVEL_MAX:
                raise ProfileError(f"your level can be at most {LEVEL_MAX} characters")
            level_value = flat
        else:
            level_value = current.level
        language_value = current.language if language is None else (language or "").strip()
        if language_value and language_value not in LANGUAGES:
            raise ProfileError(
                f"unknown language {language_value!r}; choose one of {', '.join(LANGUAGES)}"
            )
        mode_value = current.mode if mode is None else (mode or "").strip()
        if mode_value and mode_value not in MODES:
            raise ProfileError(f"unknown mode {mode_value!r}; choose one of {', '.join(MODES)}")
        review_value = current.spaced_review if spaced_review is None else bool(spaced_review)
        now = self.clock()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO learner_profiles "
                "(user_id, level, language, mode, spaced_review, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET "
                "level = excluded.level, language = excluded.language, mode = excluded.mode, "
                "spaced_review = excluded.spaced_review, updated_at = excluded.updated_at",
                (user_id, level_value, language_value, mode_value, int(review_value), now),
            )
        return self.get(user_id)

    def delete(self, user_id: int) -> None:
        """Back to an empty profile (hard topics, practice and reviews stay)."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM learner_profiles WHERE user_id = ?", (user_id,))

    # hard topics -------------------------------------------------------------------------------
    def hard_topics(self, user_id: int, course: str | None = None) -> list[HardTopic]:
        """The learner's hard topics (of one course, or all), most recently seen first."""
        sql = "SELECT * FROM hard_topics WHERE user_id = ?"
        params: list[Any] = [user_id]
        if course is not None:
            sql += " AND course = ?"
            params.append(course)
        rows = self.db.rows(sql + " ORDER BY last_seen DESC, id DESC", params)
        return [_topic(r) for r in rows]

    def record_topic(self, user_id: int, course: str, topic: str, source: str) -> HardTopic:
        """Note that the learner found ``topic`` hard (again): a new entry, or one more time
        seen for an existing one (which keeps where it first came from)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        text = clean_line(topic, TOPIC_MAX)
        if not text:
            raise ProfileError("type a topic first")
        now = self.clock()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO hard_topics "
                "(user_id, course, topic, topic_key, source, first_seen, last_seen, count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT(user_id, course, topic_key) DO UPDATE SET "
                "last_seen = excluded.last_seen, count = count + 1",
                (user_id, course, text, topic_key(text), source, now, now),
            )
            row = conn.execute(
                "SELECT * FROM hard_topics WHERE user_id = ? AND course = ? AND topic_key = ?",
                (user_id, course, topic_key(text)),
            ).fetchone()
        return _topic(row)

    def delete_topic(self, user_id: int, topic_id: int) -> bool:
        """Delete one of the learner's own hard topics; False when it is not theirs."""
        with self.db.write() as conn:
            count = conn.execute(
                "DELETE FROM hard_topics WHERE id = ? AND user_id = ?", (topic_id, user_id)
            ).rowcount
        return bool(count)

    def record_thumbs_down(self, user_id: int, turn: Mapping[str, Any]) -> HardTopic | None:
        """An answer the learner rated 👎 (``turn`` as ``store.turn`` returns it): its topic
        becomes a hard topic of the turn's course. Nothing for someone else's turn or for a
        refused question."""
        if turn.get("user_id") != user_id or turn.get("refused") or turn.get("hidden"):
            return None
        topic = turn_topic(turn)
        if not topic:
            return None
        return self.record_topic(user_id, str(turn["course"]), topic, "feedback")

    # what the prompt may use -----------------------------------------------------------------
    def learner_context(
        self, user_id: int, course: str, given: LearnerContext | None = None
    ) -> LearnerContext:
        """The profile merged under ``given``: its language wins when given (the page's
        choice), its level and hard topics come first, then the profile's."""
        profile = self.get(user_id)
        topics = [t.topic for t in self.hard_topics(user_id, course)]
        if given is not None:
            language = given.language
            level = given.level or profile.level
            merged = [*given.hard_topics, *[t for t in topics if t not in given.hard_topics]]
        else:
            language = profile.language or LearnerContext().language
            level = profile.level
            merged = topics
        return LearnerContext(
            language=language,
            level=clean_line(level, LEVEL_MAX),
            hard_topics=tuple(clean_line(t, TOPIC_MAX) for t in merged[:PROMPT_TOPICS]),
        )

    # access and erasure ------------------------------------------------------------------------
    def export(self, user_id: int) -> dict[str, Any]:
        """Everything the learning features keep about the learner, as plain data."""
        items = self.db.rows(
            "SELECT * FROM practice_items WHERE user_id = ? ORDER BY id", (user_id,)
        )
        attempts = self.db.rows(
            "SELECT a.* FROM practice_attempts a JOIN practice_items i ON i.id = a.item_id "
            "WHERE i.user_id = ? ORDER BY a.id",
            (user_id,),
        )
        schedule = self.db.rows(
            "SELECT course, topic, box, interval_days, due_at, updated_at FROM review_schedule "
            "WHERE user_id = ? ORDER BY course, due_at",
            (user_id,),
        )
        return {
            "profile": self.get(user_id).to_json(),
            "hard_topics": [t.to_json() for t in self.hard_topics(user_id)],
            "practice_items": [dict(r) for r in items],
            "practice_attempts": [dict(r) for r in attempts],
            "review_schedule": [dict(r) for r in schedule],
        }

    def forget(self, user_id: int, *, scrub: bool = True) -> dict[str, int]:
        """Delete everything about the learner that the learning features keep (profile, hard
        topics, practice questions and attempts, review schedule); chats stay. ``scrub`` also
        rewrites the database file so that the deleted text cannot be recovered from it."""
        counts: dict[str, int] = {}
        with self.db.write() as conn:
            for table in ("learner_profiles", "hard_topics", "practice_items", "review_schedule"):
                cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                counts[table] = int(cursor.rowcount)
        if scrub:
            self.db.scrub()
        return counts


__all__ = [
    "LEVEL_MAX",
    "SOURCES",
    "TOPIC_MAX",
    "HardTopic",
    "Profile",
    "ProfileError",
    "Profiles",
    "clean_line",
    "topic_key",
    "turn_topic",
]
