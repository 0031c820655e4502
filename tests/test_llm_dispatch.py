"""``load_language_model`` picks the backend the settings name; no model is loaded."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

import tutor.llm
from tutor.config import Settings
from tutor.errors import ConfigError, MissingDependency
from tutor.llm import load_language_model
from tutor.llm.fake import ScriptedModel


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")  # never read: constructors are cheap
    return path


@pytest.mark.parametrize("backend", ["transformers", "llamacpp", "openai", "nonsense"])
def test_fake_llm_is_the_scripted_model_whatever_the_backend(settings: Settings, backend: str):
    assert isinstance(load_language_model(settings.replace(llm_backend=backend)), ScriptedModel)


def test_unknown_backend_is_a_config_error(settings: Settings, gguf: Path):
    with pytest.raises(ConfigError, match="llm_backend 'vllm' is not one of"):
        load_language_model(settings.replace(llm=str(gguf), llm_backend="vllm"))


def test_transformers_gets_the_runtime_settings(
    settings: Settings, gguf: Path, monkeypatch: pytest.MonkeyPatch
):
    import tutor.llm.transformers_backend as backend

    seen: dict[str, Any] = {}

    def record(path: Path, **kwargs: Any) -> str:
        seen.update(kwargs, path=path)
        return "built"

    monkeypatch.setattr(backend, "TransformersModel", record)
    monkeypatch.setattr(tutor.llm, "require_transformers", lambda **kwargs: None)
    configured = settings.replace(
        llm=str(gguf), device="cpu", llm_quantize="int8", llm_max_batch=4, llm_threads=2
    )
    assert load_language_model(configured) == "built"
    assert seen == {
        "path": gguf,
        "cache_dir": settings.cache_dir / "llm",
        "device": "cpu",
        "quantize": "int8",
        "max_batch": 4,
        "threads": 2,
    }


def test_llamacpp_backend(settings: Settings, gguf: Path):
    configured = settings.replace(llm=str(gguf), llm_backend="llamacpp", llm_threads=3)
    if importlib.util.find_spec("llama_cpp") is None:
        with pytest.raises(MissingDependency, match=r"\[llamacpp\]"):
            load_language_model(configured)
        return
    from tutor.llm.llamacpp_backend import LlamaCppModel

    model = load_language_model(configured)
    assert isinstance(model, LlamaCppModel)
    assert model.path == gguf and model.threads == 3 and not model.is_loaded


def test_llamacpp_missing_names_the_extra(
    settings: Settings, gguf: Path, monkeypatch: pytest.MonkeyPatch
):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llama_cpp" else real(name)
    )
    with pytest.raises(MissingDependency, match=r"pip install '\.\[llamacpp\]'"):
        load_language_model(settings.replace(llm=str(gguf), llm_backend="llamacpp"))


def test_openai_backend_needs_no_model_file(settings: Settings):
    from tutor.llm.openai_backend import OpenAICompatibleModel

    configured = settings.replace(
        llm="smollm2-not-a-path",  # ignored by the openai backend
        llm_backend="openai",
        openai_base_url="http://gpu-server:8000/v1/",
        openai_model="Qwen/Qwen2.5-7B-Instruct",
        openai_api_key="sk-hidden",
        openai_timeout_s=12.5,
        openai_retries=4,
    )
    model = load_language_model(configured)
    assert isinstance(model, OpenAICompatibleModel)
    assert model.base_url == "http://gpu-server:8000/v1"
    assert model.model_id == "Qwen/Qwen2.5-7B-Instruct"
    assert model.timeout_s == 12.5 and model.retries == 4
    assert "sk-hidden" not in repr(model)


def test_openai_backend_needs_a_url(settings: Settings):
    with pytest.raises(ConfigError, match="openai_base_url"):
        load_language_model(settings.replace(llm="x", llm_backend="openai", openai_model="m"))
