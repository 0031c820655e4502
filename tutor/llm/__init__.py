"""Language-model backends: the transformers runner and the scripted fake.

Importing this package is cheap: torch and transformers are imported only when a real model is
built and loaded.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from tutor.errors import MissingDependency

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.protocols import LanguageModel

INSTALL_HINT = "pip install 'torch==2.13.0' 'transformers>=4.50' 'gguf>=0.10' 'accelerate>=1.0'"

__all__ = ["INSTALL_HINT", "load_language_model", "require_transformers"]


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

    ``"fake"`` gives the scripted model; anything else is resolved by ``resolve_llm`` (the
    packaged SmolLM2 GGUF, a ``.gguf`` file or a Hugging Face folder) and run with transformers.
    Call ``warm_up()`` on the result to load it before the first question.
    """
    if settings.llm == "fake":
        from tutor.llm.fake import ScriptedModel

        return ScriptedModel()

    from tutor.model_paths import resolve_llm

    path = resolve_llm(settings.llm)
    require_transformers(gguf=path.suffix == ".gguf")
    from tutor.llm.transformers_backend import TransformersModel

    return TransformersModel(path, cache_dir=settings.cache_dir / "llm", device=settings.device)
