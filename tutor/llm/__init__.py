"""Language-model backends: transformers, llama.cpp, an OpenAI-compatible server, and the fake.

Importing this package is cheap: torch, transformers, llama_cpp and httpx are imported only when a
real model is built and loaded.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from tutor.errors import ConfigError, MissingDependency

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import LanguageModel

INSTALL_HINT = "pip install 'torch==2.13.0' 'transformers>=4.50' 'gguf>=0.10' 'accelerate>=1.0'"
LLAMACPP_INSTALL_HINT = "pip install '.[llamacpp]'"
BACKENDS = ("transformers", "llamacpp", "openai")

__all__ = [
    "BACKENDS",
    "INSTALL_HINT",
    "LLAMACPP_INSTALL_HINT",
    "load_language_model",
    "require_transformers",
]


def require_transformers(*, gguf: bool = False) -> None:
    """Raise ``MissingDependency`` (with the install command) when the runtime is missing.

    Looks the packages up without importing them, so it costs milliseconds.
    """
    needed = ["torch", "transformers"] + (["gguf"] if gguf else [])
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependency(
            f"the language model needs {', '.join(missing)}, which is not installed; run "
            f'`{INSTALL_HINT}`, or set llm = "fake" to try the tutor without a model'
        )


def load_language_model(settings: Settings) -> LanguageModel:
    """Build (cheaply, without loading weights) the language model the settings name.

    ``llm = "fake"`` gives the scripted model whatever the backend. Otherwise
    ``llm_backend`` chooses the runtime:

    - ``"transformers"``: ``llm`` resolved by ``resolve_llm`` (the packaged SmolLM2 GGUF, a
      ``.gguf`` file or a Hugging Face folder), run with torch on ``device``;
    - ``"llamacpp"``: the same GGUF run by llama.cpp on the CPU (the ``llamacpp`` extra);
    - ``"openai"``: a remote OpenAI-compatible server at ``openai_base_url`` serving
      ``openai_model`` (``llm`` is ignored).

    Call ``warm_up()`` on the result to load it (or reach the server) before the first question.
    """
    if settings.llm == "fake":
        from tutor.llm.fake import ScriptedModel

        return ScriptedModel()

    backend = settings.llm_backend
    if backend == "openai":
        return _openai(settings)
    if backend not in BACKENDS:
        raise ConfigError(f"llm_backend {backend!r} is not one of {', '.join(BACKENDS)}")

    from tutor.model_paths import resolve_llm

    path = resolve_llm(settings.llm)
    if backend == "llamacpp":
        from tutor.llm.llamacpp_backend import LlamaCppModel

        return LlamaCppModel(path, threads=settings.llm_threads)

    require_transformers(gguf=path.suffix == ".gguf")
    from tutor.llm.transformers_backend import TransformersModel

    return TransformersModel(
        path,
        cache_dir=settings.cache_dir / "llm",
        device=settings.device,
        quantize=settings.llm_quantize,
        max_batch=settings.llm_max_batch,
        threads=settings.llm_threads,
    )


def _openai(settings: Settings) -> LanguageModel:
    from tutor.llm.openai_backend import OpenAICompatibleModel

    if not settings.openai_base_url:
        raise ConfigError(
            'llm_backend = "openai" needs openai_base_url, the server\'s API root '
            "(for example http://gpu-server:8000/v1)"
        )
    if not settings.openai_model:
        raise ConfigError(
            'llm_backend = "openai" needs openai_model, the model name the server serves '
            "(GET <openai_base_url>/models lists them)"
        )
    return OpenAICompatibleModel(
        settings.openai_base_url,
        settings.openai_model,
        api_key=settings.openai_api_key,
        timeout_s=settings.openai_timeout_s,
        retries=settings.openai_retries,
    )
