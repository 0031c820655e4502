"""What one evaluation run works with: settings, the tutor's services, courses, progress bars.

Courses built from ``../shared/data`` sets are cached under ``<home>/cache/eval`` (a separate
courses folder, so they never appear in the learners' course list); the cache key holds the
embedder, the chunk settings and a hash of the material, so a reused index is always the one
that would be built now. ``--course-dir`` is ingested into a temporary home, removed at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eval.datasets import CourseFile, DataError
from retrieval.chunking import CHUNKER_VERSION
from retrieval.retriever import Retriever
from tutor.config import Settings
from tutor.services import Services

T = TypeVar("T")
COURSE_DIR_NAME = "course"  # the name of a --course-dir course inside its temporary home


@dataclass
class CourseHandle:
    """A course the evaluation can query: its name and the retriever that reads it."""

    name: str
    retriever: Retriever
    services: Services  # the run's services with this retriever, for a Pipeline

    @property
    def documents(self) -> list[str]:
        return sorted({c.document for c in self.retriever.index(self.name).chunks})


@dataclass
class EvalContext:
    settings: Settings
    fake: bool = False
    split: str = "test"
    limit: int | None = None
    shared: Path | None = None
    course: str | None = None  # an existing course of the tutor's home
    course_dir: Path | None = None  # a folder to index into a temporary home
    url: str | None = None  # a running server, for the speed suite
    url_user: str | None = None  # sign in to that server as this user
    url_password: str | None = None
    progress: bool = True
    _services: Services | None = None
    _handles: dict[str, CourseHandle] = field(default_factory=dict)
    _temporary: list[Path] = field(default_factory=list)

    # ---- services ------------------------------------------------------------------------

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = Services.build(self.settings, fake=self.fake)
            self.settings = self._services.settings
        return self._services

    @property
    def eval_home(self) -> Path:
        return self.settings.cache_dir / "eval"

    def with_retriever(self, retriever: Retriever) -> Services:
        return dataclasses.replace(self.services, retriever=retriever)

    def _retriever(self, courses_dir: Path) -> Retriever:
        svc = self.services
        return Retriever(
            courses_dir,
            svc.embedder,
            candidates=self.settings.candidates,
            top_k=self.settings.top_k,
        )

    # ---- courses -------------------------------------------------------------------------

    def user_course(self) -> CourseHandle:
        """The course named by ``--course`` or indexed from ``--course-dir``."""
        if self.course_dir is not None:
            return self._course_dir_handle(self.course_dir)
        if self.course is not None:
            key = f"home:{self.course}"
            if key not in self._handles:
                svc = self.services
                svc.retriever.index(self.course)  # fails early, with the tutor's own message
                self._handles[key] = CourseHandle(self.course, svc.retriever, svc)
            return self._handles[key]
        raise DataError(
            "this data set needs a course: give --course NAME (an indexed course) or "
            "--course-dir DIR (a folder of course files to index for this run)"
        )

    def has_user_course(self) -> bool:
        return self.course is not None or self.course_dir is not None

    def _course_dir_handle(self, folder: Path) -> CourseHandle:
        key = f"dir:{folder.resolve()}"
        if key in self._handles:
            return self._handles[key]
        if not folder.is_dir():
            raise DataError(f"--course-dir {folder}: not a folder")
        from retrieval.ingest import ingest

        home = Path(tempfile.mkdtemp(prefix="tutor-eval-"))
        self._temporary.append(home)
        settings = self.settings.replace(home=home)
        report = ingest([folder], course=COURSE_DIR_NAME, settings=settings, embedder=self.embedder)
        if report.chunks == 0:
            raise DataError(f"--course-dir {folder}: no course material could be indexed")
        retriever = self._retriever(settings.courses_dir)
        handle = CourseHandle(COURSE_DIR_NAME, retriever, self.with_retriever(retriever))
        self._handles[key] = handle
        return handle

    @property
    def embedder(self) -> Any:
        return self.services.embedder

    def cached_course(self, key: str, files: list[CourseFile]) -> CourseHandle:
        """A course of ``files`` in the evaluation cache, indexed now unless an identical one
        (same material, embedder and chunk settings) is already there."""
        digest = hashlib.sha256()
        for item in (
            self.embedder.model_id,
            CHUNKER_VERSION,
            str(self.settings.chunk_tokens),
            str(self.settings.chunk_overlap),
        ):
            digest.update(item.encode())
            digest.update(b"\0")
        for f in sorted(files, key=lambda f: f.path):
            digest.update(f.path.encode())
            digest.update(b"\0")
            digest.update(hashlib.sha256(f.content).digest())
        fingerprint = digest.hexdigest()
        name = f"{key[:40]}-{fingerprint[:10]}"
        if name in self._handles:
            return self._handles[name]
        settings = self.settings.replace(home=self.eval_home)
        folder = settings.courses_dir / name
        marker = folder / "eval-course.json"
        if not (marker.is_file() and (folder / "CURRENT").is_file()):
            from retrieval.ingest import ingest

            sources = self.eval_home / "sources" / name
            shutil.rmtree(sources, ignore_errors=True)
            for f in files:
                path = sources / f.path
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(f.content)
            print(
                f"indexing {len(files)} documents of {key} (cached for later runs)…",
                file=sys.stderr,
            )
            report = ingest(
                [sources], course=name, settings=settings, embedder=self.embedder, prune=True
            )
            marker.write_text(
                json.dumps({"key": key, "fingerprint": fingerprint, "chunks": report.chunks}),
                encoding="utf-8",
            )
            shutil.rmtree(sources, ignore_errors=True)
        retriever = self._retriever(settings.courses_dir)
        handle = CourseHandle(name, retriever, self.with_retriever(retriever))
        self._handles[name] = handle
        return handle

    # ---- progress and clean-up -----------------------------------------------------------

    def track(self, items: Iterable[T], total: int, label: str) -> Iterator[T]:
        """``items`` with a progress bar on stderr (when it is a terminal and enabled)."""
        if not self.progress:
            yield from items
            return
        from tqdm import tqdm

        with tqdm(items, total=total, desc=label, file=sys.stderr, leave=False, unit="q") as bar:
            yield from bar

    def close(self) -> None:
        for path in self._temporary:
            shutil.rmtree(path, ignore_errors=True)
        self._temporary.clear()

    @contextlib.contextmanager
    def session(self) -> Iterator[EvalContext]:
        try:
            yield self
        finally:
            self.close()
