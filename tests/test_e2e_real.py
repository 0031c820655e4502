"""The real default models end to end: ingest the sample course, ask, check answer and citation."""

from __future__ import annotations

import json

import pytest

from retrieval.ingest import ingest
from tests.conftest import SAMPLE_COURSE
from tutor.cli import main
from tutor.config import Settings
from tutor.pipeline import Pipeline
from tutor.services import Services

pytestmark = pytest.mark.real_models


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Services:
    home = tmp_path_factory.mktemp("home")
    # The converted model is cached per home; share the CI's cache when it exists.
    services = Services.build(Settings(home=home, max_new_tokens=96))
    report = ingest(
        [SAMPLE_COURSE], course="sample", settings=services.settings, embedder=services.embedder
    )
    assert report.skipped == [] and report.documents >= 7
    return services


def test_sample_course_question_is_answered_from_the_right_page(real: Services):
    answer = Pipeline(real).ask(
        "What is the pH of pure water at 25 °C?", course="sample", mode="explain"
    )
    assert not answer.not_covered and answer.model.startswith("SmolLM2")
    assert answer.sources[0].document == "chemistry/acids-and-bases.md"
    assert "7" in answer.answer
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]


def test_off_topic_question_is_not_covered(real: Services):
    answer = Pipeline(real).ask("Who won the 1998 football world cup?", course="sample")
    assert answer.not_covered and answer.sources == []


def test_cli_ask_json_with_real_models(real: Services, capsys: pytest.CaptureFixture[str]):
    home = real.settings.home
    code = main(
        [
            "ask",
            "--home",
            str(home),
            "--course",
            "sample",
            "--json",
            "How many times does a for loop over range(5) run?",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sources"][0]["document"].startswith("python/")
    assert data["answer"].strip() and data["timings_ms"]["total"] > 0
