"""Practice questions: made from the sample course's passages, each citing the passage its
expected answer comes from; the right / hint / answer-after-a-second-miss flow; who may answer;
and the answer check's normalisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.ingest import ingest
from retrieval.retriever import Retriever
from tests.conftest import SAMPLE_COURSE
from tests.test_accounts import Clock
from tutor.accounts.access import AccessDenied, User
from tutor.accounts.users import Accounts
from tutor.config import Settings
from tutor.learning import Learning
from tutor.learning.answers import check_answer, normalise
from tutor.learning.practice import PracticeError
from tutor.learning.questions import (
    BLANK,
    answer_in_passage,
    blank_out,
    make_questions,
    questions_from,
    sentences,
)
from tutor.learning.topics import NothingOnTopic, course_headings, passages_on
from tutor.services import Services
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore
from tutor.types import Chunk

INDICATOR = Chunk(
    id="c-indicators",
    course="chem",
    document="chem/acids.md",
    title="Acids",
    heading="Colour tests",
    page=3,
    start=0,
    end=120,
    text=(
        "An **indicator** is a dye whose colour depends on the pH of a solution.\n"
        "Litmus paper turns red in acid and blue in a base."
    ),
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Services, Retriever]:
    """The sample course, indexed once with the hashing embedder (no model needed)."""
    home = tmp_path_factory.mktemp("practice") / "home"
    settings = Settings(home=home, llm="fake", embedder="hashing")
    services = Services.build(settings, fake=True)
    ingest([SAMPLE_COURSE], course="sample", settings=settings, embedder=services.embedder)
    return services, services.retriever


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "tutor.db")


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    accounts = Accounts(db)
    return {
        "ann": accounts.add("ann", "learner", "password-ann", ["chem", "sample"]),
        "bob": accounts.add("bob", "learner", "password-bob", ["chem"]),
    }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def learning(db: Database, clock: Clock) -> Learning:
    return Learning.open(SQLiteTranscriptStore(db), clock=clock)


def test_every_question_of_the_sample_course_has_its_answer_in_its_passage(
    sample: tuple[Services, Retriever],
) -> None:
    _, retriever = sample
    chunks = retriever.index("sample").chunks
    made = 0
    for chunk in chunks:
        for question in questions_from(chunk):
            made += 1
            assert answer_in_passage(question.answer, chunk.text), (chunk.id, question)
            assert BLANK in question.hidden  # and the answer, as a word, nowhere else in it:
            assert blank_out(question.hidden, question.answer) == question.hidden
            assert blank_out(question.definition, question.answer) == question.definition
    assert made >= len(chunks)  # nearly every passage gives at least one question


def test_a_practice_round_on_a_course_heading_cites_each_questions_passage(
    sample: tuple[Services, Retriever], learning: Learning, people: dict[str, User]
) -> None:
    _, retriever = sample
    headings = course_headings(retriever, "sample")
    assert "Acids and Bases > Indicators" in headings
    assert len(headings) == len(set(headings))
    by_id = {c.id: c for c in retriever.index("sample").chunks}
    for topic in ("Acids and Bases > Indicators", "Loops > The while loop", "boiling water"):
        passages = passages_on(retriever, "sample", topic, min_relevance=0.05)
        items = learning.practice.start(people["ann"], "sample", topic, passages)
        assert 1 <= len(items) <= 3
        assert len({i.expected.casefold() for i in items}) == len(items)
        for item in items:
            chunk = by_id[item.chunk_id]  # the passage it came from, by its id
            assert (item.document, item.heading, item.page) == (
                chunk.document,
                chunk.heading,
                chunk.page,
            )
            assert answer_in_passage(item.expected, chunk.text)
            assert chunk.document in item.citation() and item.place in item.citation()
            assert blank_out(item.question, item.expected) == item.question
            assert item.question.startswith(("Fill in the blank: ", "Which term does"))
    heading_items = learning.practice.start(
        people["ann"],
        "sample",
        "Acids and Bases > Indicators",
        passages_on(retriever, "sample", "Acids and Bases > Indicators", min_relevance=0.05),
    )
    assert heading_items[0].heading == "Acids and Bases > Indicators"  # its own passage first


def test_questions_are_deterministic_and_spread_over_the_passages(
    sample: tuple[Services, Retriever],
) -> None:
    _, retriever = sample
    passages = passages_on(retriever, "sample", "forces and motion", min_relevance=0.05)
    first = make_questions(passages, 3)
    assert [(m.chunk.id, m.question) for m in first] == [
        (m.chunk.id, m.question) for m in make_questions(passages, 3)
    ]
    assert len({m.chunk.id for m in first}) == 3  # one from each of the best passages


def test_question_kinds_from_a_definition_a_number_and_an_emphasised_term() -> None:
    chunk = Chunk(
        "c1",
        "chem",
        "chem/x.md",
        "States",
        "Water",
        None,
        0,
        0,
        "An acid is a substance that releases hydrogen ions in water.\n\n"
        "On the summit of Mount Everest water boils at roughly 70 °C, which is slow.\n\n"
        "Dry ice turns into a gas by **sublimation** at low pressure.\n\n"
        "```python\nfor i in range(3): print(i)\n```\n\n| a | table | row |",
    )
    found = {q.answer: q for q in questions_from(chunk)}
    assert found["acid"].kind == "define"
    assert found["acid"].definition == "a substance that releases hydrogen ions in water"
    assert found["70"].hidden == (
        f"On the summit of Mount Everest water boils at roughly {BLANK} °C, which is slow."
    )
    assert found["sublimation"].sentence == (
        "Dry ice turns into a gas by sublimation at low pressure."
    )
    assert not any("range" in q.sentence or "table" in q.sentence for q in found.values())
    assert sentences("- a pH below 7 means acidic;\n- a pH above 7 means basic;") == [
        "a pH below 7 means acidic.",
        "a pH above 7 means basic.",
    ]


def test_right_hint_then_answer_after_a_second_miss(
    learning: Learning, people: dict[str, User]
) -> None:
    ann = people["ann"]
    [item] = learning.practice.start(ann, "chem", "Indicators", [INDICATOR], count=1)
    assert item.kind == "define" and item.expected == "indicator"
    assert item.citation() == "Acids > Colour tests (chem/acids.md, page 3)"
    assert "a dye whose colour depends on the pH of a solution" in item.question

    empty = learning.practice.check(ann, item.id, "   ")
    assert empty.outcome == "empty" and learning.practice.attempts(ann, item.id) == []

    hint = learning.practice.check(ann, item.id, "a litmus")
    assert hint.outcome == "hint" and not hint.correct and not hint.finished
    assert "indicator" not in hint.message.casefold()  # never the answer on the first miss
    assert f"An {BLANK} is a dye" in hint.message  # the passage sentence, term hidden
    assert "starts with “i” and has 9 letters" in hint.message
    assert "Acids > Colour tests" in hint.message and "Try again" in hint.message

    answer = learning.practice.check(ann, item.id, "a colour")
    assert answer.outcome == "answer" and answer.finished and answer.misses == 2
    assert "“indicator”" in answer.message and "chem/acids.md, page 3" in answer.message
    done = learning.practice.check(ann, item.id, "indicator")
    assert done.outcome == "done"
    attempts = learning.practice.attempts(ann, item.id)
    assert [(a["answer"], a["correct"]) for a in attempts] == [
        ("a litmus", False),
        ("a colour", False),
    ]

    [again] = learning.practice.start(ann, "chem", "Indicators", [INDICATOR], count=1)
    right = learning.practice.check(ann, again.id, "Indicators!")
    assert right.correct and right.finished and "(source: Acids > Colour tests" in right.message
    hint_after_right = learning.practice.check(ann, again.id, "nope")
    assert hint_after_right.outcome == "done"


def test_only_the_owner_may_answer_and_only_in_their_courses(
    learning: Learning, people: dict[str, User], sample: tuple[Services, Retriever]
) -> None:
    ann, bob = people["ann"], people["bob"]
    [item] = learning.practice.start(ann, "chem", "Indicators", [INDICATOR], count=1)
    with pytest.raises(AccessDenied):
        learning.practice.check(bob, item.id, "indicator")
    with pytest.raises(AccessDenied):
        learning.practice.item(bob, item.id)
    with pytest.raises(AccessDenied):
        learning.practice.check(None, item.id, "indicator")
    with pytest.raises(AccessDenied):
        learning.practice.start(bob, "sample", "Loops", [INDICATOR])  # not enrolled
    assert learning.practice.attempts(ann, item.id) == []

    _, retriever = sample
    with pytest.raises(NothingOnTopic):
        passages_on(retriever, "sample", "   ", min_relevance=0.05)
    with pytest.raises(NothingOnTopic):
        passages_on(retriever, "sample", "zqxj wvvk", min_relevance=0.5)
    bare = Chunk("c2", "chem", "chem/y.md", "Y", "Y", None, 0, 0, "| only | a | table |")
    with pytest.raises(PracticeError, match="could not make practice questions"):
        learning.practice.start(ann, "chem", "Tables", [bare])


@pytest.mark.parametrize(
    ("given", "expected", "correct"),
    [
        ("indicator", "indicator", True),
        ("  The Indicator. ", "indicator", True),
        ("indicators", "indicator", True),  # a simple plural
        ("property", "properties", True),
        ("bases", "base", True),
        ("boxes", "box", True),
        ("sublimación", "sublimacion", True),  # accents
        ("Bronsted", "Brønsted", True),  # letters without a decomposition too
        ("Bronstead", "Brønsted", True),  # and a typo
        ("Straße", "strasse", True),
        ("it is the indicator", "indicator", True),  # filler words around the answer
        ("indicater", "indicator", True),  # a typo
        ("proton donor", "proton acceptor", False),
        ("seventy", "70", True),
        ("70.0", "70", True),
        ("7", "70", False),
        ("17", "70", False),
        ("3,5", "3.5", True),
        ("1,000", "1000", True),
        ("ten", "tenfold", True),
        ("acid", "base", False),
        ("", "base", False),
        ("?!", "base", False),
        ("indicator litmus phenolphthalein", "indicator", False),  # a list of guesses
    ],
)
def test_answer_check_normalises(given: str, expected: str, correct: bool) -> None:
    assert check_answer(given, expected).correct is correct, normalise(given)


def test_answer_check_accepts_a_close_paraphrase_with_a_similarity() -> None:
    assert not check_answer("pH paper", "indicator").correct
    verdict = check_answer("pH paper", "indicator", lambda a, b: 0.95)
    assert verdict.correct and verdict.how == "similar"
    assert not check_answer("71", "70", lambda a, b: 0.99).correct  # never for numbers


def test_course_text_is_shown_inert_in_the_practice_area() -> None:
    from tutor.ui.learning import md

    shown = md("It's a _____ ![x](http://evil.example/p.png) <img src=x> **bold** & [a](b)")
    assert shown == (
        "It's a \\_\\_\\_\\_\\_ !\\[x\\](http://evil.example/p.png) &lt;img src=x&gt; "
        "\\*\\*bold\\*\\* &amp; \\[a\\](b)"
    )
