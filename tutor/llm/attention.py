"""The attention the engine plugs into a transformers model: slots of different lengths.

Registered with transformers as ``"tutor_slots"``; the engine passes a :class:`Plan` with every
forward (as the ``tutor_plan`` keyword, which transformers hands through to attention):

- a prefill chunk of one sequence at ``offset`` attends causally to positions ``0 .. offset+T-1``;
- a decode step attends, for row ``i``, to the first ``lengths[i]`` positions of slot ``i``.

Decode runs one kernel call per row on its exact length (``per_row``), not one call on rows
padded to the longest: on the CPU the padded call's float sums depend on the padding and on the
batch size, so a chat's reply would change with the company it keeps. Per row, a chat decoded
in a batch computes exactly what it computes alone. CUDA takes the padded, masked single call.

Without a plan (``model.generate`` on the same model) it is transformers' own SDPA attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

NAME = "tutor_slots"


@dataclass
class Plan:
    """What one forward pass attends to (see the module docstring)."""

    offset: int = 0  # prefill: the chunk's first position
    lengths: list[int] | None = None  # decode: valid positions per row, the new token included
    mask: torch.Tensor | None = None  # prefill after offset 0, or padded decode: True = attend
    per_row: bool = True


def slot_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    tutor_plan: Plan | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """Attention over a :class:`~tutor.llm.kvcache.SlotCache`; returns (batch, q, heads, dim)."""
    if tutor_plan is None:
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout, scaling, **kwargs
        )
    rows, heads, steps, dim = query.shape
    groups = heads // key.shape[1]
    _check_supported(kwargs, key.shape[2])
    if tutor_plan.lengths is None:  # a prefill chunk of one sequence
        output = F.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=tutor_plan.mask,
            is_causal=tutor_plan.mask is None,
            scale=scaling,
            enable_gqa=groups > 1,
        )
    elif tutor_plan.per_row:
        # One query token per row: fold each kv head's query heads into the query length.
        outputs = [
            F.scaled_dot_product_attention(
                query[row : row + 1].reshape(1, -1, groups, dim),
                key[row : row + 1, :, :length],
                value[row : row + 1, :, :length],
                scale=scaling,
            )
            for row, length in enumerate(tutor_plan.lengths)
        ]
        output = torch.cat(outputs).reshape(rows, heads, steps, dim)
    else:
        output = F.scaled_dot_product_attention(
            query.reshape(rows, -1, groups, dim),
            key,
            value,
            attn_mask=tutor_plan.mask,
            scale=scaling,
        ).reshape(rows, heads, steps, dim)
    return output.transpose(1, 2).contiguous(), None


def _check_supported(kwargs: dict[str, Any], length: int) -> None:
    """Refuse what this attention does not do rather than answer wrongly."""
    if kwargs.get("softcap") is not None:
        raise NotImplementedError("attention logit soft-capping is not supported by the engine")
    window = kwargs.get("sliding_window")
    if window is not None and length > window:
        raise NotImplementedError(
            f"sliding-window attention beyond {window} positions is not supported by the engine"
        )


def register() -> str:
    """Make ``"tutor_slots"`` known to transformers (idempotent); return its name."""
    from transformers import AttentionInterface

    AttentionInterface.register(NAME, slot_attention)
    return NAME
