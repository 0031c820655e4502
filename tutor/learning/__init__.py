"""What the tutor remembers about a learner, with their consent, and what it does with it.

Everything here is shown to the learner in the "My learning" tab and can be edited or deleted
there (or with ``tutor learner profile`` / ``tutor learner forget``):

- ``profile``: the learner's level, preferred language and mode, the spaced-review switch, the
  topics they found hard (only from practice answers they got wrong, answers they rated 👎 and
  topics they added), and "delete everything about me";
- ``chats``: their own earlier chats, listed and reopened (the owner only);
- ``topics``: a course's headings and the passages on a topic;
- ``questions``: practice questions made deterministically from passage text;
- ``answers``: checking an answer against the passage's expected answer;
- ``practice``: a practice round, its attempts, hints and citations;
- ``review``: the Leitner-style spaced-review schedule.

``Learning`` bundles them on one database with one clock (epoch seconds; injected in tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tutor.learning.chats import ChatHistory
from tutor.learning.practice import Practice
from tutor.learning.profile import Profiles
from tutor.learning.review import Review
from tutor.transcripts.store import SQLiteTranscriptStore


@dataclass
class Learning:
    profiles: Profiles
    review: Review
    practice: Practice
    chats: ChatHistory

    @classmethod
    def open(
        cls,
        store: SQLiteTranscriptStore,
        *,
        clock: Callable[[], float] = time.time,
        similarity: Callable[[str, str], float] | None = None,
    ) -> Learning:
        """Everything on the store's database. ``similarity`` (0..1, e.g. embedding cosine)
        lets the answer check accept close paraphrases."""
        profiles = Profiles(store.db, clock)
        review = Review(store.db, profiles, clock)
        practice = Practice(store.db, profiles, review, clock=clock, similarity=similarity)
        return cls(profiles, review, practice, ChatHistory(store))


__all__ = ["ChatHistory", "Learning", "Practice", "Profiles", "Review"]
