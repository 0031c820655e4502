"""``tutor eval compare`` on two stored result files written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.compare import compare_paths, direction, flatten, render
from eval.datasets import DataError
from tutor.cli import main


def result(summary: dict[str, Any], model: str, n: int = 50) -> dict[str, Any]:
    return {
        "suite": "qa",
        "summary": summary,
        "datasets": [{"name": "squad_v2_dev", "split": "test", "n": n}],
        "identity": {"model": model, "embedder": "e", "prompt_templates_hash": "abc",
                     "split": "test", "limit": n, "config": {"top_k": 4, "home": "/x"}},
    }  # fmt: skip


def write(path: Path, data: dict[str, Any]) -> Path:
    path.mkdir(parents=True)
    (path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    a = result(
        {"suite": "qa", "n": 50, "answer_accuracy": 0.5, "f1": 0.30, "groundedness": None,
         "must_not_contain_violations": 2, "by_dataset": {"squad_v2_dev": {"answer_accuracy": 0.5}},
         "missing": {"groundedness": "no answered question"}},
        "small",
    )  # fmt: skip
    b = result(
        {"suite": "qa", "n": 50, "answer_accuracy": 0.6, "f1": 0.25, "groundedness": 0.8,
         "must_not_contain_violations": 0,
         "by_dataset": {"squad_v2_dev": {"answer_accuracy": 0.6}}},
        "large",
    )  # fmt: skip
    b["identity"]["config"]["top_k"] = 6
    return write(tmp_path / "a", a), write(tmp_path / "b", b)


def test_compare_says_what_got_better_or_worse(runs: tuple[Path, Path]) -> None:
    report = compare_paths(*runs)
    by_metric = {r["metric"]: r for r in report["metrics"]}
    assert by_metric["answer_accuracy"]["change"] == "better"
    assert by_metric["answer_accuracy"]["delta"] == pytest.approx(0.1)
    assert by_metric["f1"]["change"] == "worse"
    assert by_metric["must_not_contain_violations"]["change"] == "better"  # fewer is better
    assert by_metric["groundedness"]["change"] == "missing in A"
    assert by_metric["n"]["change"] == "same"
    assert by_metric["by_dataset.squad_v2_dev.answer_accuracy"]["change"] == "better"
    assert report["identity_changes"]["model"] == {"a": "small", "b": "large"}
    assert report["identity_changes"]["config.top_k"] == {"a": 4, "b": 6}
    assert "config.home" not in report["identity_changes"]
    assert report["better"] == 3 and report["worse"] == 1
    text = render(report)
    assert "| answer_accuracy | 0.5 | 0.6 | +0.1 | better |" in text
    assert "changed model: small -> large" in text


def test_compare_from_the_command_line(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "compare", str(runs[0]), str(runs[1] / "results.json")]) == 0
    out = capsys.readouterr().out
    assert "3 better, 1 worse" in out


def test_compare_warns_about_different_splits(tmp_path: Path) -> None:
    a = result({"suite": "qa", "n": 5, "answer_accuracy": 0.5}, "m")
    b = result({"suite": "qa", "n": 5, "answer_accuracy": 0.5}, "m", n=7)
    b["identity"]["split"] = "dev"
    report = compare_paths(write(tmp_path / "a", a), write(tmp_path / "b", b))
    assert any("different splits" in w for w in report["warnings"])
    assert any("sample sizes" in w for w in report["warnings"])


def test_compare_rejects_files_that_are_not_results(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match="not a tutor eval results file"):
        compare_paths(bad, bad)
    with pytest.raises(DataError, match="no such results file"):
        compare_paths(tmp_path / "nothing", bad)


def test_directions_and_flatten() -> None:
    assert direction("recall@5") == 1
    assert direction("concurrency.4.ttft_ms_p50") == -1
    assert direction("leakage_rate") == -1
    assert direction("by_dataset.mathdial.n") == 0
    assert direction("anchors.mrbench_human_revealing.GPT4") == 0
    assert flatten({"a": 1, "b": {"c": 0.5, "d": True, "e": "x"}, "missing": {"f": "r"}}) == {
        "a": 1.0,
        "b.c": 0.5,
    }
