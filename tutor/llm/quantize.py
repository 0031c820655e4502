"""Weight formats for the transformers backend: int8 on the CPU, bfloat16 on CUDA.

"auto" picks int8 on the CPU: it decodes about 2.5x faster than float32 and serves in a third
less memory, and on the qa suite's dev split (180 questions, SQuAD / ARC / TruthfulQA) its
accuracy and F1 were higher and its groundedness lower than float32's, all within noise
(README, "Model backends and answering many learners at once"). Greedy replies are not
identical to float32's (next-token agreement about 94 %); "none" keeps float32 for anyone who
needs exactly the float model.

Importing this module is cheap (no torch); ``tutor.llm.int8`` holds the int8 layer itself.
"""

from __future__ import annotations

from typing import Any

from tutor.errors import ConfigError

QUANTIZE_CHOICES = ("auto", "none", "int8", "bf16")


def check_quantize(value: str) -> str:
    """Return ``value`` when it names a quantization setting; raise ``ConfigError`` otherwise."""
    if value not in QUANTIZE_CHOICES:
        raise ConfigError(
            f"llm quantize {value!r} is not one of {', '.join(QUANTIZE_CHOICES)}: "
            "auto = int8 on the CPU and bf16 on CUDA; int8 = the fast CPU format; "
            "none = float32 on the CPU; bf16"
        )
    return value


def resolve_quantization(value: str, device: str) -> str:
    """The weight format in effect for the setting ``value`` on ``device``.

    Returns ``"int8"``, ``"bf16"`` or ``"fp32"``. ``"auto"`` is int8 on the CPU, ``"none"``
    keeps float32 there, while CUDA always runs bfloat16 (float32 there only costs memory).
    int8 is a CPU format.
    """
    check_quantize(value)
    if device == "cuda":
        if value == "int8":
            raise ConfigError(
                "llm quantize 'int8' runs on the CPU only; on CUDA use 'auto' or 'bf16'"
            )
        return "bf16"
    return {"auto": "int8", "none": "fp32", "int8": "int8", "bf16": "bf16"}[value]


def apply_quantization(model: Any, quantization: str, tokenizer: Any = None) -> Any:
    """Convert the float32 ``model`` (on its final device) to ``quantization``; return it.

    int8 first folds activation scales into the weights (``smooth.py``; needs the tokenizer
    for its calibration text), then replaces the linear layers (``int8.py``).
    """
    import torch

    if quantization == "bf16":
        return model.to(torch.bfloat16)
    if quantization == "int8":
        from tutor.llm.int8 import quantize_int8
        from tutor.llm.smooth import smooth_for_int8

        if tokenizer is not None:
            smooth_for_int8(model, tokenizer)
        quantize_int8(model)
        _own_remaining_tensors(model)
    return model


def _own_remaining_tensors(model: Any) -> None:
    """Copy what int8 left in float (embeddings, norms) out of the loaded file's memory map.

    Weights loaded from safetensors are views of one private mapping of the whole file; a single
    surviving view (the embedding table) kept all ~540 MB of it resident after the linear layers
    had become int8. Copies own their memory, the mapping closes, and the freed heap goes back to
    the system (``malloc_trim`` on glibc).
    """
    for tensor in [*model.parameters(), *model.buffers()]:
        tensor.data = tensor.data.clone()
    release_freed_memory()


def release_freed_memory(*, collect: bool = True) -> None:
    """Hand the heap's free pages back to the system (glibc), after collecting garbage unless
    ``collect`` is False."""
    import gc

    if collect:
        gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        pass
