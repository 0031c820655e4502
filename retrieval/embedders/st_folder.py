"""A sentence-transformers folder read without importing the sentence-transformers library.

Most sentence-transformers models, all-MiniLM-L6-v2 among them, are three modules listed in the
folder's ``modules.json``: a transformers encoder, a pooling of its token vectors (mean or
first token) and, optionally, a normalisation. :func:`load` runs exactly that with torch (a
BERT encoder through ``lean_bert``, a plain BERT tokenizer through ``bert_tokenizer``, anything
else through transformers); importing the library itself also pulls in scikit-learn, pandas
and more (about 0.9 s and 80 MB in ``tutor serve`` here). The arithmetic
is the library's: the same tokenizer settings, the same model class, batches ordered by text
length as it orders them, the same pooling and normalisation, so the vectors are equal to its
``encode`` (``tests/test_st_folder.py`` checks them against it). A folder with anything else in
it (dense layers, other poolings, prompts, custom code) returns None, and the caller uses the
library.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedders import bert_tokenizer, lean_bert

logger = logging.getLogger(__name__)

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"


class FolderEncoder:
    """Encoder, tokenizer and pooling of a plain sentence-transformers folder."""

    def __init__(
        self, model: Any, tokenizer: Any, *, pooling: str, normalize: bool, max_seq_length: int
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.max_seq_length = max_seq_length
        self.device = model.device
        # A fast tokenizer's padding and truncation settings live on one Rust object that
        # every call reconfigures: two threads at once can fail with "Already borrowed".
        self._tokenizer_lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` without the special ones (chunk sizes are measured in these)."""
        with self._tokenizer_lock:
            return int(self.tokenizer.count_tokens(text))

    def get_embedding_dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Unit vectors for ``texts`` (float32, one row per text, in the given order)."""
        import torch

        order = np.argsort([-len(text) for text in texts])  # longest first, as the library
        rows: list[torch.Tensor] = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = [texts[i] for i in order[start : start + batch_size]]
                rows.extend(self._encode_batch(batch))
        vectors = torch.stack([rows[i] for i in np.argsort(order)]) if rows else None
        if vectors is None:
            return np.zeros((0, self.get_embedding_dimension()), dtype=np.float32)
        return np.ascontiguousarray(vectors.float().numpy(), dtype=np.float32)

    def _encode_batch(self, texts: list[str]) -> list[Any]:
        import torch
        import torch.nn.functional as F

        with self._tokenizer_lock:
            features = self.tokenizer.features(texts, self.max_seq_length)
        features = {key: value.to(self.device) for key, value in features.items()}
        tokens = self.model(**features, return_dict=True).last_hidden_state
        mask = features["attention_mask"]
        if self.pooling == "cls":
            pooled = tokens[:, 0]
        else:
            weights = mask.unsqueeze(-1).to(tokens.dtype)
            wide = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else None
            total = (tokens * weights).sum(dim=1, dtype=wide or tokens.dtype)
            count = torch.clamp(weights.sum(dim=1, dtype=wide or tokens.dtype), min=1e-9)
            pooled = (total / count).to(tokens.dtype)
        if self.normalize:  # the folder's Normalize module
            pooled = F.normalize(pooled, p=2, dim=-1)
        pooled = F.normalize(pooled, p=2, dim=1)  # what ``normalize_embeddings=True`` adds
        return list(pooled.detach().cpu())


def load(path: Path, *, device: str | None = None) -> FolderEncoder | None:
    """The folder at ``path`` as a :class:`FolderEncoder`, or None when it needs the library."""
    plan = _plan(path)
    if plan is None:
        return None
    pooling, normalize, max_seq_length = plan
    import torch

    chosen = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model: Any = lean_bert.load(path) if chosen == "cpu" else None
    if model is None:
        model = _transformers_encoder(path)
    tokenizer: Any = bert_tokenizer.load(path) or LibraryTokenizer.load(path)
    limit = getattr(model.config, "max_position_embeddings", None)
    if isinstance(limit, int) and limit > 0:
        max_seq_length = min(max_seq_length, limit)
    model = model.to(chosen).eval()
    return FolderEncoder(
        model, tokenizer, pooling=pooling, normalize=normalize, max_seq_length=max_seq_length
    )


class LibraryTokenizer:
    """transformers' tokenizer for the folder, called as the library calls it."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    @classmethod
    def load(cls, path: Path) -> LibraryTokenizer:
        from transformers import AutoTokenizer

        return cls(AutoTokenizer.from_pretrained(str(path), local_files_only=True))

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False, verbose=False))

    def features(self, texts: Sequence[str], max_length: int) -> dict[str, Any]:
        return dict(
            self._tokenizer(
                list(texts),
                padding=True,
                truncation="longest_first",
                max_length=max_length,
                return_tensors="pt",
            )
        )


def _transformers_encoder(path: Path) -> Any:
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the unused pooler weights of BERT folders are expected
    try:
        return AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
    except TypeError:  # an encoder class without a pooler argument
        return AutoModel.from_pretrained(str(path), local_files_only=True)
    finally:
        hf_logging.set_verbosity(verbosity)


def _plan(path: Path) -> tuple[str, bool, int] | None:
    """(pooling, normalize, max tokens) for a folder this module runs as the library would."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        types = [entry["type"] for entry in modules]
        if types not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]):
            _unsupported(path, f"modules {types}")
            return None
        if modules[0].get("path", "") != "":
            _unsupported(path, "an encoder outside the folder's root")
            return None
        pooling = _pooling_mode(path / modules[1]["path"] / "config.json")
        if pooling is None:
            _unsupported(path, "a pooling other than mean or first token")
            return None
        settings = _read_json(path / "sentence_bert_config.json")
        if settings.get("do_lower_case"):
            _unsupported(path, "do_lower_case")
            return None
        if (path / "config_sentence_transformers.json").is_file():
            extra = _read_json(path / "config_sentence_transformers.json")
            if extra.get("prompts") or extra.get("default_prompt_name"):
                _unsupported(path, "prompts")
                return None
        max_seq_length = int(settings.get("max_seq_length") or 512)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        _unsupported(path, f"unreadable settings ({exc})")
        return None
    return pooling, len(types) == 3, max_seq_length


def _pooling_mode(config_path: Path) -> str | None:
    config = _read_json(config_path)
    if isinstance(config.get("pooling_mode"), str):
        chosen = {config["pooling_mode"]}
    else:
        chosen = {
            name
            for name, key in (
                ("mean", "pooling_mode_mean_tokens"),
                ("cls", "pooling_mode_cls_token"),
                ("max", "pooling_mode_max_tokens"),
                ("mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens"),
                ("weightedmean", "pooling_mode_weightedmean_tokens"),
                ("lasttoken", "pooling_mode_lasttoken"),
            )
            if config.get(key)
        }
    if config.get("include_prompt") is False:
        return None
    return next(iter(chosen)) if chosen in ({"mean"}, {"cls"}) else None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _unsupported(path: Path, reason: str) -> None:
    logger.info("sentence-transformers folder %s uses %s: loaded with the library", path, reason)
    return None
