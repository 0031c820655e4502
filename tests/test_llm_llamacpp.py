"""The llama.cpp backend with the real default model (SmolLM2-135M-Instruct, GGUF).

Marked ``real_models``; skipped only when llama-cpp-python (the ``llamacpp`` extra, which
``make test`` installs) is missing. Loading the GGUF takes well under a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.threads import run_threads
from tutor.errors import ConfigError, ModelError
from tutor.protocols import LanguageModel, generate

pytestmark = pytest.mark.real_models

QUESTION = [
    {"role": "system", "content": "You are a patient tutor. Answer in one or two sentences."},
    {"role": "user", "content": "What is the pH of pure water?"},
]


@pytest.fixture(scope="module")
def model() -> Iterator[object]:
    pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (pip install '.[llamacpp]')"
    )
    from tutor.llm.llamacpp_backend import LlamaCppModel
    from tutor.model_paths import resolve_llm

    built = LlamaCppModel(resolve_llm("smollm2"))
    assert not built.is_loaded  # the constructor is cheap
    built.warm_up()
    assert built.is_loaded and built.load_seconds is not None
    yield built
    built.close()


def test_streams_a_deterministic_greedy_answer(model):
    assert isinstance(model, LanguageModel)
    assert model.model_id == "SmolLM2-135M-Instruct.Q4_1" and model.context_window == 2048
    pieces = list(model.stream(QUESTION, max_new_tokens=32))
    assert len(pieces) > 1 and "".join(pieces).strip()
    assert generate(model, QUESTION, max_new_tokens=32) == "".join(pieces)


def test_count_tokens_uses_the_model_tokenizer(model):
    assert model.count_tokens("") == 0
    assert model.count_tokens("hello world") == 2
    assert model.count_tokens("hello world " * 20) > model.count_tokens("hello world")
    prompt = model.render_prompt(QUESTION)
    assert prompt.startswith("<|im_start|>system") and prompt.endswith("<|im_start|>assistant\n")
    assert model.count_prompt_tokens(QUESTION) > model.count_tokens(QUESTION[1]["content"])


def test_two_threads_at_once_both_answer(model):
    expected = generate(model, QUESTION, max_new_tokens=24)
    results: dict[int, str] = {}

    def ask(slot: int) -> None:
        results[slot] = generate(model, QUESTION, max_new_tokens=24)

    assert not run_threads(ask, 2, timeout=120)
    assert results == {0: expected, 1: expected}


def test_closing_early_releases_the_model(model):
    pieces = model.stream(QUESTION, max_new_tokens=200)
    assert next(pieces)
    pieces.close()
    assert generate(model, QUESTION, max_new_tokens=4).strip()


def test_too_long_a_prompt_is_a_model_error(model):
    long = [{"role": "user", "content": "water " * 3000}]
    with pytest.raises(ModelError, match="context window 2048"):
        model.stream(long, max_new_tokens=16)


def test_a_file_that_is_not_gguf_is_a_config_error(tmp_path: Path):
    pytest.importorskip("llama_cpp")
    from tutor.llm.llamacpp_backend import LlamaCppModel

    with pytest.raises(ConfigError, match="gguf"):
        LlamaCppModel(tmp_path / "model.safetensors")
    missing = LlamaCppModel(tmp_path / "missing.gguf")
    with pytest.raises(ConfigError, match="does not exist"):
        missing.warm_up()
