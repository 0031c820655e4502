"""The profanity model as plain arrays: the package's probabilities, without scikit-learn."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.python_subprocess import run_python
from tutor.safety.profanity import LinearProfanity, ProfanityScorer, cache_file

TEXTS = [
    "What is an atom?",
    "this is bloody stupid",
    "you absolute shit",
    "",
    "THE the THE and of",  # stop words only
    "Shit shit SHIT, what a crappy damn day!!",
    "Ça va? Der Hund ist süß. 水は何度で沸騰しますか",
    "x" * 5000,
    "Why did the Romans fight the Gauls? " * 30,
]


def test_the_arrays_give_the_package_s_probabilities_and_survive_a_restart(
    tmp_path: Path,
) -> None:
    from profanity_check import predict_prob

    expected = [float(p) for p in predict_prob(TEXTS)]
    first = ProfanityScorer(tmp_path)
    assert [first.score(t) for t in TEXTS] == pytest.approx(expected, abs=1e-9)
    saved = cache_file(tmp_path)
    assert saved is not None and saved.is_file()
    again = ProfanityScorer(tmp_path)  # reads the arrays
    assert isinstance(again._load(), LinearProfanity)
    assert [again.score(t) for t in TEXTS] == pytest.approx(expected, abs=1e-9)


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    saved = cache_file(tmp_path)
    assert saved is not None
    saved.write_bytes(b"not an npz file")
    scorer = ProfanityScorer(tmp_path)
    assert scorer.score("you absolute shit") > 0.9
    assert LinearProfanity.read(saved) is not None  # rewritten whole


def test_a_cached_start_does_not_import_scikit_learn(tmp_path: Path) -> None:
    ProfanityScorer(tmp_path).warm_up()
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tutor.safety.profanity import ProfanityScorer\n"
        f"scorer = ProfanityScorer(Path({str(tmp_path)!r}))\n"
        "assert scorer.score('you absolute shit') > 0.9\n"
        "print(sorted(m for m in ('sklearn', 'profanity_check') if m in sys.modules))\n"
    )
    assert run_python(script, timeout=120).strip().splitlines()[-1] == "[]"
