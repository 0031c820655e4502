"""BM25 scores read from a saved bm25s index without bm25s (retrieval/bm25_scores.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25_scores import SavedBm25
from retrieval.lexical import lexical_tokens
from tests.python_subprocess import run_python

CHUNKS = [
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "The pH of pure water is 7 at 25 degrees; acids are below 7.",
    "Newton's second law: force equals mass times acceleration.",
    "Water boils at 100 degrees at sea level; water water everywhere.",
    "Die Photosynthese findet in den Chloroplasten statt.",
    "水は100度で沸騰します。",
]
QUERIES = [
    "What is the pH of water?",
    "water water water",  # a repeated token counts each time
    "force mass acceleration newton",
    "photosynthese chloroplasten",
    "水は何度で沸騰しますか",
    "zebra quasar",  # no known token
]


@pytest.mark.parametrize("method", ["lucene", "bm25+"])
def test_scores_equal_bm25s_bit_for_bit(tmp_path: Path, method: str) -> None:
    bm25s = pytest.importorskip("bm25s")
    index = bm25s.BM25(method=method)
    index.index([lexical_tokens(text) for text in CHUNKS], show_progress=False)
    index.save(str(tmp_path / "bm25"), show_progress=False)
    theirs = bm25s.BM25.load(str(tmp_path / "bm25"))
    ours = SavedBm25.load(tmp_path / "bm25")
    for query in QUERIES:
        tokens = lexical_tokens(query)
        expected = theirs.get_scores(tokens)
        got = ours.get_scores(tokens)
        assert got.dtype == expected.dtype and np.array_equal(got, expected), query
    assert ours.get_scores(["water"]).argmax() == 3
    assert not ours.get_scores([]).any()  # no token, no score


def test_a_served_course_is_scored_without_importing_bm25s(tmp_path: Path) -> None:
    from retrieval.course_index import INDEX_FORMAT, write_build
    from tutor.types import Chunk

    texts = ["water boils at 100 degrees", "force is mass times acceleration"]
    chunks = [
        Chunk(f"c{i}", "c", "d.md", "T", "H", None, 0, len(text), text)
        for i, text in enumerate(texts)
    ]
    build = tmp_path / "build"
    write_build(
        build,
        manifest={"format": INDEX_FORMAT},
        chunks=chunks,
        embeddings=np.zeros((2, 4), np.float32),
        documents={},
        hnsw_threshold=10**6,
    )
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from retrieval.course_index import CourseIndex\n"
        f"index = CourseIndex.load('c', Path({str(build)!r}))\n"
        "scores = index.bm25_scores('why does water boil')\n"
        "heavy = any(m.startswith(('bm25s', 'scipy')) for m in sys.modules)\n"
        "print(type(index.bm25).__name__, int(scores.argmax()), heavy)\n"
    )
    assert run_python(script).split()[-3:] == ["SavedBm25", "0", "False"]
