"""Prompts render byte for byte as recorded; a missing variable is an error, never blank; the
tutor's own messages exist in every interface language and render with the same variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tutor.config import Settings
from tutor.i18n import LANGUAGES
from tutor.prompting import PROMPT_FOLDER, PromptLibrary
from tutor.types import LearnerContext

SNAPSHOTS = Path(__file__).parent / "snapshots"
SOURCES = [
    {"n": 1, "place": "Acids > pH (page 2)", "text": "Pure water has a pH of 7."},
    {"n": 2, "place": "Loops", "text": "A for loop repeats."},
]
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "system_explain": ("system", {"course": "chemistry", "mode": "explain"}),
    "system_guide": ("system", {"course": "chemistry", "mode": "guide"}),
    "answer": ("answer", {"sources": SOURCES, "question": "What is the pH of water?"}),
    "not_covered": ("not_covered", {"course": "chemistry"}),
    "system_advice": ("system", {"course": "chemistry", "mode": "explain", "advice": True}),
    "system_learner": (
        "system",
        {
            "course": "chemistry",
            "mode": "explain",
            "learner": LearnerContext(level="Year 9", hard_topics=("The pH scale", "Indicators")),
        },
    ),
    "safety_helpline": ("safety_helpline", {"helpline": "Call 0800 000 000."}),
    "safety_refusal_violence": ("safety_refusal", {"category": "violence"}),
    "safety_refusal_copyright": ("safety_refusal", {"category": "copyright"}),
    "safety_refusal_prompt_attack": ("safety_refusal", {"category": "prompt_attack"}),
    "safety_refusal_hate": ("safety_refusal", {"category": "hate"}),
    "safety_refusal_sexual": ("safety_refusal", {"category": "sexual"}),
    "safety_advice": ("safety_advice", {}),
    "safety_replaced": ("safety_replaced", {}),
    "safety_retry": ("safety_retry", {}),
    "safety_truncated": ("safety_truncated", {"limit": "2,000"}),
    "system_explain_learner_en": (
        "system",
        {"course": "chemistry", "mode": "explain", "learner": LearnerContext(language="en")},
    ),
    "system_explain_learner_es": (
        "system",
        {"course": "chemistry", "mode": "explain", "learner": LearnerContext(language="es")},
    ),
}
# The templates that produce the tutor's own words to the learner: one copy per language.
TUTOR_MESSAGES = [
    "not_covered",
    "safety_advice",
    "safety_helpline",
    "safety_refusal",
    "safety_replaced",
    "safety_retry",
    "safety_truncated",
]
TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_prompt_snapshot(case: str):
    name, variables = CASES[case]
    rendered = PromptLibrary().render(name, **variables)
    snapshot = SNAPSHOTS / f"{case}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(rendered, encoding="utf-8")
    assert rendered == snapshot.read_text(encoding="utf-8")


def test_missing_variable_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        PromptLibrary().render("system", course="x")


def test_templates_hash_is_stable_and_short():
    assert PromptLibrary().templates_hash == PromptLibrary().templates_hash
    assert len(PromptLibrary().templates_hash) == 12


def test_english_learner_leaves_the_system_prompt_unchanged():
    library = PromptLibrary()
    plain = library.render("system", course="chemistry", mode="explain")
    english = library.render(
        "system", course="chemistry", mode="explain", learner=LearnerContext(language="en")
    )
    assert english == plain
    spanish = library.render(
        "system", course="chemistry", mode="explain", learner=LearnerContext(language="es")
    )
    assert "Español" in spanish and len(spanish.splitlines()) == len(plain.splitlines()) + 1
    unknown = library.render(
        "system", course="chemistry", mode="explain", learner=LearnerContext(language="xx")
    )
    assert unknown == plain


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][0] in TUTOR_MESSAGES))
def test_translated_message_renders_with_the_english_variables(case: str, language: str):
    name, variables = CASES[case]
    library = PromptLibrary()
    assert (PROMPT_FOLDER / language / f"{name}.j2").is_file()
    assert library.template_name(name, language) == f"{language}/{name}.j2"
    english = library.render(name, **variables)
    translated = library.render(name, language=language, **variables)
    assert translated and translated != english
    for value in variables.values():  # every value the English text shows, it shows too
        if str(value) in english:
            assert str(value) in translated


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("name", TUTOR_MESSAGES)
def test_translated_message_needs_the_same_variables(name: str, language: str):
    """Rendering without a variable the English template needs fails in every language too."""
    library = PromptLibrary()
    needed = {v for case, (n, variables) in CASES.items() if n == name for v in variables}
    for missing in needed:
        variables = {v: "x" for v in needed if v != missing}
        with pytest.raises(jinja2.UndefinedError):
            library.render(name, **variables)
        with pytest.raises(jinja2.UndefinedError):
            library.render(name, language=language, **variables)


def test_unknown_or_english_language_uses_the_english_file():
    library = PromptLibrary()
    english = library.render("safety_retry")
    assert library.render("safety_retry", language="en") == english
    assert library.render("safety_retry", language="xx") == english
    assert library.render("safety_retry", language="../es") == english
    assert library.template_name("answer", "es") == "answer.j2"  # not translated: English


def test_templates_hash_covers_the_translations(tmp_path: Path):
    (tmp_path / "es").mkdir()
    (tmp_path / "retry.j2").write_text("Try again.", encoding="utf-8")
    (tmp_path / "es" / "retry.j2").write_text("Inténtalo de nuevo.", encoding="utf-8")
    before = PromptLibrary(tmp_path).templates_hash
    (tmp_path / "es" / "retry.j2").write_text("Vuelve a intentarlo.", encoding="utf-8")
    assert PromptLibrary(tmp_path).templates_hash != before
    assert PromptLibrary(tmp_path).render("retry", language="es") == "Vuelve a intentarlo."


def test_not_covered_answer_is_in_the_learners_language(settings: Settings, tmp_path: Path):
    from retrieval.ingest import ingest
    from tests.conftest import write_course
    from tutor.pipeline import Pipeline
    from tutor.services import Services

    services = Services.build(settings, fake=True)
    ingest(
        [write_course(tmp_path / "course")],
        course="tiny",
        settings=settings,
        embedder=services.embedder,
    )
    pipeline = Pipeline(services)
    question = "Who painted the Mona Lisa?"
    spanish = pipeline.ask(question, course="tiny", learner=LearnerContext(language="es"))
    assert spanish.not_covered
    assert spanish.answer.startswith("No he encontrado esto en el material del curso «tiny»")
    english = pipeline.ask(question, course="tiny")
    assert english.answer.startswith("I could not find this in the course material")
    arabic = pipeline.ask(question, course="tiny", learner=LearnerContext(language="ar"))
    assert "مواد المقرر" in arabic.answer
