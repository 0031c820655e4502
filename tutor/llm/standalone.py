"""The int8 cache run as a decoder without transformers' model code.

A later start of ``tutor serve`` only needs the int8 products, the norms, the embedding table
and the rotary frequencies, all in the cache file and ``config.json``. Building transformers'
``LlamaForCausalLM`` around them first imports its model machinery (distributed tensors,
compiler hooks, loss code: about 1.9 s and 130 MB here) for a forward pass the engine never
calls, since :class:`~tutor.llm.lean.LeanDecoder` runs the model. :func:`load` builds the
``LeanDecoder`` straight from the cache, with the same parts and so the same logits, bit for
bit (``tests/test_llm_lean.py``). Only what the lean forward supports is built this way
(Llama-family decoders, the default rotary embedding, the cache's usual layout); for anything
else it returns None and the caller builds the transformers model as before.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tutor.file_rows import rows_from_file
from tutor.llm import int8_cache, lean
from tutor.llm.int8 import _PackedInt8
from tutor.llm.quantize import release_freed_memory

logger = logging.getLogger(__name__)


@dataclass
class GenerationSettings:
    eos_token_id: int | list[int] | None = None


@dataclass
class StandaloneDecoder:
    """What the engine needs of a model: its lean forward, config and end-of-reply ids."""

    lean: lean.LeanDecoder
    config: dict[str, Any]
    generation_config: GenerationSettings = field(default_factory=GenerationSettings)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def vocab_size(self) -> int:
        return int(self.lean.embed.shape[0])


class DefaultRotary:
    """The original rotary embedding (``rope_type`` "default"), as transformers computes it."""

    def __init__(self, theta: float, head_dim: int) -> None:
        self.inv_freq = 1.0 / (
            theta ** (torch.arange(0, head_dim, 2, dtype=torch.float) / head_dim)
        )
        self.attention_scaling = 1.0

    def __call__(
        self, x: torch.Tensor, positions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        freqs = positions[..., None].float() * self.inv_freq.to(device=x.device, dtype=torch.float)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos() * self.attention_scaling
        sin = emb.sin() * self.attention_scaling
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def load(config_folder: Path, source: Path) -> StandaloneDecoder | None:
    """The decoder saved in the int8 cache ``source``, or None when it needs transformers."""
    try:
        config = json.loads((config_folder / "config.json").read_text(encoding="utf-8"))
        reason = _unsupported(config)
        if reason is not None:
            logger.info("int8 cache loaded through transformers (%s)", reason)
            return None
        return _load(config_folder, config, source)
    except Exception as exc:  # a damaged or unexpected file: the transformers path decides
        logger.info("int8 cache loaded through transformers (%s)", exc)
        return None


def _unsupported(config: dict[str, Any]) -> str | None:
    if config.get("model_type") not in lean.SUPPORTED_TYPES:
        return f"model type {config.get('model_type')!r}"
    if config.get("hidden_act", "silu") != "silu":
        return f"activation {config.get('hidden_act')!r}"
    if config.get("sliding_window") and config.get("use_sliding_window", True):
        return "sliding-window attention"
    rope = config.get("rope_parameters") or {}
    if config.get("rope_scaling") or rope.get("rope_type", "default") != "default":
        return "a scaled rotary embedding"
    if _theta(config) is None:
        return "no rotary base"
    if config.get("layer_types") and set(config["layer_types"]) != {"full_attention"}:
        return "mixed attention layers"
    return None


def _theta(config: dict[str, Any]) -> float | None:
    value = (config.get("rope_parameters") or {}).get("rope_theta", config.get("rope_theta"))
    return float(value) if isinstance(value, int | float) else None


def _load(config_folder: Path, config: dict[str, Any], source: Path) -> StandaloneDecoder:
    layout, tensors = int8_cache.read(source)

    def packed(name: str, kind: str, members: tuple[str, ...] = ()) -> _PackedInt8:
        entry = layout.pop(name)
        if entry["kind"] != kind:
            raise ValueError(f"{name} is a {entry['kind']}, expected a {kind}")
        if members:
            parent = name.rsplit(".", 1)[0]
            if entry["members"] != [f"{parent}.{member}" for member in members]:
                raise ValueError(f"{name} groups {entry['members']}")
        return int8_cache.packed_layer(tensors, name)

    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    layers = []
    for index in range(int(config["num_hidden_layers"])):
        prefix = f"model.layers.{index}"
        q_norm = tensors.pop(f"float.{prefix}.self_attn.q_norm.weight", None)
        k_norm = tensors.pop(f"float.{prefix}.self_attn.k_norm.weight", None)
        layers.append(
            lean._Layer(
                input_norm=tensors.pop(f"float.{prefix}.input_layernorm.weight"),
                qkv=packed(f"{prefix}.self_attn.q_proj", "group", ("q_proj", "k_proj", "v_proj")),
                q_norm=q_norm,
                k_norm=k_norm,
                output=packed(f"{prefix}.self_attn.o_proj", "linear"),
                post_norm=tensors.pop(f"float.{prefix}.post_attention_layernorm.weight"),
                gate_up=packed(f"{prefix}.mlp.gate_proj", "group", ("gate_proj", "up_proj")),
                down=packed(f"{prefix}.mlp.down_proj", "linear"),
            )
        )
    head = packed("lm_head", "linear")
    final_norm = tensors.pop("float.model.norm.weight")
    # Rows read when tokens need them (tutor/file_rows.py) rather than the mapped table.
    key = "float.model.embed_tokens.weight"
    table = rows_from_file(source, key, tensors.pop(key))
    if layout or tensors:  # anything left is something this forward would silently ignore
        raise ValueError(f"unexpected weights {sorted([*layout, *tensors])[:3]}")
    decoder = lean.LeanDecoder(
        heads=heads,
        kv_heads=int(config.get("num_key_value_heads") or heads),
        head_dim=head_dim,
        eps=float(config["rms_norm_eps"]),
        embed=table,
        rotary=DefaultRotary(_theta(config) or 0.0, head_dim),
        final_norm=final_norm,
        head=head,
        layers=layers,
    )
    release_freed_memory()  # the int8 rows' copies made while packing
    return StandaloneDecoder(decoder, config, GenerationSettings(_eos(config_folder, config)))


def _eos(config_folder: Path, config: dict[str, Any]) -> int | list[int] | None:
    """The generation config's end ids, else the model config's (as transformers derives them)."""
    path = config_folder / "generation_config.json"
    if path.is_file():  # transformers then reads only this file (None: the tokenizer's end)
        generation = json.loads(path.read_text(encoding="utf-8"))
        return generation.get("eos_token_id")
    return config.get("eos_token_id")
