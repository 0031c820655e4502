"""A lean forward pass for Llama-family decoders: the same arithmetic with fewer operator calls.

A decode step of a 135M-parameter model multiplies about 4 ms worth of int8 weights on this
CPU, yet transformers' module-by-module forward took about 27 ms: the rest is per-operator and
per-module Python overhead, paid 30 layers x dozens of calls per token. This forward walks the
same weights with the fewest calls that keep the arithmetic:

- q, k and v come from one fused product (one int8 call, or one float GEMM over the
  concatenated weights), and so do gate and up;
- rotary embedding is applied to queries and keys together, ``rotate_half`` being a signed
  permutation done as a tiny matmul (exact: each output is one input, sign-flipped or not);
- keys and values go through the engine's :class:`~tutor.llm.kvcache.SlotCache` and attention
  through :func:`~tutor.llm.attention.slot_attention`, exactly as in the transformers forward,
  so batch invariance and prefix reuse hold unchanged.

Supported: ``llama``, ``mistral``, ``qwen2`` and ``qwen3``-style decoders without sliding
windows, with SiLU MLPs (SmolLM2, TinyLlama, Llama 3, Qwen2.5 ...); anything else keeps the
transformers forward (:func:`build` returns None). ``tests/test_llm_lean.py`` checks the logits
against transformers' forward.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tutor.file_rows import FileRows, embedding
from tutor.llm import attention
from tutor.llm.int8 import Int8GroupMember, Int8Linear, _PackedInt8, concatenated

logger = logging.getLogger(__name__)

SUPPORTED_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})

Product = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class _Layer:
    input_norm: torch.Tensor
    qkv: Product
    q_norm: torch.Tensor | None  # qwen3 normalises each head's query and key
    k_norm: torch.Tensor | None
    output: Product
    post_norm: torch.Tensor
    gate_up: Product
    down: Product


class LeanDecoder:
    """The decoder of a Llama-family causal LM as a plain loop over its weights.

    Built from a loaded transformers model (:meth:`of_model`) or, by ``standalone.py``, straight
    from the int8 cache; both give the same parts and so the same arithmetic.
    """

    def __init__(
        self,
        *,
        heads: int,
        kv_heads: int,
        head_dim: int,
        eps: float,
        embed: torch.Tensor | FileRows,
        rotary: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
        final_norm: torch.Tensor,
        head: Product,
        layers: list[_Layer],
    ) -> None:
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.eps = eps
        self.scaling = self.head_dim**-0.5
        self.embed = embed
        self.rotary = rotary
        self.final_norm = final_norm
        self.head = head
        self.layers = layers
        half = self.head_dim // 2
        rotate = torch.zeros(self.head_dim, self.head_dim, dtype=self.embed.dtype)
        index = torch.arange(half)
        rotate[index + half, index] = -1.0  # out[:half] = -x[half:]
        rotate[index, index + half] = 1.0  # out[half:] = x[:half]
        self.rotate = rotate.to(self.embed.device)
        self._qk_width = (self.heads + self.kv_heads) * self.head_dim

    @classmethod
    def of_model(cls, model: Any) -> LeanDecoder:
        config = model.config
        base = model.model
        heads = config.num_attention_heads
        return cls(
            heads=heads,
            kv_heads=getattr(config, "num_key_value_heads", None) or heads,
            head_dim=getattr(config, "head_dim", None) or config.hidden_size // heads,
            eps=float(config.rms_norm_eps),
            embed=base.embed_tokens.weight,
            rotary=base.rotary_emb,
            final_norm=base.norm.weight,
            head=_product(model.lm_head),
            layers=[cls._layer(layer) for layer in base.layers],
        )

    @staticmethod
    def _layer(layer: Any) -> _Layer:
        attn, mlp = layer.self_attn, layer.mlp
        q_norm = getattr(attn, "q_norm", None)
        k_norm = getattr(attn, "k_norm", None)
        return _Layer(
            input_norm=layer.input_layernorm.weight,
            qkv=_fused([attn.q_proj, attn.k_proj, attn.v_proj]),
            q_norm=None if q_norm is None else q_norm.weight,
            k_norm=None if k_norm is None else k_norm.weight,
            output=_product(attn.o_proj),
            post_norm=layer.post_attention_layernorm.weight,
            gate_up=_fused([mlp.gate_proj, mlp.up_proj]),
            down=_product(mlp.down_proj),
        )

    def forward(
        self,
        ids: torch.Tensor,
        positions: torch.Tensor,
        cache: Any,
        plan: attention.Plan,
        *,
        logits: bool,
    ) -> torch.Tensor | None:
        """Feed ``ids`` (rows, T) at ``positions`` (rows, T) through ``cache``.

        Returns the logits of each row's last position, shape (rows, 1, vocab), when ``logits``;
        otherwise only the cache is filled (an inner prefill chunk) and None is returned.
        """
        rows, steps = ids.shape
        hidden = embedding(self.embed, ids)
        cos, sin = self.rotary(hidden, positions)
        cos, sin = cos.unsqueeze(2), sin.unsqueeze(2)  # broadcast over heads: (rows, T, 1, d)
        heads, kv_heads, dim = self.heads, self.kv_heads, self.head_dim
        width = hidden.shape[-1]
        for index, layer in enumerate(self.layers):
            x = F.rms_norm(hidden, (width,), layer.input_norm, self.eps)
            qkv = layer.qkv(x)
            qk = qkv[..., : self._qk_width].reshape(rows, steps, heads + kv_heads, dim)
            if layer.q_norm is not None and layer.k_norm is not None:
                qk = torch.cat(
                    (
                        F.rms_norm(qk[:, :, :heads], (dim,), layer.q_norm, self.eps),
                        F.rms_norm(qk[:, :, heads:], (dim,), layer.k_norm, self.eps),
                    ),
                    dim=2,
                )
            qk = torch.addcmul(qk * cos, qk @ self.rotate, sin)
            query = qk[:, :, :heads].transpose(1, 2)
            key = qk[:, :, heads:].transpose(1, 2)
            value = qkv[..., self._qk_width :].reshape(rows, steps, kv_heads, dim).transpose(1, 2)
            key, value = cache.update(key, value, index)
            mixed, _ = attention.slot_attention(
                None, query, key, value, None, scaling=self.scaling, tutor_plan=plan
            )
            hidden = hidden + layer.output(mixed.reshape(rows, steps, heads * dim))
            x = F.rms_norm(hidden, (width,), layer.post_norm, self.eps)
            gate, up = layer.gate_up(x).chunk(2, dim=-1)
            hidden = hidden + layer.down(F.silu(gate) * up)
        if not logits:
            return None
        last = F.rms_norm(hidden[:, -1:], (width,), self.final_norm, self.eps)
        return self.head(last)


def build(model: Any) -> LeanDecoder | None:
    """A :class:`LeanDecoder` for ``model``, or None when its architecture is not one it runs."""
    reason = _unsupported(model)
    if reason is not None:
        logger.info("the lean decoder does not run this model (%s): transformers forward", reason)
        return None
    return LeanDecoder.of_model(model)


def _unsupported(model: Any) -> str | None:
    config: Any = getattr(model, "config", None)
    model_type = getattr(config, "model_type", None)
    if model_type not in SUPPORTED_TYPES:
        return f"model type {model_type!r}"
    if getattr(config, "hidden_act", "silu") != "silu":
        return f"activation {config.hidden_act!r}"
    if getattr(config, "sliding_window", None) and getattr(config, "use_sliding_window", True):
        return "sliding-window attention"
    base = getattr(model, "model", None)
    layers = getattr(base, "layers", None)
    if base is None or not layers or not hasattr(base, "rotary_emb"):
        return "no decoder layers found"
    first = layers[0]
    attn, mlp = getattr(first, "self_attn", None), getattr(first, "mlp", None)
    for owner, names in (
        (attn, ("q_proj", "k_proj", "v_proj", "o_proj")),
        (mlp, ("gate_proj", "up_proj", "down_proj")),
    ):
        if owner is None or not all(hasattr(owner, name) for name in names):
            return "unexpected layer structure"
    return None


def _product(layer: nn.Module) -> Product:
    """The layer's own forward: an int8 layer or a float ``nn.Linear``."""
    if isinstance(layer, Int8Linear):
        return layer._int8
    if type(layer) is nn.Linear:
        weight, bias = layer.weight, layer.bias
        return lambda x: F.linear(x, weight, bias)
    return layer


def _fused(layers: list[nn.Module]) -> Product:
    """One product computing the concatenated outputs of ``layers`` (which share an input)."""
    members = [layer for layer in layers if isinstance(layer, Int8GroupMember)]
    if len(members) == len(layers) and len({id(m._group) for m in members}) == 1:
        packed: _PackedInt8 = members[0]._group._int8
        return packed
    if all(type(layer) is nn.Linear for layer in layers):
        linears: list[nn.Linear] = layers  # type: ignore[assignment]
        weight, bias = concatenated(linears)
        _share(linears, weight, bias)
        return lambda x: F.linear(x, weight, bias)
    parts = [_product(layer) for layer in layers]
    return lambda x: torch.cat([part(x) for part in parts], dim=-1)


def _share(linears: list[nn.Linear], weight: torch.Tensor, bias: torch.Tensor | None) -> None:
    """Make each layer's parameters views into the fused tensors: no second copy in memory."""
    start = 0
    for linear in linears:
        end = start + linear.out_features
        linear.weight = nn.Parameter(weight[start:end], requires_grad=False)
        if linear.bias is not None and bias is not None:
            linear.bias = nn.Parameter(bias[start:end], requires_grad=False)
        start = end
