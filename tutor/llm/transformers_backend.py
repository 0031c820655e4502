"""Run a local causal language model with Hugging Face transformers.

The constructor only records where the model is; weights load on ``warm_up()`` or first use.
A GGUF file is dequantized by transformers on its first load (slow, about 15 s for SmolLM2 on two
cores) and the result is cached as a plain safetensors folder under ``cache_dir``, keyed by the
file's size, modification time and a hash of its first and last megabyte, so later starts load in
a couple of seconds.

Generation runs in :mod:`tutor.llm.engine`: one worker thread owns the model and decodes every
running chat in one batched forward pass per token (greedy, with a lean loop instead of
``generate``). ``quantize`` picks the weight format (:mod:`tutor.llm.quantize`): by default
float32 on the CPU (int8 on request) and bfloat16 on CUDA. Each ``stream`` call gets its own
queue of text pieces; a consumer that stops reading cancels its request and frees its slot.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.errors import ConfigError, MissingDependency, ModelError
from tutor.llm.quantize import apply_quantization, check_quantize, resolve_quantization

if TYPE_CHECKING:
    import torch

    from tutor.llm.engine import Engine

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
REPETITION_PENALTY = 1.1
CACHE_FORMAT = "1"  # bump to invalidate every converted cache
_EDGE_BYTES = 1 << 20


def gguf_cache_key(path: Path) -> str:
    """A short key for a GGUF file: size, mtime and the SHA-256 of its first and last MiB.

    Cheap (reads at most 2 MiB) yet changes when the file is replaced or edited in place.
    """
    stat = path.stat()
    digest = hashlib.sha256(f"{CACHE_FORMAT}:{stat.st_size}:{stat.st_mtime_ns}:".encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_EDGE_BYTES))
        if stat.st_size > _EDGE_BYTES:
            handle.seek(max(_EDGE_BYTES, stat.st_size - _EDGE_BYTES))
            digest.update(handle.read(_EDGE_BYTES))
    return digest.hexdigest()[:16]


def default_threads() -> int:
    """CPU threads for the generation worker when ``llm_threads`` is 0: all cores but one.

    The spare core serves retrieval, the safety filters and the web server of the same
    process; without it, a two-thread pool waits at every operator for a worker another job
    has descheduled (on the 2-core build machine under load: decode 47 tokens/s with one thread
    against 37 with two, time to first token 0.82 s against 0.97 s).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def folder_cache_key(folder: Path) -> str:
    """A short key for a model folder: its path and its files' names, sizes and mtimes."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}:{folder.resolve()}".encode())
    for item in sorted(folder.iterdir()):
        if item.is_file():
            stat = item.stat()
            digest.update(f"{item.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def _import_torch() -> Any:
    """torch, once transformers is known to be installed too (looked up, not imported: a start
    from the int8 cache never imports it, see standalone.py and chat_tokenizer.py)."""
    try:
        import torch

        if importlib.util.find_spec("transformers") is None:
            raise ImportError("transformers is missing", name="transformers")
    except ImportError as exc:
        from tutor.llm import INSTALL_HINT

        raise MissingDependency(
            f"the language model needs torch and transformers ({exc.name} is missing); "
            f"run `{INSTALL_HINT}`"
        ) from exc
    return torch


class TransformersModel:
    """A ``LanguageModel`` backed by a transformers causal LM (a GGUF file or an HF folder)."""

    def __init__(
        self,
        path: Path,
        *,
        cache_dir: Path,
        device: str = "auto",
        context_window: int = 2048,
        quantize: str = "auto",
        max_batch: int = 8,
        threads: int = 0,
    ) -> None:
        path = Path(path)
        if device not in DEVICES:
            raise ConfigError(f"device {device!r} is not one of {', '.join(DEVICES)}")
        if context_window < 2:
            raise ConfigError(f"context_window must be at least 2, not {context_window}")
        check_quantize(quantize)
        if max_batch < 1:
            raise ConfigError(f"llm max_batch must be at least 1, not {max_batch}")
        if threads < 0:
            raise ConfigError(f"llm threads must be 0 (automatic) or more, not {threads}")
        self.path = path
        self.is_gguf = path.suffix == ".gguf"
        self.model_id = path.stem if self.is_gguf else path.name
        self.cache_dir = Path(cache_dir)
        self.device_setting = device
        self.context_window = context_window
        self.quantize_setting = quantize
        self.max_batch = max_batch
        self.threads = threads
        self.loaded_from_cache: bool | None = None  # set by a GGUF load: True when the cache served
        self.cache_path: Path | None = None  # the converted folder of a GGUF model, once known
        self.load_seconds: float | None = None
        self.device: str | None = None  # the device in use, once loaded
        self._quantization: str | None = None  # the weight format in effect, once loaded
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()  # a Rust tokenizer is not safe across threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._engine: Engine | None = None

    def __repr__(self) -> str:
        state = "loaded" if self._model is not None else "not loaded"
        return (
            f"TransformersModel({str(self.path)!r}, device={self.device_setting!r}, "
            f"quantize={self.quantize_setting!r}, {state})"
        )

    @property
    def quantization(self) -> str | None:
        """The weight format in effect ("int8", "bf16" or "fp32"); None until loaded."""
        return self._quantization

    # ---- loading -------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def warm_up(self) -> None:
        """Load the tokenizer and weights now (idempotent, thread-safe)."""
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            start = time.perf_counter()
            try:
                self._load()
            except (MissingDependency, ConfigError, ModelError):
                raise
            except Exception as exc:
                raise ModelError(f"could not load the language model {self.path}: {exc}") from exc
            self.load_seconds = time.perf_counter() - start
            logger.info(
                "language model %s loaded on %s in %.1f s (from cache: %s)",
                self.model_id,
                self.device,
                self.load_seconds,
                self.loaded_from_cache,
            )

    def _load(self) -> None:
        torch = _import_torch()
        if not self.path.exists():
            raise ConfigError(f"the language model {self.path} does not exist")
        if self.device_setting == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            device = self.device_setting
        if device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device 'cuda' was asked for but torch sees no CUDA device")
        quantization = resolve_quantization(self.quantize_setting, device)
        if self.threads > 0:
            torch.set_num_threads(self.threads)  # the loading thread; the worker sets its own

        dtype = torch.bfloat16 if quantization == "bf16" else torch.float32
        from tutor.llm import int8_cache

        int8_files = self._int8_cache_files() if quantization == "int8" else None
        loaded = self._load_int8_cache(*int8_files) if int8_files is not None else None
        if loaded is not None:
            model, tokenizer = loaded
        else:
            if self.is_gguf:
                model, tokenizer = self._load_gguf(dtype)
            else:
                model, tokenizer = self._load_folder(self.path, dtype)
            model.to(device)
            model.eval()
            model = apply_quantization(model, quantization, tokenizer)  # int8: new linear layers
            if int8_files is not None and int8_cache.save(model, int8_files[1]):
                logger.info("int8 weights cached in %s", int8_files[1])

        from tutor.llm.engine import Engine

        engine = Engine(
            model,
            copy.deepcopy(tokenizer),  # the worker decodes while callers encode
            device=device,
            max_batch=self.max_batch,
            max_length=self.context_window,
            eos_token_ids=_eos_token_ids(model, tokenizer),
            repetition_penalty=REPETITION_PENALTY,
            name=self.model_id,
            threads=(self.threads or default_threads()) if device == "cpu" else 0,
        )
        try:
            engine.warm_up()
        except Exception:
            engine.close()
            raise
        self._tokenizer = tokenizer
        self.device = device
        self._quantization = quantization
        self._engine = engine
        self._model = model  # last: publishes the loaded state to lock-free readers

    def close(self) -> None:
        """Stop the generation worker (running replies end with ``ModelError``)."""
        if self._engine is not None:
            self._engine.close()

    def _converted_folder(self) -> Path:
        """The converted model's folder for a GGUF file (its key is read once per model)."""
        if self.cache_path is None:
            self.cache_path = self.cache_dir / f"{self.path.stem}-{gguf_cache_key(self.path)}"
        return self.cache_path

    def _int8_cache_files(self) -> tuple[Path, Path]:
        """(folder with the model's config and tokenizer, the int8 cache file for it)."""
        from tutor.llm import int8_cache

        if self.is_gguf:
            folder = self._converted_folder()
            return folder, folder / int8_cache.file_name()
        folder = self.cache_dir / f"{self.path.name}-{folder_cache_key(self.path)}"
        return self.path, folder / int8_cache.file_name()

    def _load_int8_cache(self, config_folder: Path, source: Path) -> tuple[Any, Any] | None:
        """The int8 model and tokenizer from a previous start's cache, or None."""
        from tutor.llm import int8_cache

        if not (source.is_file() and (config_folder / "config.json").is_file()):
            return None
        from tutor.llm import standalone

        # The engine's lean forward needs no transformers model code (see standalone.py).
        model: Any = standalone.load(config_folder, source)
        if model is None:
            model = int8_cache.load(config_folder, source)
        if model is None:
            return None
        self.loaded_from_cache = True
        from tutor.llm import chat_tokenizer

        # Without transformers' tokenizer classes where they would add nothing (chat_tokenizer.py)
        tokenizer = chat_tokenizer.load(config_folder)
        return model, tokenizer if tokenizer is not None else load_tokenizer(config_folder)

    @staticmethod
    def _load_folder(folder: Path, dtype: torch.dtype) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype)
        return model, tokenizer

    def _load_gguf(self, dtype: torch.dtype) -> tuple[Any, Any]:
        converted = self._converted_folder()
        if converted.is_dir():
            try:
                loaded = self._load_folder(converted, dtype)
            except Exception as exc:  # a damaged cache is rebuilt, not fatal
                logger.warning(
                    "the converted model cache %s could not be loaded (%s); rebuilding it",
                    converted,
                    exc,
                )
                shutil.rmtree(converted, ignore_errors=True)
            else:
                self.loaded_from_cache = True
                return loaded

        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        logger.info("converting %s from GGUF (first start only)", self.path.name)
        folder, name = self.path.parent, self.path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        # Dequantize in float32 so the cache serves CPU and GPU alike; cast after loading.
        model: Any = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32
        )
        self.loaded_from_cache = False
        self._save_cache(model, tokenizer, converted)
        if dtype != torch.float32:
            model.to(dtype)
        return model, tokenizer

    @staticmethod
    def _save_cache(model: Any, tokenizer: Any, target: Path) -> None:
        """Save the dequantized model atomically: a temp folder renamed into place."""
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            packed = [m for m in model.modules() if type(m).__name__.startswith("Gguf")]
            if packed:
                logger.warning(
                    "the GGUF weights stayed packed (%d modules); the converted cache is skipped",
                    len(packed),
                )
                return
            # Every weight is a plain tensor already: drop the GGUF marker so it saves.
            quantizer.remove_quantization_config(model)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        except OSError as exc:
            logger.warning("cannot write the model cache under %s: %s", target.parent, exc)
            return
        try:
            model.save_pretrained(temp)
            tokenizer.save_pretrained(temp)
            os.replace(temp, target)
        except OSError as exc:
            if target.is_dir():  # another process won the race; its copy is as good
                logger.info("model cache %s was written by another process", target)
            else:
                logger.warning("could not write the model cache %s: %s", target, exc)
        finally:
            shutil.rmtree(temp, ignore_errors=True)

    # ---- tokens ------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's tokenizer (special tokens excluded)."""
        self.warm_up()
        with self._tokenizer_lock:
            return len(self._tokenizer.encode(text, add_special_tokens=False))

    def render_prompt(self, messages: Sequence[dict[str, str]]) -> str:
        """The exact text the model reads: the chat template with the assistant turn opened."""
        self.warm_up()
        tokenizer = self._tokenizer
        chat = [{"role": m["role"], "content": m["content"]} for m in messages]
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
            return str(text)
        # A base model without a template: a plain transcript ending with the assistant's cue.
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in chat]
        return "\n\n".join([*lines, "Assistant:"])

    def count_prompt_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        """Tokens the rendered prompt of ``messages`` takes, template included."""
        return len(self._encode(messages))

    def _encode(self, messages: Sequence[dict[str, str]]) -> list[int]:
        text = self.render_prompt(messages)
        with self._tokenizer_lock:
            ids: list[int] = self._tokenizer.encode(text, add_special_tokens=False)
        return ids

    # ---- generation --------------------------------------------------------------------

    def stream(
        self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256
    ) -> Iterator[str]:
        """Check the prompt fits, queue the request, and return an iterator over the reply.

        Loading and the length check happen now, and the request joins the running batch at
        the engine's next step. Closing (or dropping) the iterator cancels the request.
        """
        if max_new_tokens < 1:
            raise ModelError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        ids = self._encode(messages)
        room = self.context_window - max_new_tokens
        if len(ids) > room:
            raise ModelError(
                f"the prompt is {len(ids)} tokens but {self.model_id} reads at most {room} "
                f"before a {max_new_tokens}-token reply (context window {self.context_window}); "
                "shorten the sources or the history"
            )
        if not ids:
            raise ModelError("the prompt is empty")
        new_tokens = min(max_new_tokens, self.context_window - len(ids))
        assert self._engine is not None
        return self._engine.submit(ids, new_tokens)


