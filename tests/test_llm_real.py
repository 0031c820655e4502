"""The transformers backend with the real default model (SmolLM2-135M-Instruct, GGUF).

Marked ``real_models``: it loads the packaged GGUF (about 20 s the first time, converted into a
temporary cache shared by the module) and generates a few short greedy replies with the default
settings (int8 on the CPU, continuous batching). ``test_llm_batching.py`` covers the engine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

pytest.importorskip("torch")
pytest.importorskip("transformers")

from tutor.errors import ModelError
from tutor.llm.transformers_backend import TransformersModel
from tutor.model_paths import resolve_llm
from tutor.protocols import LanguageModel, generate

pytestmark = pytest.mark.real_models

QUESTION = [{"role": "user", "content": "What is 2 + 2?"}]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-cache")


@pytest.fixture(scope="module")
def model(cache_dir: Path) -> Iterator[TransformersModel]:
    built = TransformersModel(resolve_llm("smollm2"), cache_dir=cache_dir, device="cpu")
    assert not built.is_loaded  # the constructor is cheap
    built.warm_up()
    yield built
    built.close()


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("llm-engine-")]


def _wait_idle(model: TransformersModel, seconds: float = 30) -> int:
    engine = model._engine
    assert engine is not None
    deadline = time.monotonic() + seconds
    while engine.active_count and time.monotonic() < deadline:
        time.sleep(0.05)
    return engine.active_count


def test_first_load_converts_and_caches(model: TransformersModel, cache_dir: Path) -> None:
    assert isinstance(model, LanguageModel)
    assert model.loaded_from_cache is False
    assert model.cache_path is not None and model.cache_path.parent == cache_dir
    assert (model.cache_path / "config.json").is_file()
    assert any(model.cache_path.glob("*.safetensors"))
    assert [p for p in cache_dir.iterdir() if p.name.startswith(".")] == []  # no temp left
    assert model.model_id == "SmolLM2-135M-Instruct.Q4_1"
    assert model.quantization == "int8"  # the CPU default


def test_second_model_loads_from_the_cache(model: TransformersModel, cache_dir: Path) -> None:
    again = TransformersModel(resolve_llm("smollm2"), cache_dir=cache_dir, device="cpu")
    again.warm_up()
    try:
        assert again.loaded_from_cache is True
        assert again.cache_path == model.cache_path
        assert generate(again, QUESTION, max_new_tokens=12) == generate(
            model, QUESTION, max_new_tokens=12
        )
    finally:
        again.close()


def test_greedy_answer_and_stream_pieces(model: TransformersModel) -> None:
    pieces = list(model.stream(QUESTION, max_new_tokens=24))
    reply = "".join(pieces)
    assert reply.strip()
    assert len(pieces) > 1
    assert generate(model, QUESTION, max_new_tokens=24) == reply  # greedy: deterministic
    assert model.count_tokens("What is 2 + 2?") > 0


def test_closing_the_stream_early_stops_generation(model: TransformersModel) -> None:
    stream = model.stream(QUESTION, max_new_tokens=200)
    first = next(stream)
    assert first
    started = time.perf_counter()
    stream.close()  # type: ignore[attr-defined]
    assert time.perf_counter() - started < 5
    assert _wait_idle(model) == 0  # the request was dropped and its slot freed
    assert len(_engine_threads()) >= 1  # the one worker lives on for the next chats


def test_concurrent_streams_equal_sequential(model: TransformersModel) -> None:
    prompts = [
        [{"role": "user", "content": "Name a colour of the sky."}],
        [{"role": "user", "content": "Write one sentence about rivers."}],
    ]
    sequential = [generate(model, p, max_new_tokens=20) for p in prompts]
    results: list[str | None] = [None, None]

    def answer(index: int) -> None:
        results[index] = "".join(model.stream(prompts[index], max_new_tokens=20))

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == sequential
    assert sequential[0] != sequential[1]


def test_too_long_prompt_is_a_model_error(model: TransformersModel) -> None:
    long = [{"role": "user", "content": "word " * 3000}]
    with pytest.raises(ModelError, match="context window"):
        model.stream(long, max_new_tokens=16)
    with pytest.raises(ModelError):
        model.stream(QUESTION, max_new_tokens=0)


def test_errors_in_the_generation_thread_become_model_errors(
    model: TransformersModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory")

    engine = model._engine
    assert engine is not None
    # the engine's lean decoder runs SmolLM2; other models go through the model's own forward
    target = engine._lean if engine._lean is not None else model._model
    monkeypatch.setattr(target, "forward", broken)
    with pytest.raises(ModelError, match="out of memory"):
        list(model.stream(QUESTION, max_new_tokens=8))
    monkeypatch.undo()
    assert _wait_idle(model) == 0
    assert generate(model, QUESTION, max_new_tokens=8)  # the worker survived
