"""The question-to-answer flow on the shipped fakes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from retrieval.ingest import ingest
from tutor.config import Settings
from tutor.llm.fake import ScriptedModel
from tutor.pipeline import Pipeline
from tutor.services import Services
from tutor.types import Answer, ChatTurn


@pytest.fixture
def services(settings: Settings, course_dir: Path) -> Services:
    svc = Services.build(settings)
    ingest([course_dir], course="demo", settings=settings, embedder=svc.embedder)
    return svc


def test_answer_is_grounded_cited_and_streamed(services: Services):
    events = list(Pipeline(services).stream("What colour is litmus in an acid?", course="demo"))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert "".join(e for e in events[:-1] if isinstance(e, str)).strip() == answer.answer
    assert len(events) >= 3  # streamed a sentence at a time, each checked before it is shown
    assert "[1]" in answer.answer and not answer.not_covered and not answer.refused
    top = answer.sources[0]
    assert (top.n, top.document) == (1, "chemistry/acids.md")
    assert top.heading == "Acids and bases > Indicators" and "Litmus" in top.text
    assert [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert set(answer.timings_ms) == {
        "retrieve",
        "first_token",
        "total",
        "safety_input",
        "safety_output",
    }
    assert answer.model == "fake-scripted" and answer.prompt_tokens > 0


def test_json_contract(services: Services):
    data = Pipeline(services).ask("How does a while loop work?", course="demo").to_json()
    assert set(data) == {
        "answer",
        "mode",
        "refused",
        "not_covered",
        "sources",
        "timings_ms",
        "model",
        "prompt_tokens",
        "completion_tokens",
    }
    assert data["completion_tokens"] > 0 and data["prompt_tokens"] > data["completion_tokens"]
    assert set(data["sources"][0]) == {"n", "document", "title", "heading", "page", "score", "text"}
    assert data["mode"] == "explain"


def test_off_topic_question_is_not_covered_and_the_model_is_not_called(services: Services):
    model = services.llm
    assert isinstance(model, ScriptedModel)
    answer = Pipeline(services).ask("Who won the football world cup in 1998?", course="demo")
    assert answer.not_covered and answer.sources == []
    assert "course material" in answer.answer
    assert model.calls == 0


def test_guide_mode_changes_the_system_prompt(services: Services):
    model = services.llm
    assert isinstance(model, ScriptedModel)
    Pipeline(services).ask("What colour is litmus in an acid?", course="demo", mode="guide")
    system = model.last_messages[0]["content"]
    assert "Mode: guide" in system and "Do not give the final answer" in system
    Pipeline(services).ask("What colour is litmus in an acid?", course="demo", mode="explain")
    assert "Mode: explain" in model.last_messages[0]["content"]
    with pytest.raises(ValueError, match="unknown mode"):
        Pipeline(services).ask("x", course="demo", mode="shout")  # type: ignore[arg-type]


def test_recent_turns_are_remembered_within_budget(services: Services):
    model = services.llm
    assert isinstance(model, ScriptedModel)
    history = [ChatTurn(f"question {i}", f"answer {i}") for i in range(10)]
    Pipeline(services).ask("And what about a base with litmus?", course="demo", history=history)
    roles = [m["role"] for m in model.last_messages]
    assert roles[0] == "system" and roles[-1] == "user"
    contents = [m["content"] for m in model.last_messages[1:-1]]
    assert contents[-2:] == ["question 9", "answer 9"]  # most recent last
    assert len(contents) == 2 * services.settings.memory_turns
    # A huge old turn does not crowd out the sources.
    huge = [ChatTurn("long " * 5000, "long " * 5000)]
    Pipeline(services).ask("litmus in a base?", course="demo", history=huge)
    assert len(model.last_messages) == 2


def test_sources_are_fitted_into_the_context_window(settings: Settings, tmp_path: Path):
    long_text = "# Big\n\n" + "Sediment layers record the history of rivers and seas. " * 400
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "big.md").write_text(long_text)
    svc = Services.build(settings.replace(chunk_tokens=200, top_k=8))
    svc.llm = ScriptedModel(context_window=700)
    ingest([tmp_path / "c"], course="big", settings=svc.settings, embedder=svc.embedder)
    answer = Pipeline(svc).ask("What do sediment layers record?", course="big")
    prompt = "\n".join(m["content"] for m in svc.llm.last_messages)
    assert svc.llm.count_tokens(prompt) <= 700 - svc.settings.max_new_tokens
    assert 1 <= len(answer.sources) < 8


def test_invented_citations_are_removed(services: Services):
    services.llm = ScriptedModel(default="Litmus turns red [1], see also [9].")
    answer = Pipeline(services).ask("litmus in an acid?", course="demo")
    assert answer.answer == "Litmus turns red [1], see also ."


def test_each_request_streams_its_own_answer(services: Services):
    services.llm = ScriptedModel(replies={"litmus": "Red in acids [1].", "loop": "It repeats [1]."})
    pipeline = Pipeline(services)
    results: dict[str, str] = {}

    def run(question: str) -> None:
        text = "".join(e for e in pipeline.stream(question, course="demo") if isinstance(e, str))
        results[question] = text

    questions = ["litmus colour in acids?", "how does a for loop repeat?"] * 4
    threads = [threading.Thread(target=run, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["litmus colour in acids?"] == "Red in acids [1]."
    assert results["how does a for loop repeat?"] == "It repeats [1]."
