"""Shared fixtures: a temporary tutor home, the shipped fakes and a tiny course."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tutor.config import Settings

REPO = Path(__file__).resolve().parent.parent
SAMPLE_COURSE = REPO / "examples" / "sample_course"

TINY_COURSE = {
    "chemistry/acids.md": (
        "# Acids and bases\n\n"
        "## The pH scale\n\n"
        "The pH scale runs from 0 to 14. Lemon juice is acidic with a pH near 2. "
        "Pure water is neutral and has a pH of 7 at room temperature.\n\n"
        "## Indicators\n\n"
        "Litmus paper turns red in an acid and blue in a base. "
        "Red cabbage juice is a natural indicator that changes colour with pH.\n"
    ),
    "python/loops.md": (
        "# Loops in Python\n\n"
        "## The for loop\n\n"
        "A for loop repeats a block once for every item of a sequence. "
        "The loop `for i in range(3)` runs three times with i equal to 0, 1 and 2.\n\n"
        "## The while loop\n\n"
        "A while loop repeats as long as its condition stays true. "
        "Forgetting to change the condition makes an infinite loop.\n"
    ),
    "notes.txt": "Volcanoes form where magma rises through cracks in the crust of the Earth.\n",
}


def write_course(root: Path, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or TINY_COURSE).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on the fakes with a fresh home; chunks small enough to split the tiny course."""
    return Settings(
        home=tmp_path / "home",
        llm="fake",
        embedder="hashing",
        chunk_tokens=60,
        chunk_overlap=10,
        min_relevance=0.15,
    )


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return write_course(tmp_path / "course")
