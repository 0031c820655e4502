"""A BERT encoder forward written against torch alone, for the sentence-transformers reader.

Importing transformers' model code (``BertModel``) costs ``tutor serve`` about 1.9 s and 130 MB
here, mostly for machinery an encoder never uses (distributed tensors, compilers, loss code).
This is the same forward over the folder's ``model.safetensors`` with the same torch operators
in the same order (embeddings and their layer norm, per layer: q/k/v products, scaled-dot-product
attention with padded positions masked, output product, residual and layer norm, GELU feed-forward,
residual and layer norm), so its token vectors equal ``BertModel``'s bit for bit, in float32 and
under bf16 autocast (``tests/test_st_folder.py``). Absolute positions, the exact GELU and
encoder-only configurations are supported; anything else returns None and the caller uses
transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from tutor.file_rows import FileRows, embedding, rows_from_file


@dataclass
class _Layer:
    query: tuple[torch.Tensor, torch.Tensor]
    key: tuple[torch.Tensor, torch.Tensor]
    value: tuple[torch.Tensor, torch.Tensor]
    attention_out: tuple[torch.Tensor, torch.Tensor]
    attention_norm: tuple[torch.Tensor, torch.Tensor]
    intermediate: tuple[torch.Tensor, torch.Tensor]
    output: tuple[torch.Tensor, torch.Tensor]
    output_norm: tuple[torch.Tensor, torch.Tensor]


class _Config:
    def __init__(self, values: dict[str, Any]) -> None:
        self.hidden_size = int(values["hidden_size"])
        self.num_attention_heads = int(values["num_attention_heads"])
        self.layer_norm_eps = float(values["layer_norm_eps"])
        self.max_position_embeddings = int(values["max_position_embeddings"])


class LeanBert:
    """Token vectors of a BERT encoder: ``model(input_ids=..., attention_mask=...)``."""

    def __init__(self, config: _Config, weights: dict[str, torch.Tensor]) -> None:
        self.config = config
        self.device = torch.device("cpu")
        self.heads = config.num_attention_heads
        self.head_dim = config.hidden_size // self.heads
        self.scaling = self.head_dim**-0.5
        self.eps = config.layer_norm_eps
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def pair(name: str) -> tuple[torch.Tensor, torch.Tensor]:
            return weights[f"{prefix}{name}.weight"], weights[f"{prefix}{name}.bias"]

        self.words_key = f"{prefix}embeddings.word_embeddings.weight"
        self.words: torch.Tensor | FileRows = weights[self.words_key]
        self.positions = weights[f"{prefix}embeddings.position_embeddings.weight"]
        self.token_types = weights[f"{prefix}embeddings.token_type_embeddings.weight"]
        self.embedding_norm = pair("embeddings.LayerNorm")
        self.layers = []
        index = 0
        while f"{prefix}encoder.layer.{index}.attention.self.query.weight" in weights:
            base = f"encoder.layer.{index}"
            self.layers.append(
                _Layer(
                    query=pair(f"{base}.attention.self.query"),
                    key=pair(f"{base}.attention.self.key"),
                    value=pair(f"{base}.attention.self.value"),
                    attention_out=pair(f"{base}.attention.output.dense"),
                    attention_norm=pair(f"{base}.attention.output.LayerNorm"),
                    intermediate=pair(f"{base}.intermediate.dense"),
                    output=pair(f"{base}.output.dense"),
                    output_norm=pair(f"{base}.output.LayerNorm"),
                )
            )
            index += 1
        if not self.layers:
            raise ValueError("no encoder layers in the weights")

    def to(self, device: str | torch.device) -> LeanBert:
        if torch.device(device).type != "cpu":
            raise ValueError("the lean BERT forward runs on the CPU")
        return self

    def eval(self) -> LeanBert:
        return self

    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **_: Any,
    ) -> Any:
        return _Output(self.forward(input_ids, attention_mask, token_type_ids))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
    ) -> torch.Tensor:
        rows, steps = input_ids.shape
        width = self.config.hidden_size
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(steps).unsqueeze(0)
        hidden = embedding(self.words, input_ids) + F.embedding(token_type_ids, self.token_types)
        hidden = hidden + F.embedding(positions, self.positions)
        hidden = F.layer_norm(hidden, (width,), *self.embedding_norm, self.eps)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :].expand(rows, 1, steps, steps)
        shape = (rows, steps, -1, self.head_dim)
        for layer in self.layers:
            query = F.linear(hidden, *layer.query).view(shape).transpose(1, 2)
            key = F.linear(hidden, *layer.key).view(shape).transpose(1, 2)
            value = F.linear(hidden, *layer.value).view(shape).transpose(1, 2)
            mixed = F.scaled_dot_product_attention(
                query, key, value, attn_mask=mask, dropout_p=0.0, scale=self.scaling
            )
            mixed = mixed.transpose(1, 2).contiguous().reshape(rows, steps, -1).contiguous()
            attended = F.linear(mixed, *layer.attention_out)
            attended = F.layer_norm(attended + hidden, (width,), *layer.attention_norm, self.eps)
            inner = F.gelu(F.linear(attended, *layer.intermediate))
            out = F.linear(inner, *layer.output)
            hidden = F.layer_norm(out + attended, (width,), *layer.output_norm, self.eps)
        return hidden


@dataclass
class _Output:
    last_hidden_state: torch.Tensor


def load(folder: Path) -> LeanBert | None:
    """The BERT encoder in ``folder`` (config.json, model.safetensors), or None if another."""
    try:
        values = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    supported = (
        values.get("model_type") == "bert"
        and values.get("hidden_act", "gelu") == "gelu"
        and values.get("position_embedding_type", "absolute") == "absolute"
        and not values.get("is_decoder")
        and not values.get("add_cross_attention")
        and (folder / "model.safetensors").is_file()
    )
    if not supported:
        return None
    from safetensors.torch import load_file

    weights = load_file(str(folder / "model.safetensors"))  # views of a map of the file
    try:
        model = LeanBert(_Config(values), weights)
    except (KeyError, ValueError, TypeError):
        return None
    # The word-piece table is read a row per token rather than through the map, whose pages
    # would stay resident around every word ever embedded (tutor/file_rows.py).
    table = weights[model.words_key]
    model.words = rows_from_file(folder / "model.safetensors", model.words_key, table)
    return model
