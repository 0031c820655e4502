"""Configuration: defaults, then ``tutor.toml``, then ``TUTOR_*`` environment variables.

A ``Settings`` object is built once at the edge (CLI, app) and passed down; nothing reads the
environment later.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tutor.accounts.settings import AccountSettings
from tutor.errors import ConfigError

DEFAULT_LLM = "smollm2"
# TUTOR_* variables that are not settings: read elsewhere (logging, benchmarks) or by this module.
NOT_SETTINGS = frozenset(
    {"TUTOR_CONFIG", "TUTOR_LOG_LEVEL", "TUTOR_SHARED_DATA", "TUTOR_EVAL_PASSWORD"}
)
DEFAULT_EMBEDDER = "all-minilm-l6-v2"


@dataclass(frozen=True)
class IngestLimits:
    """Per-file limits sized for course material; larger input is skipped or truncated."""

    max_file_bytes: int = 50_000_000  # files larger than this are skipped unread
    max_text_chars: int = 3_000_000  # extracted text beyond this is truncated
    max_inflated_bytes: int = 100_000_000  # total uncompressed size allowed inside a .docx
    max_pdf_pages: int = 2_000


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path.home() / ".tutor")
    llm: str = DEFAULT_LLM  # "smollm2", a local HF folder, a .gguf file, or "fake"
    embedder: str = (
        DEFAULT_EMBEDDER  # "all-minilm-l6-v2", a sentence-transformers folder, "hashing"
    )
    device: str = "auto"  # "auto", "cpu" or "cuda"
    # Which runtime answers: "transformers" (default; CPU or CUDA), "llamacpp" (GGUF on CPU,
    # optional extra) or "openai" (any OpenAI-compatible server: vLLM, llama.cpp server, Ollama).
    llm_backend: str = "transformers"
    # transformers weights: "auto" (int8 on CPU, bf16 on CUDA), "none" (float32), "int8" (CPU,
    # 2.5x faster decoding than float32, slightly different replies) or "bf16"
    llm_quantize: str = "auto"
    llm_max_batch: int = 8  # transformers: concurrent chats decoded together in one forward pass
    # CPU threads for the model; 0 = transformers: all cores but one; llama.cpp: its own default
    llm_threads: int = 0
    openai_base_url: str = ""  # e.g. http://gpu-server:8000/v1
    openai_model: str = ""  # the model name the server knows
    openai_api_key: str = ""  # sent as a bearer token when set (prefer TUTOR_OPENAI_API_KEY)
    openai_timeout_s: float = 60.0  # per request: connecting and between streamed pieces
    openai_retries: int = 2  # retries with exponential backoff before the first token
    chunk_tokens: int = 180
    chunk_overlap: int = 30
    top_k: int = 4
    candidates: int = 20  # per ranker, before fusion
    min_relevance: float = 0.30  # best dense cosine below this: "not covered"
    hnsw_threshold: int = 50_000  # exact search below this many chunks, HNSW from here on
    max_new_tokens: int = 256
    memory_turns: int = 4
    memory_tokens: int = 600
    max_question_chars: int = 2_000  # longer messages are cut, with a notice, before any check
    safety_filter: str = "layered"  # "layered" (rules, redaction, classifier) or "blocklist" (fake)
    safety_timeout_s: float = 5.0  # a safety check slower than this fails closed
    helpline_country: str = "international"  # ISO code with a table entry (GB, US, DE...)
    helpline_text: str = ""  # replaces the helpline table's text when set
    host: str = "127.0.0.1"
    port: int = 7860
    queue_concurrency: int = 8  # answers generated at once by the server (chat and /api/ask)
    queue_max_size: int = 32  # questions waiting beyond that get "busy, try again"
    default_course: str = "sample"
    limits: IngestLimits = field(default_factory=IngestLimits)
    accounts: AccountSettings = field(default_factory=AccountSettings)  # [tutor.accounts]

    @property
    def courses_dir(self) -> Path:
        return self.home / "courses"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, value: Any, target: Any) -> Any:
    """Convert a TOML or environment value to the type of the default ``target``."""
    try:
        if isinstance(target, bool):
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if isinstance(target, Path):
            return Path(value).expanduser()
        if isinstance(target, int):
            return int(value)
        if isinstance(target, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {value!r} ({exc})") from exc


def _apply(base: Any, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(base)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} in {where}; known: {', '.join(known)}")
        current = getattr(base, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"setting {key!r} in {where} must be a table")
            changes[key] = _apply(current, value, f"{where} [{key}]")
        else:
            changes[key] = _coerce(key, value, current)
    return dataclasses.replace(base, **changes)


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from defaults, a TOML file, ``TUTOR_*`` variables and explicit overrides.

    The TOML file is ``config_file``, else ``$TUTOR_CONFIG``, else ``./tutor.toml`` if present.
    Nested limits can be set in the environment as ``TUTOR_LIMITS__MAX_FILE_BYTES``.
    """
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    path = config_file or (Path(env["TUTOR_CONFIG"]) if env.get("TUTOR_CONFIG") else None)
    if path is None and Path("tutor.toml").is_file():
        path = Path("tutor.toml")
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from exc
        settings = _apply(settings, data.get("tutor", data), str(path))

    from_env: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith("TUTOR_") or key in NOT_SETTINGS:
            continue
        name = key[len("TUTOR_") :].lower()
        if "__" in name:
            outer, inner = name.split("__", 1)
            from_env.setdefault(outer, {})[inner] = value
        else:
            from_env[name] = value
    settings = _apply(settings, from_env, "the environment")
    clean = {k: v for k, v in overrides.items() if v is not None}
    return _apply(settings, clean, "the command line") if clean else settings
