"""Spaced review, Leitner style: a topic sits in a box, each box with its own interval.

A wrong practice answer puts the topic in box 1 (due the next day). A right answer while the
topic is due moves it up a box (3, 7, then 14 days); a right answer before it is due changes
nothing. The learner's "spaced review" switch turns the suggestions off; the schedule is kept
(unless the learner deletes their learning data) so turning it back on picks up where it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutor.learning.profile import TOPIC_MAX, Profiles, clean_line, topic_key
from tutor.transcripts.db import Database

BOX_DAYS = (1, 3, 7, 14)  # box n waits BOX_DAYS[n - 1] days
DAY = 86400.0


@dataclass(frozen=True)
class ReviewItem:
    course: str
    topic: str
    box: int
    interval_days: float
    due_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "course": self.course,
            "topic": self.topic,
            "box": self.box,
            "interval_days": self.interval_days,
            "due_at": self.due_at,
        }


def _item(row: Any) -> ReviewItem:
    return ReviewItem(
        course=row["course"],
        topic=row["topic"],
        box=int(row["box"]),
        interval_days=float(row["interval_days"]),
        due_at=float(row["due_at"]),
    )


class Review:
    def __init__(
        self, db: Database, profiles: Profiles, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.profiles = profiles
        self.clock = clock

    def get(self, user_id: int, course: str, topic: str) -> ReviewItem | None:
        row = self.db.one(
            "SELECT * FROM review_schedule WHERE user_id = ? AND course = ? AND topic_key = ?",
            (user_id, course, topic_key(topic)),
        )
        return _item(row) if row else None

    def _put(self, user_id: int, course: str, topic: str, box: int) -> ReviewItem:
        now = self.clock()
        days = float(BOX_DAYS[box - 1])
        text = clean_line(topic, TOPIC_MAX)
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO review_schedule "
                "(user_id, course, topic, topic_key, box, interval_days, due_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(user_id, course, topic_key) DO UPDATE SET box = excluded.box, "
                "interval_days = excluded.interval_days, due_at = excluded.due_at, "
                "updated_at = excluded.updated_at",
                (user_id, course, text, topic_key(text), box, days, now + days * DAY, now),
            )
        return ReviewItem(course, text, box, days, now + days * DAY)

    def missed(self, user_id: int, course: str, topic: str) -> ReviewItem:
        """A wrong answer on ``topic``: back to box 1, due tomorrow."""
        return self._put(user_id, course, topic, 1)

    def remembered(self, user_id: int, course: str, topic: str) -> ReviewItem | None:
        """A right answer on ``topic``: up one box if it was due, else unchanged."""
        item = self.get(user_id, course, topic)
        if item is None:
            return None
        if item.due_at > self.clock():
            return item
        return self._put(user_id, course, item.topic, min(item.box + 1, len(BOX_DAYS)))

    def is_due(self, user_id: int, course: str, topic: str) -> bool:
        item = self.get(user_id, course, topic)
        return item is not None and item.due_at <= self.clock()

    def schedule(self, user_id: int, course: str | None = None) -> list[ReviewItem]:
        """Every scheduled topic of the learner (of one course, or all), soonest first."""
        sql = "SELECT * FROM review_schedule WHERE user_id = ?"
        params: list[Any] = [user_id]
        if course is not None:
            sql += " AND course = ?"
            params.append(course)
        return [_item(r) for r in self.db.rows(sql + " ORDER BY due_at, topic", params)]

    def due(self, user_id: int, course: str | None = None) -> list[ReviewItem]:
        """The topics due now, whatever the switch says."""
        now = self.clock()
        return [item for item in self.schedule(user_id, course) if item.due_at <= now]

    def suggestions(self, user_id: int, course: str | None = None) -> list[ReviewItem]:
        """What "Due for review" shows: the due topics, or nothing when the learner turned
        spaced review off."""
        if not self.profiles.get(user_id).spaced_review:
            return []
        return self.due(user_id, course)

    def delete(self, user_id: int, course: str, topic: str) -> bool:
        with self.db.write() as conn:
            count = conn.execute(
                "DELETE FROM review_schedule WHERE user_id = ? AND course = ? AND topic_key = ?",
                (user_id, course, topic_key(topic)),
            ).rowcount
        return bool(count)


__all__ = ["BOX_DAYS", "Review", "ReviewItem"]
