"""A chat model's tokenizer read with the tokenizers library and jinja2 alone.

The engine needs four things of a tokenizer: token ids for a text, text for token ids, the chat
template and the end-of-reply id. transformers' tokenizer classes do these by calling the Rust
``tokenizers.Tokenizer`` in ``tokenizer.json`` and rendering the template with jinja2, but
importing and building them costs about 0.6 s and 25 MB in ``tutor serve`` (the class
machinery, not the tokenizer). :func:`load` returns a :class:`ChatTokenizer` over the same Rust
tokenizer and the same template environment for the folders where that is all transformers
would do (a ``TokenizersBackend`` folder such as the tutor's converted model cache, with no
setting that changes encoding or decoding), and None for any other, which the caller loads
with transformers. ``tests/test_chat_tokenizer.py`` and ``tests/test_llm_batching.py`` check
ids, text and rendered templates against transformers'.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("bos_token", "eos_token", "unk_token", "pad_token")
# tokenizer_config.json keys that change nothing in encoding or decoding; any other key (added
# prefix spaces, BOS/EOS insertion, clean-up of spaces, ...) sends the folder to transformers.
_INERT_KEYS = frozenset(
    {
        *SPECIAL_TOKENS,
        "backend",
        "tokenizer_class",
        "is_local",
        "local_files_only",
        "model_max_length",
        "chat_template",
    }
)
# Model types whose folders transformers tokenizes with another class than the one they name
# (``MODELS_WITH_INCORRECT_HUB_TOKENIZER_CLASS``, which lists qwen2) are left to it: only these
# of the lean decoder's types are read here.
PLAIN_MODEL_TYPES = frozenset({"llama", "mistral", "qwen3"})


class ChatTokenizer:
    """Ids, text and chat template of a ``tokenizer.json`` folder, as transformers gives them."""

    def __init__(self, tokenizer: Any, specials: dict[str, str], chat_template: str | None):
        self._tokenizer = tokenizer
        self.special_tokens = specials
        self.chat_template = chat_template
        self._template = _compile(chat_template) if chat_template else None
        eos = specials.get("eos_token")
        self.eos_token_id: int | None = tokenizer.token_to_id(eos) if eos else None

    def __deepcopy__(self, memo: dict[int, Any]) -> ChatTokenizer:
        """A copy with its own Rust tokenizer (the engine's worker decodes with one)."""
        return ChatTokenizer(
            copy.deepcopy(self._tokenizer, memo), dict(self.special_tokens), self.chat_template
        )

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        ids: list[int] = self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids
        return ids

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens))

    def apply_chat_template(
        self,
        messages: Sequence[dict[str, str]],
        *,
        tokenize: bool = False,
        add_generation_prompt: bool = True,
    ) -> str | list[int]:
        if self._template is None:
            raise ValueError("this tokenizer has no chat template")
        text = self._template.render(
            messages=[dict(message) for message in messages],
            tools=None,
            documents=None,
            add_generation_prompt=add_generation_prompt,
            **self.special_tokens,
        )
        return self.encode(text) if tokenize else str(text)


def load(folder: Path) -> ChatTokenizer | None:
    """The folder's tokenizer without transformers, or None when transformers must load it."""
    try:
        settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        plain = (
            settings.get("tokenizer_class") == "TokenizersBackend"
            and set(settings) <= _INERT_KEYS
            and config.get("model_type") in PLAIN_MODEL_TYPES
            and "tokenizer_class" not in config
            and (folder / "tokenizer.json").is_file()
        )
        if not plain:
            return None
        specials = {key: _content(settings[key]) for key in SPECIAL_TOKENS if settings.get(key)}
        template_file = folder / "chat_template.jinja"
        template = (
            template_file.read_text(encoding="utf-8")
            if template_file.is_file()
            else settings.get("chat_template")
        )
        if template is not None and not isinstance(template, str):
            return None  # several named templates: transformers chooses among them
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_truncation()  # transformers sets both off for a call without them
        tokenizer.no_padding()
        return ChatTokenizer(tokenizer, specials, template)
    except Exception as exc:  # unreadable or unexpected: transformers decides
        logger.info("the tokenizer in %s is loaded through transformers (%s)", folder, exc)
        return None


def _content(token: Any) -> str:
    return str(token["content"]) if isinstance(token, dict) else str(token)


def _compile(source: str) -> Any:
    """The template in the environment transformers renders chat templates in: a sandbox that
    trims blocks, with loop controls, a ``tojson`` that keeps non-ASCII text, and the
    ``raise_exception`` and ``strftime_now`` helpers templates call."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        value: Any,
        ensure_ascii: bool = False,
        indent: int | None = None,
        separators: tuple[str, str] | None = None,
        sort_keys: bool = False,
    ) -> str:
        return json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            indent=indent,
            separators=separators,
            sort_keys=sort_keys,
        )

    def strftime_now(pattern: str) -> str:
        return datetime.now().strftime(pattern)

    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.filters["tojson"] = tojson
    environment.globals["raise_exception"] = raise_exception
    environment.globals["strftime_now"] = strftime_now
    return environment.from_string(source)
