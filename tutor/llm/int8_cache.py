"""The int8 form of a model saved once, so later starts skip smoothing and quantizing.

Turning float32 weights into int8 (``smooth.py`` then ``int8.py``) takes 5-20 s on two cores,
most of it spent touching every page of the float32 file. The result is small: int8 weights with
one scale per output row, plus the layers that stay float (embeddings, norms, already smoothed).
:func:`save` writes it as one safetensors file; :func:`load` builds the model's modules without
initialising any float weights (their memory is never touched), installs the int8 layers and
assigns the float leftovers. The file name carries the format, the smoothing settings and the
calibration text, so a change to any of them makes a new file instead of reusing a stale one.
A file that fails to load is ignored (and rewritten by the caller).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tutor.file_rows import tensor_extent
from tutor.files import write_atomically
from tutor.llm import smooth
from tutor.llm.int8 import Int8Group, Int8GroupMember, Int8Linear, _PackedInt8
from tutor.llm.quantize import release_freed_memory

logger = logging.getLogger(__name__)

FORMAT = "1"  # bump when the saved layout changes


def file_name() -> str:
    """The cache file's name for the current format, smoothing settings and calibration text."""
    recipe = f"{FORMAT}:{smooth.ALPHA}:{smooth.CALIBRATION}".encode()
    return f"int8-{hashlib.sha256(recipe).hexdigest()[:12]}.safetensors"


def save(model: Any, target: Path) -> bool:
    """Write the int8 layers and float leftovers of ``model`` to ``target`` (atomically)."""
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    layout: dict[str, Any] = {}
    seen_groups: set[int] = set()
    for name, module in model.named_modules():
        if isinstance(module, Int8Linear):
            _put(tensors, name, module._int8)
            layout[name] = {"kind": "linear"}
        elif isinstance(module, Int8GroupMember):
            group = module._group
            if id(group) in seen_groups:
                continue
            seen_groups.add(id(group))
            parent = name.rsplit(".", 1)[0]
            members = [
                f"{parent}.{child}"
                for child, sibling in model.get_submodule(parent).named_children()
                if isinstance(sibling, Int8GroupMember) and sibling._group is group
            ]
            _put(tensors, name, group._int8)
            layout[name] = {"kind": "group", "members": members, "widths": group._widths}
    for key, value in model.state_dict().items():
        tensors[f"float.{key}"] = value.detach().contiguous()
    metadata = {"format": FORMAT, "layout": json.dumps(layout)}
    try:
        write_atomically(target, lambda temp: save_file(tensors, str(temp), metadata=metadata))
    except OSError as exc:
        logger.warning("could not write the int8 cache %s: %s", target, exc)
        return False
    return True


def load(config_folder: Path, source: Path) -> Any | None:
    """The int8 model saved in ``source`` (architecture from ``config_folder``), or None."""
    try:
        return _load(config_folder, source)
    except Exception as exc:  # a damaged or foreign file: the caller rebuilds it
        logger.warning("the int8 cache %s could not be loaded (%s); rebuilding it", source, exc)
        return None


def _load(config_folder: Path, source: Path) -> Any:
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.initialization import no_init_weights

    layout, tensors = read(source)
    config = AutoConfig.from_pretrained(config_folder)
    with no_init_weights():  # float weights are allocated but never written: no memory touched
        model: Any = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    for name, entry in layout.items():
        packed = packed_layer(tensors, name)
        if entry["kind"] == "linear":
            _replace(model, name, Int8Linear.from_packed(packed))
            continue
        group = Int8Group.from_packed(packed, entry["widths"])
        for part, member in enumerate(entry["members"]):
            linear = model.get_submodule(member)
            _replace(model, member, Int8GroupMember(group, part, linear))
    floats = {key.removeprefix("float."): value for key, value in tensors.items()}
    tensors.clear()
    missing, unexpected = model.load_state_dict(floats, strict=False, assign=True)
    if missing or unexpected:
        raise ValueError(f"weights missing {missing[:3]} or unexpected {unexpected[:3]}")
    model.eval()
    release_freed_memory()
    return model


def read(source: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The layout and the tensors of the cache file ``source`` (either loader's first step).

    The int8 rows are returned as read: they are packed and then dropped. Every other tensor is
    a copy, not a view of safe_open's map of the whole file, which would keep every page read
    while packing resident; large float tables (the token embeddings) are mapped on their own
    instead (:func:`mapped_tensor`), without being read here first.
    """
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as handle:
        metadata = handle.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise ValueError(f"format {metadata.get('format')!r}, expected {FORMAT!r}")
        layout = json.loads(metadata["layout"])
        tensors: dict[str, torch.Tensor] = {}
        for key in handle.keys():  # noqa: SIM118
            if key.endswith(".int8"):
                tensors[key] = handle.get_tensor(key)
            elif _stored_bytes(handle.get_slice(key)) >= MAP_AT_BYTES:
                tensors[key] = mapped_tensor(source, key)
            else:
                tensors[key] = handle.get_tensor(key).clone()
    return layout, tensors


def packed_layer(tensors: dict[str, torch.Tensor], name: str) -> _PackedInt8:
    """Layer ``name``'s int8 rows, scales and bias taken out of ``tensors``, packed."""
    return _PackedInt8.from_int8(
        tensors.pop(f"{name}.int8"), tensors.pop(f"{name}.scale"), tensors.pop(f"{name}.bias", None)
    )


def _stored_bytes(view: Any) -> int:
    count = 1
    for size in view.get_shape():
        count *= int(size)
    return count * _ITEM_BYTES.get(view.get_dtype(), 1)


def mapped_tensor(path: Path, key: str) -> torch.Tensor:
    """Tensor ``key`` of safetensors file ``path`` as a private, copy-on-write map of its bytes.

    A token-embedding table is read one row per token: mapped, only the pages around the tokens
    a learner actually used are ever read into memory (SmolLM2's float32 table is 113 MB), and
    the kernel may drop them again under pressure. The numbers are the file's, so replies are
    unchanged. The cache file is only ever replaced whole (``os.replace``), never rewritten in
    place, so the map stays valid. (The lean decoder reads the rows with ``os.pread`` instead,
    see ``tutor/file_rows.py``; transformers' embedding layer needs a tensor.)
    """
    import numpy as np

    offset, shape, dtype = tensor_extent(path, key)
    array = np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=shape)
    return torch.from_numpy(array)


MAP_AT_BYTES = 16 << 20  # float tensors from this size on are mapped, not copied
_ITEM_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I8": 1, "U8": 1}


def _put(tensors: dict[str, torch.Tensor], name: str, packed: _PackedInt8) -> None:
    weight, scale = packed.int8_weight()
    tensors[f"{name}.int8"] = weight
    tensors[f"{name}.scale"] = scale
    if packed.bias is not None:
        tensors[f"{name}.bias"] = packed.bias


def _replace(model: Any, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)
