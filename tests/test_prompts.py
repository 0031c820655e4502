"""Prompts render byte for byte as recorded; a missing variable is an error, never blank."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from tutor.prompting import PromptLibrary

SNAPSHOTS = Path(__file__).parent / "snapshots"
SOURCES = [
    {"n": 1, "place": "Acids > pH (page 2)", "text": "Pure water has a pH of 7."},
    {"n": 2, "place": "Loops", "text": "A for loop repeats."},
]
CASES = {
    "system_explain": ("system", {"course": "chemistry", "mode": "explain"}),
    "system_guide": ("system", {"course": "chemistry", "mode": "guide"}),
    "answer": ("answer", {"sources": SOURCES, "question": "What is the pH of water?"}),
    "not_covered": ("not_covered", {"course": "chemistry"}),
    "system_advice": ("system", {"course": "chemistry", "mode": "explain", "advice": True}),
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
}


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
