"""A BERT folder's WordPiece tokenizer read with the tokenizers library alone.

transformers' ``BertTokenizer`` (the fast one) runs the Rust tokenizer of ``tokenizer.json`` with
padding and truncation set per call; importing and building it costs about 0.6 s in
``tutor serve`` (with the chat model's tokenizer, which needs the same machinery). For a plain
BERT folder, :func:`load` returns a :class:`WordPieceTokenizer` that sets the same padding and
truncation on the same Rust tokenizer; any folder with something else in its tokenizer (another
model, extra words never to split, settings that differ from ``tokenizer.json``) gets None and
the caller loads it with transformers. ``tests/test_st_folder.py`` checks the ids against
transformers'.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# tokenizer_config.json keys a plain BERT folder has; anything else sends it to transformers.
_KNOWN_KEYS = frozenset(
    {
        "do_lower_case",
        "do_basic_tokenize",
        "never_split",
        "tokenize_chinese_chars",
        "strip_accents",
        "unk_token",
        "sep_token",
        "pad_token",
        "cls_token",
        "mask_token",
        "tokenizer_class",
        "model_max_length",
        "name_or_path",
        "special_tokens_map_file",
        "clean_up_tokenization_spaces",  # decoding only, which embedding never does
    }
)


class WordPieceTokenizer:
    """Token counts and padded, truncated model inputs, as transformers' BERT tokenizer gives.

    Padding and truncation live on the one Rust object and each call sets them, so callers
    serialise calls (``st_folder.FolderEncoder`` holds a lock around them).
    """

    def __init__(self, tokenizer: Any, pad_token: str) -> None:
        self._tokenizer = tokenizer
        self._pad_token = pad_token
        pad_id = tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise ValueError(f"the padding token {pad_token!r} is not in the vocabulary")
        self._pad_id = int(pad_id)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without [CLS] and [SEP], untruncated."""
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def features(self, texts: Sequence[str], max_length: int) -> dict[str, Any]:
        """``input_ids``, ``token_type_ids`` and ``attention_mask`` as int64 tensors: each text
        cut to ``max_length`` tokens, [CLS] and [SEP] included, and padded on the right to the
        longest in the batch."""
        import torch

        self._tokenizer.enable_truncation(max_length, strategy="longest_first")
        self._tokenizer.enable_padding(
            direction="right", pad_id=self._pad_id, pad_type_id=0, pad_token=self._pad_token
        )
        encodings = self._tokenizer.encode_batch(list(texts))
        return {
            "input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
            "token_type_ids": torch.tensor([e.type_ids for e in encodings], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long),
        }


def load(folder: Path) -> WordPieceTokenizer | None:
    """The folder's BERT tokenizer without transformers, or None when transformers must load it."""
    try:
        settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        if not _plain(settings, spec):
            return None
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        return WordPieceTokenizer(tokenizer, str(settings.get("pad_token", "[PAD]")))
    except Exception as exc:  # unreadable or unexpected: transformers decides
        logger.info("the tokenizer in %s is loaded through transformers (%s)", folder, exc)
        return None


def _plain(settings: dict[str, Any], spec: dict[str, Any]) -> bool:
    """A WordPiece tokenizer whose ``tokenizer.json`` already does what the config asks."""
    normalizer = spec.get("normalizer") or {}
    processor = (spec.get("post_processor") or {}).get("type")
    special = [settings.get(key) for key in ("unk_token", "sep_token", "pad_token", "cls_token")]
    return (
        settings.get("tokenizer_class") in {"BertTokenizer", "BertTokenizerFast"}
        and set(settings) <= _KNOWN_KEYS
        and all(token is None or isinstance(token, str) for token in special)
        and not settings.get("never_split")
        and settings.get("do_basic_tokenize", True) is True
        and (spec.get("model") or {}).get("type") == "WordPiece"
        and (spec.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
        and processor in {"TemplateProcessing", "BertProcessing"}
        and normalizer.get("type") == "BertNormalizer"
        and normalizer.get("lowercase") == settings.get("do_lower_case", True)
        and normalizer.get("strip_accents") == settings.get("strip_accents")
        and normalizer.get("handle_chinese_chars") == settings.get("tokenize_chinese_chars", True)
    )
