"""The scripted fake language model and the cheap, lazy loader."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.errors import ConfigError, ModelError
from tutor.llm import load_language_model
from tutor.llm.fake import NOT_FOUND_REPLY, ScriptedModel, first_source_sentence
from tutor.protocols import LanguageModel, generate

SOURCES = (
    "Answer from the sources.\n\n"
    "[1] Photosynthesis turns light into chemical energy. It happens in chloroplasts.\n"
    "[2] Respiration releases energy.\n\n"
    "Question: what does photosynthesis do?"
)


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are a tutor."}, {"role": "user", "content": text}]


def test_satisfies_the_protocol() -> None:
    model = ScriptedModel()
    assert isinstance(model, LanguageModel)
    assert model.model_id == "fake-scripted"
    assert model.context_window == 2048


def test_scripted_reply_matches_a_key_case_insensitively() -> None:
    model = ScriptedModel({"photosynthesis": "Plants make sugar. [1]", "atom": "Tiny."})
    assert generate(model, user("What is PHOTOSYNTHESIS?")) == "Plants make sugar. [1]"
    assert generate(model, user("what is an atom")) == "Tiny."


def test_only_the_last_user_message_is_matched() -> None:
    model = ScriptedModel({"atom": "Tiny."}, default="No idea.")
    messages = [
        {"role": "user", "content": "what is an atom"},
        {"role": "assistant", "content": "Tiny."},
        {"role": "user", "content": "and a cell?"},
    ]
    assert generate(model, messages) == "No idea."


def test_default_reply_when_no_key_matches() -> None:
    model = ScriptedModel({"atom": "Tiny."}, default="I do not know.")
    assert generate(model, user(SOURCES)) == "I do not know."


def test_echo_cites_the_first_sentence_of_source_one() -> None:
    model = ScriptedModel()
    assert generate(model, user(SOURCES)) == "Photosynthesis turns light into chemical energy. [1]"


def test_echo_without_sources() -> None:
    assert generate(ScriptedModel(), user("hello")) == NOT_FOUND_REPLY


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("[1] Pi is about 3.14 in value. More.", "Pi is about 3.14 in value."),
        ("[1]: no period here\n[2] other", "no period here"),
        ("intro [1] spans\nlines. next", "spans lines."),
        ("no sources", None),
        ("[1]   ", None),
    ],
)
def test_first_source_sentence_is_lenient(text: str, sentence: str | None) -> None:
    assert first_source_sentence(text) == sentence


def test_stream_word_by_word_joins_to_generate() -> None:
    model = ScriptedModel({"x": "one two  three\nfour"})
    pieces = list(model.stream(user("x")))
    assert pieces == ["one ", "two  ", "three\n", "four"]
    assert "".join(pieces) == generate(model, user("x"))


def test_last_messages_are_recorded_as_copies() -> None:
    model = ScriptedModel()
    messages = user("hello")
    list(model.stream(messages))
    messages[1]["content"] = "changed"
    assert model.last_messages[1] == {"role": "user", "content": "hello"}
    assert model.calls == 1


def test_max_new_tokens_limits_the_reply() -> None:
    model = ScriptedModel(default=" ".join(f"w{i}" for i in range(100)))
    pieces = list(model.stream(user("q"), max_new_tokens=8))
    assert len(pieces) == 6  # 8 tokens is about 6 words


def test_count_tokens_is_about_four_per_three_words() -> None:
    model = ScriptedModel()
    assert model.count_tokens("") == 0
    assert model.count_tokens("one two three") == 4
    assert model.count_tokens("a b c d e f") == 8


def test_too_long_prompt_is_a_model_error() -> None:
    model = ScriptedModel(context_window=100)
    with pytest.raises(ModelError, match="context window"):
        model.stream(user("word " * 80), max_new_tokens=30)
    with pytest.raises(ModelError):
        model.stream(user("hi"), max_new_tokens=0)


def test_load_language_model_fake(tmp_path: Path) -> None:
    model = load_language_model(Settings(home=tmp_path, llm="fake"))
    assert isinstance(model, ScriptedModel)


def test_load_language_model_rejects_unknown_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_language_model(Settings(home=tmp_path, llm=str(tmp_path / "missing.gguf")))


def test_importing_and_building_stays_light(tmp_path: Path) -> None:
    """``import tutor.llm`` and building the default model import neither torch nor transformers."""
    code = (
        "import sys, pathlib\n"
        "from tutor.config import Settings\n"
        "from tutor.llm import load_language_model\n"
        "from tutor.llm.fake import ScriptedModel\n"
        f"settings = Settings(home=pathlib.Path({str(tmp_path)!r}))\n"
        "try:\n"
        "    model = load_language_model(settings)\n"
        "    assert not model.is_loaded\n"
        "except Exception as exc:\n"
        "    print('skipped build:', exc)\n"
        "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_gguf_cache_key_reads_the_edges_only(tmp_path: Path) -> None:
    from tutor.llm.transformers_backend import gguf_cache_key

    path = tmp_path / "m.gguf"
    path.write_bytes(b"a" * 3_000_000)
    key = gguf_cache_key(path)
    assert key == gguf_cache_key(path) and len(key) == 16
    stat = path.stat()
    with path.open("r+b") as handle:  # same size and mtime, changed last megabyte
        handle.seek(2_999_000)
        handle.write(b"b")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert gguf_cache_key(path) != key


def test_transformers_model_constructor_is_cheap(tmp_path: Path) -> None:
    from tutor.llm.transformers_backend import TransformersModel

    model = TransformersModel(tmp_path / "x.gguf", cache_dir=tmp_path / "cache")
    assert not model.is_loaded and model.model_id == "x"
    assert not (tmp_path / "cache").exists()
    with pytest.raises(ConfigError):
        TransformersModel(tmp_path / "x.gguf", cache_dir=tmp_path, device="tpu")
