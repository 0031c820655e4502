"""The chat model's tokenizer read without transformers (tutor/llm/chat_tokenizer.py), checked
against transformers' own class on a small folder built here (the real model's is checked in
tests/test_llm_batching.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tutor.llm import chat_tokenizer, lean

# A template that uses what chat templates use: trimmed blocks, loop controls, tojson on
# non-ASCII text, raise_exception and the special tokens.
TEMPLATE = """{{ bos_token }}
{% for message in messages %}
  {% if message['role'] == 'tool' %}{{ raise_exception('no tools here') }}{% endif %}
  {% if message['content'] == 'skip' %}{% continue %}{% endif %}
  <{{ message['role'] }}>{{ message['content'] | tojson }}{{ eos_token }}
{% endfor %}
{% if add_generation_prompt %}<assistant>{% endif %}"""

MESSAGES = [
    {"role": "system", "content": "Réponds brièvement."},
    {"role": "user", "content": "skip"},
    {"role": "user", "content": "What is water made of?"},
]


def _folder(tmp_path: Path, *, model_type: str = "llama", **settings: object) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    words = ["<s>", "</s>", "<unk>", "what", "is", "water", "made", "of", "?", "▁"]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    tokenizer.add_special_tokens(["<s>", "</s>", "<unk>"])
    tmp_path.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    config = {
        "tokenizer_class": "TokenizersBackend",
        "backend": "tokenizers",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "</s>",
        "model_max_length": 2048,
        **settings,
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    (tmp_path / "chat_template.jinja").write_text(TEMPLATE)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": model_type}))
    return tmp_path


def test_ids_text_and_template_equal_transformers(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    folder = _folder(tmp_path)
    ours = chat_tokenizer.load(folder)
    assert ours is not None
    theirs = transformers.AutoTokenizer.from_pretrained(str(folder))
    texts = ["what is water made of ?", "<s> water </s> unknown words", "", "  water  \n of"]
    for text in texts:
        ids = theirs.encode(text, add_special_tokens=False)
        assert ours.encode(text) == ids
        assert ours.decode(ids) == theirs.decode(ids, skip_special_tokens=True)
        assert ours.decode(ids, skip_special_tokens=False) == theirs.decode(ids)
    for prompt in (True, False):
        assert ours.apply_chat_template(
            MESSAGES, add_generation_prompt=prompt
        ) == theirs.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=prompt)
    assert ours.eos_token_id == theirs.eos_token_id == 1
    with pytest.raises(Exception, match="no tools here"):
        ours.apply_chat_template([{"role": "tool", "content": "x"}])
    twin = copy.deepcopy(ours)  # the engine's worker decodes with its own copy
    assert twin.encode(texts[0]) == ours.encode(texts[0]) and twin._tokenizer is not ours._tokenizer


def test_folders_with_anything_more_are_left_to_transformers(tmp_path: Path) -> None:
    assert chat_tokenizer.load(_folder(tmp_path / "plain")) is not None
    cases = {
        "a setting that changes encoding": {"add_bos_token": True},
        "spaces cleaned up on decoding": {"clean_up_tokenization_spaces": True},
        "another class": {"tokenizer_class": "LlamaTokenizer"},
        "named templates": {"chat_template": [{"name": "default", "template": "x"}]},
    }
    for name, settings in cases.items():
        folder = _folder(tmp_path / name, **settings)
        if "chat_template" in settings:
            (folder / "chat_template.jinja").unlink()
        assert chat_tokenizer.load(folder) is None, name
    # transformers gives qwen2 folders another tokenizer class than they name
    assert chat_tokenizer.load(_folder(tmp_path / "qwen2", model_type="qwen2")) is None
    assert chat_tokenizer.load(_folder(tmp_path / "gpt2", model_type="gpt2")) is None
    tracked = _folder(tmp_path / "tracked")  # a tag only transformers' environment knows
    (tracked / "chat_template.jinja").write_text("{% generation %}x{% endgeneration %}")
    assert chat_tokenizer.load(tracked) is None
    broken = _folder(tmp_path / "broken")
    (broken / "tokenizer.json").write_text("{not json")
    assert chat_tokenizer.load(broken) is None


def test_the_plain_model_types_are_ones_transformers_tokenizes_as_named() -> None:
    pytest.importorskip("transformers")
    from transformers.models.auto import tokenization_auto

    assert chat_tokenizer.PLAIN_MODEL_TYPES <= lean.SUPPORTED_TYPES
    assert chat_tokenizer.PLAIN_MODEL_TYPES.isdisjoint(
        tokenization_auto.MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS
    )
