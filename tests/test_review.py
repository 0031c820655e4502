"""Spaced review on an injected clock: a miss puts a topic in box 1 (due the next day), a right
answer while it is due moves it up (1, 3, 7, 14 days), and the learner's switch turns the
suggestions off without losing the schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_accounts import Clock
from tests.test_learning_profile import PASSAGE
from tutor.accounts.access import User
from tutor.accounts.users import Accounts
from tutor.learning import Learning
from tutor.learning.review import BOX_DAYS, DAY
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "tutor.db")


@pytest.fixture
def ann(db: Database) -> User:
    return Accounts(db).add("ann", "learner", "password-ann", ["chem"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def learning(db: Database, clock: Clock) -> Learning:
    return Learning.open(SQLiteTranscriptStore(db), clock=clock)


def test_leitner_boxes_move_up_on_right_answers_when_due(
    learning: Learning, ann: User, clock: Clock
) -> None:
    review = learning.review
    start = clock.now
    item = review.missed(ann.id, "chem", "The pH scale")
    assert (item.box, item.interval_days, item.due_at) == (1, 1.0, start + DAY)
    assert review.due(ann.id, "chem") == [] and not review.is_due(ann.id, "chem", "the ph scale")

    clock.now += DAY - 1
    early = review.remembered(ann.id, "chem", "The pH scale")  # not due yet: unchanged
    assert early is not None and early.box == 1 and early.due_at == start + DAY
    clock.now += 1
    assert [i.topic for i in review.due(ann.id, "chem")] == ["The pH scale"]

    boxes = []
    for _ in range(5):
        moved = review.remembered(ann.id, "chem", "The pH scale")
        assert moved is not None and moved.due_at == clock.now + moved.interval_days * DAY
        boxes.append((moved.box, moved.interval_days))
        clock.now = moved.due_at
    assert boxes == [(2, 3.0), (3, 7.0), (4, 14.0), (4, 14.0), (4, 14.0)]
    assert BOX_DAYS == (1, 3, 7, 14)

    again = review.missed(ann.id, "chem", "the pH  scale")  # the same topic, back to box 1
    assert (again.box, again.due_at) == (1, clock.now + DAY)
    assert len(review.schedule(ann.id)) == 1
    assert review.remembered(ann.id, "chem", "Never missed") is None


def test_the_switch_turns_suggestions_off_and_keeps_the_schedule(
    learning: Learning, ann: User, clock: Clock
) -> None:
    review = learning.review
    review.missed(ann.id, "chem", "Indicators")
    review.missed(ann.id, "chem", "Bonds")
    review.missed(ann.id, "bio", "Cells")
    clock.now += DAY
    assert [i.topic for i in review.suggestions(ann.id, "chem")] == ["Bonds", "Indicators"]

    learning.profiles.update(ann.id, spaced_review=False)
    assert review.suggestions(ann.id, "chem") == []
    assert len(review.due(ann.id)) == 3  # kept, just not suggested

    learning.profiles.update(ann.id, spaced_review=True)
    assert len(review.suggestions(ann.id, "chem")) == 2
    assert review.delete(ann.id, "chem", "bonds") is True
    assert [i.topic for i in review.suggestions(ann.id, "chem")] == ["Indicators"]


def test_practice_schedules_a_missed_topic_and_promotes_it_when_due(
    learning: Learning, ann: User, clock: Clock
) -> None:
    [item] = learning.practice.start(ann, "chem", "Indicators", [PASSAGE], count=1)
    learning.practice.check(ann, item.id, "litmus")
    scheduled = learning.review.get(ann.id, "chem", "Indicators")
    assert scheduled is not None and (scheduled.box, scheduled.due_at) == (1, clock.now + DAY)

    clock.now += DAY  # tomorrow: due, and practised right at the first try
    assert [i.topic for i in learning.review.suggestions(ann.id, "chem")] == ["Indicators"]
    [again] = learning.practice.start(ann, "chem", "Indicators", [PASSAGE], count=1)
    assert learning.practice.check(ann, again.id, "indicator").correct
    moved = learning.review.get(ann.id, "chem", "Indicators")
    assert moved is not None and moved.box == 2 and moved.due_at == clock.now + 3 * DAY
    assert learning.review.suggestions(ann.id, "chem") == []
