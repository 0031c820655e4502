"""Incremental, crash-safe and locked ingestion on the hashing embedder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.course_index import CourseIndex, course_dir, current_build
from retrieval.embedders import HashingEmbedder
from retrieval.ingest import ingest
from retrieval.retriever import Retriever
from tests.conftest import REPO, write_course
from tutor.config import Settings
from tutor.errors import IndexMismatch, IngestLocked, TutorError


def _ingest(settings: Settings, *paths: Path, prune: bool = False):
    return ingest(
        list(paths), course="demo", settings=settings, embedder=HashingEmbedder(), prune=prune
    )


def test_first_ingest_report_and_manifest(settings: Settings, course_dir: Path):
    report = _ingest(settings, course_dir).to_json()
    assert report["course"] == "demo"
    assert (report["documents"], report["added"], report["updated"]) == (3, 3, 0)
    assert report["chunks"] >= 5 and report["skipped"] == []
    index = CourseIndex.open(settings.courses_dir, "demo")
    m = index.manifest
    assert m["embedder"] == "hashing-256" and m["dimension"] == 256 and m["normalized"] is True
    assert m["chunks"] == len(index.chunks) == report["chunks"]
    assert m["chunker_version"] and m["built_at"] and m["index_type"] == "faiss-flat-ip"
    chunk = next(c for c in index.chunks if "litmus" in c.text.lower())
    assert chunk.document == "chemistry/acids.md"
    assert chunk.title == "Acids and bases"
    assert chunk.heading == "Acids and bases > Indicators"
    assert chunk.course == "demo" and chunk.page is None


def test_reingest_skips_unchanged_and_replaces_changed(settings: Settings, course_dir: Path):
    _ingest(settings, course_dir)
    build = current_build(course_dir_of(settings))
    again = _ingest(settings, course_dir)
    assert (again.unchanged, again.added, again.updated, again.embedded_chunks) == (3, 0, 0, 0)
    assert current_build(course_dir_of(settings)) == build  # nothing rebuilt

    (course_dir / "notes.txt").write_text("Glaciers carve U-shaped valleys in mountains.\n")
    changed = _ingest(settings, course_dir)
    assert (changed.unchanged, changed.updated) == (2, 1)
    assert changed.embedded_chunks == 1  # only the changed document's chunk is embedded
    texts = " ".join(c.text for c in CourseIndex.open(settings.courses_dir, "demo").chunks)
    assert "Glaciers" in texts and "Volcanoes" not in texts


def test_deleted_documents_stay_until_prune(settings: Settings, course_dir: Path):
    _ingest(settings, course_dir)
    (course_dir / "notes.txt").unlink()
    kept = _ingest(settings, course_dir)
    assert kept.removed == 0 and kept.documents == 3
    pruned = _ingest(settings, course_dir, prune=True)
    assert pruned.removed == 1 and pruned.documents == 2
    docs = CourseIndex.open(settings.courses_dir, "demo").documents
    assert set(docs) == {"chemistry/acids.md", "python/loops.md"}


def test_bad_files_are_skipped_with_reasons(settings: Settings, course_dir: Path):
    (course_dir / "empty.md").write_text("")
    (course_dir / "fake.pdf").write_bytes(os.urandom(2048))
    (course_dir / "picture.png").write_bytes(b"\x89PNG\r\n")
    report = _ingest(settings, course_dir)
    reasons = {s["path"]: s["reason"] for s in report.skipped}
    assert set(reasons) == {"empty.md", "fake.pdf", "picture.png"}
    assert "unsupported" in reasons["picture.png"]
    assert all(r.strip() and "\n" not in r for r in reasons.values())
    assert report.documents == 3  # the good ones are all indexed


def test_oversize_file_is_skipped_before_reading(settings: Settings, course_dir: Path):
    small = settings.replace(limits=settings.limits.__class__(max_file_bytes=100))
    report = _ingest(small, course_dir)
    assert {s["path"] for s in report.skipped} == {"chemistry/acids.md", "python/loops.md"}
    assert "over the limit" in report.skipped[0]["reason"]


def test_querying_with_another_embedder_is_a_clear_error(settings: Settings, course_dir: Path):
    _ingest(settings, course_dir)
    other = Retriever(settings.courses_dir, HashingEmbedder(dimension=128))
    with pytest.raises(IndexMismatch, match="hashing-256"):
        other.retrieve("pH", "demo")


def test_missing_course_and_bad_names(settings: Settings, tmp_path: Path):
    with pytest.raises(TutorError, match="no index"):
        Retriever(settings.courses_dir, HashingEmbedder()).retrieve("x", "nothing")
    with pytest.raises(TutorError, match="invalid course name"):
        ingest([tmp_path], course="../etc", settings=settings, embedder=HashingEmbedder())


def test_second_ingest_of_same_course_is_refused_while_locked(settings: Settings, course_dir: Path):
    from filelock import FileLock

    folder = course_dir_of(settings)
    (folder / "builds").mkdir(parents=True)
    with FileLock(str(folder / "ingest.lock")), pytest.raises(IngestLocked, match="running"):
        _ingest(settings, course_dir)


def course_dir_of(settings: Settings) -> Path:
    return course_dir(settings.courses_dir, "demo")


_CHILD = """
import sys
from pathlib import Path
from retrieval.embedders import HashingEmbedder
from retrieval.ingest import ingest
from tutor.config import Settings
home, src = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(home=home, llm="fake", embedder="hashing", chunk_tokens=40, chunk_overlap=5)
ingest([src], course="demo", settings=settings, embedder=HashingEmbedder())
"""


def test_kill_during_ingest_leaves_previous_index_usable(settings: Settings, tmp_path: Path):
    """SIGKILL a real ingest once its new build is being written; the old build still answers."""
    small = write_course(tmp_path / "v1")
    _ingest(settings, small)
    before = current_build(course_dir_of(settings))

    big = tmp_path / "v2"
    words = " ".join(f"word{i}" for i in range(400))
    write_course(big, {f"doc{i:04d}.md": f"# Doc {i}\n\n{words} unique{i}.\n" for i in range(1500)})
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(settings.home), str(big)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    builds = course_dir_of(settings) / "builds"
    deadline = time.monotonic() + 120
    while not any(builds.glob(".tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the ingest finished before it could be killed mid-write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert current_build(course_dir_of(settings)) == before
    found = Retriever(settings.courses_dir, HashingEmbedder()).retrieve("litmus paper", "demo")
    assert found.results and found.results[0].chunk.document == "chemistry/acids.md"
    # The next ingest clears the half-written build and succeeds; the lock was released by death.
    report = _ingest(settings, small)
    assert report.documents == 3 and not any(builds.glob(".tmp-*"))


def test_ingest_json_report_via_cli(settings: Settings, course_dir: Path, capsys):
    from tutor.cli import main

    code = main(
        [
            "ingest",
            str(course_dir),
            "--course",
            "demo",
            "--fake",
            "--json",
            "--home",
            str(settings.home),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "course",
        "documents",
        "chunks",
        "added",
        "updated",
        "removed",
        "unchanged",
        "skipped",
        "seconds",
    }
    assert report["documents"] == 3 and isinstance(report["seconds"], float)
