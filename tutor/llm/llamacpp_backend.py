"""Run a GGUF language model on the CPU with llama.cpp (the optional ``llamacpp`` extra).

The constructor only records where the model is; the file is mapped on ``warm_up()`` or first use
(well under a second for SmolLM2, with no conversion step). Generation is greedy (temperature 0)
with a repeat penalty of 1.1, like the transformers backend, and the chat template is the one the
GGUF file carries. llama.cpp's penalty looks back over the last 64 tokens while transformers'
looks at the whole sequence, so the two backends can word long answers differently.

One ``Llama`` object holds one KV cache and is not thread-safe, so generations are serialised by
a lock: concurrent chats wait their turn (for parallel decoding, run a server such as vLLM or
``llama.cpp``'s own and use the ``openai`` backend). The lock is taken when the reply's iterator is
first read and released when it ends or is closed. Tokenizing reads only the vocabulary and
needs no lock.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tutor.errors import ConfigError, MissingDependency, ModelError

logger = logging.getLogger(__name__)

REPEAT_PENALTY = 1.1  # the transformers backend's repetition_penalty
DEFAULT_CONTEXT_WINDOW = 2048


def require_llama_cpp() -> None:
    """Raise ``MissingDependency`` with the install command when llama_cpp is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        from tutor.llm import LLAMACPP_INSTALL_HINT

        raise MissingDependency(
            "the llama.cpp backend needs llama-cpp-python, which is not installed; run "
            f'`{LLAMACPP_INSTALL_HINT}`, or set llm_backend = "transformers"'
        )


class LlamaCppModel:
    """A ``LanguageModel`` backed by ``llama_cpp.Llama`` on a GGUF file."""

    def __init__(
        self,
        path: Path,
        *,
        context_window: int = DEFAULT_CONTEXT_WINDOW,
        threads: int = 0,
    ) -> None:
        path = Path(path)
        if path.suffix.lower() != ".gguf":
            raise ConfigError(
                f"the llama.cpp backend reads .gguf files; {path} is not one "
                '(use llm_backend = "transformers" for a Hugging Face folder)'
            )
        if context_window < 2:
            raise ConfigError(f"context_window must be at least 2, not {context_window}")
        if threads < 0:
            raise ConfigError(
                f"llm_threads must be 0 (the library's default) or more, not {threads}"
            )
        require_llama_cpp()
        self.path = path
        self.model_id = path.stem
        self.context_window = context_window
        self.threads = threads
        self.load_seconds: float | None = None
        self._load_lock = threading.Lock()
        self._lock = threading.Lock()  # one generation at a time on the one Llama object
        self._llama: Any = None
        self._formatter: Any = None

    def __repr__(self) -> str:
        state = "loaded" if self._llama is not None else "not loaded"
        return f"LlamaCppModel({str(self.path)!r}, threads={self.threads}, {state})"

    # ---- loading -------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self._llama is not None

    def warm_up(self) -> None:
        """Load the model now (idempotent, thread-safe)."""
        if self._llama is not None:
            return
        with self._load_lock:
            if self._llama is not None:
                return
            if not self.path.is_file():
                raise ConfigError(f"the language model {self.path} does not exist")
            start = time.perf_counter()
            try:
                self._load()
            except (MissingDependency, ConfigError, ModelError):
                raise
            except Exception as exc:
                raise ModelError(f"could not load the language model {self.path}: {exc}") from exc
            self.load_seconds = time.perf_counter() - start
            logger.info(
                "language model %s loaded by llama.cpp in %.2f s (threads %s)",
                self.model_id,
                self.load_seconds,
                self.threads or "default",
            )

    def _load(self) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            from tutor.llm import LLAMACPP_INSTALL_HINT

            raise MissingDependency(
                f"the llama.cpp backend needs llama-cpp-python ({exc}); run "
                f"`{LLAMACPP_INSTALL_HINT}`"
            ) from exc
        llama = Llama(
            str(self.path),
            n_ctx=self.context_window,
            n_threads=self.threads or None,
            n_threads_batch=self.threads or None,
            verbose=False,
        )
        template = llama.metadata.get("tokenizer.chat_template")
        if template:
            # The same template Llama's chat handler renders, kept to count prompt tokens.
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=_token_text(llama, llama.token_eos()),
                bos_token=_token_text(llama, llama.token_bos()),
            )
        else:
            logger.warning(
                "%s carries no chat template; llama.cpp falls back to %s",
                self.path.name,
                llama.chat_format,
            )
        self._llama = llama  # last: publishes the loaded state to lock-free readers

    def close(self) -> None:
        """Free the model's memory; a later call loads it again."""
        with self._lock, self._load_lock:
            llama, self._llama = self._llama, None
            if llama is not None:
                llama.close()

    # ---- tokens ------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's tokenizer (no BOS, special tokens not parsed)."""
        self.warm_up()
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def render_prompt(self, messages: Sequence[dict[str, str]]) -> str:
        """The text the model reads: the GGUF's chat template with the assistant turn opened."""
        self.warm_up()
        chat = [{"role": m["role"], "content": m["content"]} for m in messages]
        if self._formatter is not None:
            return str(self._formatter(messages=chat).prompt)
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in chat]
        return "\n\n".join([*lines, "Assistant:"])

    def count_prompt_tokens(self, messages: Sequence[dict[str, str]]) -> int:
        """Tokens the rendered prompt of ``messages`` takes, template included."""
        text = self.render_prompt(messages)
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # ---- generation --------------------------------------------------------------------

    def stream(
        self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256
    ) -> Iterator[str]:
        """Check the prompt fits, then return an iterator over the reply's text pieces.

        Loading and the length check happen now; generation starts (and the model's lock is
        taken) when the iterator is first read, and stops when it is closed or ends.
        """
        if max_new_tokens < 1:
            raise ModelError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        prompt_tokens = self.count_prompt_tokens(messages)
        room = self.context_window - max_new_tokens
        if prompt_tokens > room:
            raise ModelError(
                f"the prompt is {prompt_tokens} tokens but {self.model_id} reads at most {room} "
                f"before a {max_new_tokens}-token reply (context window {self.context_window}); "
                "shorten the sources or the history"
            )
        chat = [{"role": m["role"], "content": m["content"]} for m in messages]
        return self._generate(chat, min(max_new_tokens, self.context_window - prompt_tokens))

    def _generate(self, chat: list[dict[str, str]], max_new_tokens: int) -> Iterator[str]:
        with self._lock:
            llama = self._llama
            if llama is None:  # closed after stream() was called
                raise ModelError(f"the language model {self.model_id} was closed")
            try:
                chunks = llama.create_chat_completion(
                    messages=chat,
                    max_tokens=max_new_tokens,
                    temperature=0.0,
                    repeat_penalty=REPEAT_PENALTY,
                    stream=True,
                )
            except Exception as exc:
                raise ModelError(f"the language model failed while answering: {exc}") from exc
            try:
                while True:
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        return
                    except Exception as exc:
                        raise ModelError(
                            f"the language model failed while answering: {exc}"
                        ) from exc
                    choices = chunk.get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        yield text
            finally:
                chunks.close()  # a consumer that left early stops the generation here


def _token_text(llama: Any, token: int) -> str:
    if token < 0:
        return ""
    return bytes(llama.detokenize([token], special=True)).decode("utf-8", errors="ignore")
