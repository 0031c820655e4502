"""Move activation outliers into the weights before int8 (the SmoothQuant idea), at no run cost.

A few input channels of a layer carry values far larger than the rest; quantizing a token with
one scale then leaves the other channels only a few levels. For a linear layer fed by an RMSNorm,
dividing channel ``j`` of the norm's weight by ``s_j`` and multiplying column ``j`` of the layer's
weight by ``s_j`` changes nothing in exact arithmetic, but evens out the activations. With
``s_j = max|x_j|^a / max|W_j|^(1 - a)`` (``a = 0.5``) the difficulty is shared between the two.

``max|x_j|`` comes from one float32 pass over a short built-in text when the model loads (a
fraction of a second). Only the layers that follow an RMSNorm are smoothed: q/k/v, gate/up, and
the output head, which gets its own copy of its (often tied) weights. Model families whose norm
is a plain ``weight * normalized(x)`` are listed in ``SMOOTHED_TYPES``; others are left as they
are. Measured on SmolLM2 (``bench/bench_levers.py --quality``): next-token agreement with
float32 rose from about 90 % to about 94 % (bf16: about 95 %).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)

ALPHA = 0.5
SMOOTHED_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})
_FLOOR = 1e-5

# Original calibration text: everyday teaching prose, a question, a list, numbers.
CALIBRATION = (
    "Good morning, class. Today we look at how water moves around our planet. The sun warms "
    "lakes and seas, and some of the water rises into the air as vapour. High in the sky the "
    "vapour cools and forms clouds made of tiny drops. When the drops join and grow heavy, they "
    "fall as rain or snow, and rivers carry the water back to the sea.\n\n"
    "Question: why do puddles disappear on a sunny afternoon?\n"
    "Answer: the warm air and the sunshine turn the water into vapour, which we cannot see.\n\n"
    "Next, fractions. If a pizza is cut into 8 equal slices and you eat 3, you have eaten 3/8 "
    "of it; 2/4 and 1/2 name the same amount. Plants make their food by photosynthesis: leaves "
    "use light, water and carbon dioxide to build sugar, and they give off oxygen.\n"
    "1. Read the question twice.\n2. Underline the key words.\n3. Check your answer.\n"
    "Remember to cite the page, for example [2], and ask if anything is unclear!"
)


def smooth_for_int8(model: Any, tokenizer: Any) -> int:
    """Fold per-channel activation scales into ``model``'s weights; return the groups smoothed.

    Call on the float32 model before :func:`tutor.llm.int8.quantize_int8`.
    """
    model_type = getattr(model.config, "model_type", None)
    decoder = getattr(model, "model", None)
    if model_type not in SMOOTHED_TYPES or decoder is None or not hasattr(decoder, "layers"):
        logger.info("no activation smoothing for model type %s", model_type)
        return 0
    targets: dict[str, nn.Module] = {"head": model.lm_head}
    for index, layer in enumerate(decoder.layers):
        targets[f"attention {index}"] = layer.self_attn.q_proj
        targets[f"mlp {index}"] = layer.mlp.gate_proj
    peaks = _input_peaks(model, tokenizer, targets)

    for index, layer in enumerate(decoder.layers):
        attention, mlp = layer.self_attn, layer.mlp
        _fold(
            layer.input_layernorm,
            [attention.q_proj, attention.k_proj, attention.v_proj],
            peaks[f"attention {index}"],
        )
        _fold(layer.post_attention_layernorm, [mlp.gate_proj, mlp.up_proj], peaks[f"mlp {index}"])
    head = model.lm_head
    untied = nn.Linear(head.in_features, head.out_features, bias=head.bias is not None)
    with torch.no_grad():
        untied.weight.copy_(head.weight)
        if head.bias is not None:
            untied.bias.copy_(head.bias)
    untied.to(head.weight.device)
    _fold(decoder.norm, [untied], peaks["head"])
    model.lm_head = untied
    return 2 * len(decoder.layers) + 1


def _input_peaks(
    model: Any, tokenizer: Any, targets: dict[str, nn.Module]
) -> dict[str, torch.Tensor]:
    """The largest magnitude of each input channel of each target over the calibration text."""
    peaks: dict[str, torch.Tensor] = {}

    def recorder(name: str) -> Any:
        def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
            x = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).abs().amax(dim=0).float()
            peaks[name] = torch.maximum(peaks[name], x) if name in peaks else x

        return record

    handles = [m.register_forward_pre_hook(recorder(n)) for n, m in targets.items()]
    try:
        text = CALIBRATION
        if getattr(tokenizer, "chat_template", None):  # the shape of real prompts
            chat = [{"role": "user", "content": CALIBRATION}]
            text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        ids = tokenizer.encode(text, add_special_tokens=False)
        device = next(model.parameters()).device
        with torch.inference_mode():
            model(input_ids=torch.tensor([ids], device=device), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    return peaks


def _fold(norm: Any, linears: list[nn.Linear], peak: torch.Tensor) -> None:
    """Divide the norm's channels by ``s`` and multiply the linears' columns by it."""
    with torch.no_grad():
        weight_peak = torch.cat([linear.weight.abs() for linear in linears]).amax(dim=0).float()
        scale = peak.clamp_min(_FLOOR).pow(ALPHA) / weight_peak.clamp_min(_FLOOR).pow(1 - ALPHA)
        scale = scale.clamp_min(_FLOOR)
        norm.weight.div_(scale.to(norm.weight.dtype))
        for linear in linears:
            linear.weight.mul_(scale.to(linear.weight.dtype))