def load_tokenizer(folder: Path) -> Any:
    """``AutoTokenizer.from_pretrained(folder)``, without loading the model's config class when
    the folder names the generic tokenizers backend.

    ``AutoTokenizer`` reads the model config to choose a tokenizer class, and importing a config
    class such as ``LlamaConfig`` pulls in transformers' model-loading machinery (0.75 s and
    53 MB here). When ``tokenizer_config.json`` names ``TokenizersBackend`` (as a converted
    model's does) and the model type is not one transformers overrides, ``AutoTokenizer`` ends
    in that class anyway, so it is loaded directly; otherwise ``AutoTokenizer`` decides.
    """
    from transformers import AutoTokenizer

    try:
        settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AutoTokenizer.from_pretrained(folder)
    from transformers.models.auto import tokenization_auto

    generic = (
        settings.get("tokenizer_class") == "TokenizersBackend"
        and "auto_map" not in settings
        and (folder / "tokenizer.json").is_file()
        and config.get("model_type")
        not in tokenization_auto.MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS
        and "tokenizer_class" not in config
    )
    if not generic:
        return AutoTokenizer.from_pretrained(folder)
    return tokenization_auto.TokenizersBackend.from_pretrained(folder)


def _eos_token_ids(model: Any, tokenizer: Any) -> list[int]:
    """The ids that end a reply: the generation config's, else the tokenizer's end token."""
    eos = model.generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    if eos is None:
        return []
    return [int(e) for e in eos] if isinstance(eos, list | tuple) else [int(eos)]
