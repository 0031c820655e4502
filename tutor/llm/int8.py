"""int8 linear layers for the CPU: int8 weights per output row, int8 activations per token.

Every ``nn.Linear`` of the model (the output head included) becomes an :class:`Int8Linear`,
which runs PyTorch's fbgemm int8 kernel (``quantized::linear_dynamic``, prepacked weights with one
scale per output row) with a twist that makes the activation scale per token:

- each input row (one token) is divided by its largest magnitude, so every value is in [-1, 1];
- one calibration row holding exactly 1 and -1 is appended, so the kernel's "dynamic" range, the
  min and max of the whole input, is always [-1, 1]: each row gets the same 8-bit grid;
- the output rows are multiplied back by their magnitudes (the bias is added after that).

So a token's result depends on that token only, never on the other rows it is computed with. A
chat decoded alongside seven others gets exactly the tokens it gets alone, and the keys and values
of a reused prompt prefix equal those computed with the whole prompt. Plain
``torch.ao.quantization.quantize_dynamic`` quantizes with one range for the whole input, so a
row's result changes with its neighbours (and is half as precise on x86, where it keeps 7 bits).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

INT8_MAX = 127.0
_TINY = 1e-12


FUSED_GROUPS = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


class _PackedInt8:
    """Prepacked int8 weights (one scale per output row) and the per-token product."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        weight = weight.detach().float().cpu()
        scale = weight.abs().amax(dim=1).clamp_min(_TINY) / INT8_MAX
        with warnings.catch_warnings():  # quantized tensors are deprecated, still the fbgemm path
            warnings.simplefilter("ignore")
            qweight = torch.quantize_per_channel(
                weight,
                scale.double(),
                torch.zeros(weight.shape[0], dtype=torch.long),
                0,
                torch.qint8,
            )
        self._setup(qweight, bias)

    @classmethod
    def from_int8(
        cls, weight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None
    ) -> _PackedInt8:
        """Rebuild from :meth:`int8_weight`'s int8 rows and their scales (no float weights)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qweight = torch._make_per_channel_quantized_tensor(
                weight.to(torch.int8),
                scale.double(),
                torch.zeros(weight.shape[0], dtype=torch.long),
                0,
            )
        packed = cls.__new__(cls)
        packed._setup(qweight, bias)
        return packed

    def _setup(self, qweight: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.out_features, self.in_features = qweight.shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.packed = torch.ops.quantized.linear_prepack(qweight, None)
        self.bias = None if bias is None else bias.detach().float().cpu().clone()
        self.calibration = torch.zeros(1, self.in_features)
        self.calibration[0, 0] = 1.0
        self.calibration[0, -1] = -1.0

    def int8_weight(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The int8 weight rows and their float32 scales (one per output row)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            qweight, _ = torch.ops.quantized.linear_unpack(self.packed)
        return qweight.int_repr().contiguous(), qweight.q_per_channel_scales().float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).float()
        peak = rows.abs().amax(dim=1, keepdim=True).clamp_min_(_TINY)  # (vector_norm: slower)
        unit = torch.cat((rows / peak, self.calibration))
        out = torch.ops.quantized.linear_dynamic(unit, self.packed, False)[:-1]
        out.mul_(peak)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)


class Int8Linear(nn.Module):
    """A linear layer with int8 weights and per-token int8 activations (CPU, fbgemm)."""

    def __init__(self, linear: nn.Linear | None = None, packed: _PackedInt8 | None = None) -> None:
        super().__init__()
        if packed is None:
            assert linear is not None, "an nn.Linear or packed int8 weights"
            packed = _PackedInt8(linear.weight, linear.bias)
        self.in_features = packed.in_features
        self.out_features = packed.out_features
        self._int8 = packed

    @classmethod
    def from_packed(cls, packed: _PackedInt8) -> Int8Linear:
        return cls(packed=packed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._int8(x).to(x.dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"


def concatenated(linears: list[nn.Linear]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The weights of layers that share an input stacked into one (output rows in order), and
    their biases likewise (zeros for a layer without; None when none has one)."""
    weight = torch.cat([linear.weight.detach() for linear in linears])
    if all(linear.bias is None for linear in linears):
        return weight, None
    parts = [
        linear.bias.detach() if linear.bias is not None else weight.new_zeros(linear.out_features)
        for linear in linears
    ]
    return weight, torch.cat(parts)


class Int8Group:
    """Sibling layers that read the same input (q, k, v): one int8 product serves them all.

    The first member called with an input computes every member's output in one kernel call
    and keeps them; the others, called with that same tensor object, take their part. A member
    called with another input recomputes, so a wrong guess about who shares costs time only.
    """

    def __init__(self, linears: list[nn.Linear]) -> None:
        weight, bias = concatenated(linears)
        self._setup(_PackedInt8(weight, bias), [linear.out_features for linear in linears])

    @classmethod
    def from_packed(cls, packed: _PackedInt8, widths: list[int]) -> Int8Group:
        group = cls.__new__(cls)
        group._setup(packed, widths)
        return group

    def _setup(self, packed: _PackedInt8, widths: list[int]) -> None:
        self._int8 = packed
        self._widths = list(widths)
        self._input: torch.Tensor | None = None
        self._outputs: tuple[torch.Tensor, ...] = ()

    def output(self, x: torch.Tensor, part: int) -> torch.Tensor:
        if x is not self._input:
            self._outputs = self._int8(x).to(x.dtype).split(self._widths, dim=-1)
            self._input = x
        return self._outputs[part]


class Int8GroupMember(nn.Module):
    """One layer of an :class:`Int8Group`."""

    def __init__(self, group: Int8Group, part: int, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self._group = group
        self._part = part

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._group.output(x, self._part)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 fused"


def quantize_int8(model: Any) -> int:
    """Replace every ``nn.Linear`` of the float ``model`` in place; return how many.

    Siblings named like ``FUSED_GROUPS`` (q/k/v, gate/up) with the same input size share one
    :class:`Int8Group`.
    """
    count = 0
    for parent in list(model.modules()):
        children = {
            name: child for name, child in parent.named_children() if type(child) is nn.Linear
        }
        for names in FUSED_GROUPS:
            members = [(n, children[n]) for n in names if n in children]
            if len(members) < 2 or len({m.in_features for _, m in members}) > 1:
                continue
            group = Int8Group([linear for _, linear in members])
            for part, (name, linear) in enumerate(members):
                setattr(parent, name, Int8GroupMember(group, part, linear))
                del children[name]
                count += 1
        for name, child in children.items():
            setattr(parent, name, Int8Linear(child))
            count += 1
    return count
