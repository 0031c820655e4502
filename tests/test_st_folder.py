"""The sentence-transformers folder reader: the library's vectors without the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.embedders import st_folder
from tests.python_subprocess import run_python
from tests.threads import run_threads
from tutor import model_paths
from tutor.file_rows import FileRows

TEXTS = [
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "What is the pH of pure water at 25 degrees?",
    "Die Photosynthese findet in den Chloroplasten statt.",
    "¿Cuántos protones tiene un átomo de carbono?",
    "水は何度で沸騰しますか",
    "",
    "a",
    "Newton's second law: force equals mass times acceleration. " * 40,  # past 256 tokens
    "for i in range(5): print(i)",
]


def _folder(tmp_path: Path, modules: list[str], pooling: dict[str, object]) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    entries = [
        {"idx": i, "name": str(i), "path": ["", "1_Pooling", "2_Normalize", "3"][i], "type": kind}
        for i, kind in enumerate(modules)
    ]
    (folder / "modules.json").write_text(json.dumps(entries))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    return folder


MEAN = {"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True}


def test_a_plain_folder_is_read_and_any_other_goes_to_the_library(tmp_path: Path) -> None:
    plain = [st_folder.TRANSFORMER, st_folder.POOLING, st_folder.NORMALIZE]
    assert st_folder._plan(_folder(tmp_path / "a", plain, MEAN)) == ("mean", True, 128)
    assert st_folder._plan(_folder(tmp_path / "b", plain[:2], {"pooling_mode": "cls"})) == (
        "cls",
        False,
        128,
    )
    dense = [*plain[:2], "sentence_transformers.models.Dense"]
    assert st_folder._plan(_folder(tmp_path / "c", dense, MEAN)) is None
    both = {**MEAN, "pooling_mode_max_tokens": True}
    assert st_folder._plan(_folder(tmp_path / "d", plain, both)) is None
    assert st_folder._plan(_folder(tmp_path / "e", plain, {"pooling_mode": "lasttoken"})) is None
    prompts = _folder(tmp_path / "f", plain, MEAN)
    (prompts / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: "}})
    )
    assert st_folder._plan(prompts) is None
    broken = _folder(tmp_path / "g", plain, MEAN)
    (broken / "modules.json").write_text("{not json")
    assert st_folder._plan(broken) is None
    assert st_folder._plan(tmp_path / "missing") is None


@pytest.mark.real_models
def test_vectors_equal_the_library_s_for_documents_and_queries() -> None:
    torch = pytest.importorskip("torch")
    from sentence_transformers import SentenceTransformer

    path = model_paths.resolve_embedder("all-minilm-l6-v2")
    library = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    ours = st_folder.load(path, device="cpu")
    assert ours is not None
    assert ours.max_seq_length == library.max_seq_length
    assert ours.get_embedding_dimension() == 384

    def library_encode(texts: list[str], batch_size: int) -> np.ndarray:
        return np.asarray(
            library.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )

    for batch_size in (64, 3):  # one batch; batches ordered by length across the list
        np.testing.assert_array_equal(
            ours.encode(TEXTS, batch_size=batch_size), library_encode(TEXTS, batch_size)
        )
    for pair in (TEXTS[1:3], TEXTS[6:8]):  # a query and its short windows, in bf16 as served
        with torch.autocast("cpu", dtype=torch.bfloat16):
            np.testing.assert_array_equal(ours.encode(pair), library_encode(pair, 64))
    assert ours.encode([]).shape == (0, 384)


@pytest.mark.real_models
def test_the_lean_bert_forward_equals_transformers_bit_for_bit() -> None:
    torch = pytest.importorskip("torch")
    from transformers import AutoTokenizer, BertModel

    from retrieval.embedders import lean_bert

    path = model_paths.resolve_embedder("all-minilm-l6-v2")
    reference = BertModel.from_pretrained(str(path), add_pooling_layer=False).eval()
    lean = lean_bert.load(path)
    assert lean is not None
    assert isinstance(lean.words, FileRows)  # read a row at a time, not through the map
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    for batch in (TEXTS[:1], TEXTS[1:3], TEXTS):  # unpadded, padded, padded and truncated
        features = tokenizer(
            batch, padding=True, truncation=True, max_length=256, return_tensors="pt"
        )
        for bf16 in (False, True):
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                expected = reference(**features).last_hidden_state
                got = lean(**features).last_hidden_state
            assert torch.equal(got, expected)


@pytest.mark.real_models
def test_the_wordpiece_tokenizer_gives_transformers_ids_and_counts() -> None:
    torch = pytest.importorskip("torch")
    from transformers import AutoTokenizer

    from retrieval.embedders import bert_tokenizer

    path = model_paths.resolve_embedder("all-minilm-l6-v2")
    ours = bert_tokenizer.load(path)
    assert ours is not None
    theirs = AutoTokenizer.from_pretrained(str(path))
    texts = [*TEXTS, "  tabs\tand\nlines ", "naïve Straße ÀÉÎ", "emoji 🙂 [MASK] [CLS] [SEP]"]
    for max_length in (256, 8):  # the model's limit, and one that cuts almost every text
        for batch in (texts[:1], texts, texts[4:7]):  # one text, padded, empty strings
            expected = theirs(
                batch,
                padding=True,
                truncation="longest_first",
                max_length=max_length,
                return_tensors="pt",
            )
            got = ours.features(batch, max_length)
            assert list(got) == list(expected.keys())
            for key, value in got.items():
                assert torch.equal(value, expected[key]), key
    for text in texts:  # counts are untruncated, even right after a truncating call
        assert ours.count_tokens(text) == len(theirs.encode(text, add_special_tokens=False))


def _bert_folder(tmp_path: Path, **settings: object) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "water": 4, "boils": 5}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.BertProcessing(("[SEP]", 3), ("[CLS]", 2))
    tmp_path.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, **settings}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    return tmp_path


def test_only_plain_bert_tokenizers_are_read_without_transformers(tmp_path: Path) -> None:
    from retrieval.embedders import bert_tokenizer

    plain = bert_tokenizer.load(_bert_folder(tmp_path / "plain"))
    assert plain is not None
    features = plain.features(["Water boils", "water"], 16)
    assert features["input_ids"].tolist() == [[2, 4, 5, 3], [2, 4, 3, 0]]
    assert features["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert plain.count_tokens("water boils") == 2
    # Settings tokenizer.json does not carry out: transformers applies them.
    for name, settings in {
        "cased": {"do_lower_case": False},
        "never_split": {"never_split": ["boils"]},
        "roberta": {"tokenizer_class": "RobertaTokenizer"},
        "unknown key": {"add_prefix_space": True},
    }.items():
        assert bert_tokenizer.load(_bert_folder(tmp_path / name, **settings)) is None, name
    broken = _bert_folder(tmp_path / "broken")
    (broken / "tokenizer.json").write_text("{not json")
    assert bert_tokenizer.load(broken) is None


def test_only_plain_bert_folders_get_the_lean_forward(tmp_path: Path) -> None:
    from retrieval.embedders import lean_bert

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "roberta"}))
    assert lean_bert.load(tmp_path) is None
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "is_decoder": True}))
    assert lean_bert.load(tmp_path) is None
    (tmp_path / "config.json").write_text("{broken")
    assert lean_bert.load(tmp_path) is None


@pytest.mark.real_models
def test_the_default_embedder_imports_neither_the_library_nor_transformers() -> None:
    script = (
        "import sys\n"
        "from tutor.config import Settings\n"
        "from tutor.services import load_embedder\n"
        "embedder = load_embedder(Settings())\n"
        "vectors = embedder.embed(['What is a mole in chemistry?'], query=True)\n"
        "assert vectors.shape == (1, 384), vectors.shape\n"
        "heavy = ('sentence_transformers', 'sklearn', 'transformers')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert run_python(script).strip().splitlines()[-1] == "[]"


def _embed_and_count_at_once(encode: Any, count_tokens: Any) -> list[BaseException]:
    """Counting tokens turns a shared fast tokenizer's truncation off and embedding turns it
    on: unguarded, a long text embedded in one thread while another counts fails ("Unable to
    create tensor ... activate truncation"). 150 rounds on 8 threads showed it every time."""
    long_texts = [TEXTS[7], TEXTS[0]]  # the first is past the 256-token limit
    expected = encode(long_texts)
    count = count_tokens(TEXTS[7])

    def work(index: int) -> None:
        for _ in range(150):
            if index % 2:
                assert count_tokens(TEXTS[7]) == count
            else:
                np.testing.assert_array_equal(encode(long_texts), expected)

    return run_threads(work, 8)


@pytest.mark.real_models
def test_threads_can_embed_and_count_tokens_at_once() -> None:
    path = model_paths.resolve_embedder("all-minilm-l6-v2")
    ours = st_folder.load(path, device="cpu")
    assert ours is not None
    failures = _embed_and_count_at_once(ours.encode, ours.count_tokens)
    assert not failures, failures[0]


@pytest.mark.real_models
def test_a_folder_read_by_the_library_is_guarded_the_same_way() -> None:
    from sentence_transformers import SentenceTransformer

    from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder

    path = model_paths.resolve_embedder("all-minilm-l6-v2")
    embedder = SentenceTransformerEmbedder(path)
    embedder._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    failures = _embed_and_count_at_once(embedder.embed, embedder.count_tokens)
    assert not failures, failures[0]
