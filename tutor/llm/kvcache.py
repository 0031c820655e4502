"""A key/value cache of fixed slots, one per running chat, for batched decoding.

Each attention layer owns two buffers of shape ``(slots, kv_heads, length, head_dim)``; slot ``i``
holds the keys and values of the chat in batch row ``i`` at positions ``0 .. len_i - 1``. Nothing
is concatenated or copied per token: a decode step writes each row's new key at that row's own
position, and attention reads the first ``max(len_i) + 1`` positions under a mask that hides each
row's unused tail. The buffers grow (doubling) on demand, so memory follows the longest and
widest batch actually seen, up to ``max_slots`` x ``max_length``; :meth:`SlotCache.shrink`
gives the extra slots and positions back once the batch is over.

The cache is handed to a transformers model as its ``cache`` argument; the model calls
:meth:`SlotCache.update` once per layer. Before each forward the engine says what the call is
(:meth:`prefill` or :meth:`decode`). Buffers take their head count, head size, dtype and device
from the first keys they see, so any decoder that uses the standard ``update`` call fits.
"""

from __future__ import annotations

from typing import Any

import torch

_MIN_LENGTH = 256


class SlotCache:
    """Per-layer key/value buffers indexed by (slot, head, position)."""

    def __init__(self, max_slots: int, max_length: int) -> None:
        self.max_slots = max_slots
        self.max_length = max_length
        self._keys: list[torch.Tensor | None] = []
        self._values: list[torch.Tensor | None] = []
        self._slots = 0  # allocated sizes (all layers alike)
        self._length = 0
        # what the next forward does: set by prefill() / decode()
        self._prefill: tuple[int, int] | None = None
        self._rows: torch.Tensor | None = None
        self._positions: torch.Tensor | None = None
        self._span = 0

    # ---- sizing ---------------------------------------------------------------------------

    def reserve(self, slots: int, length: int) -> None:
        """Make room for ``slots`` rows of ``length`` positions (doubling; never shrinks)."""
        if slots > self.max_slots or length > self.max_length:
            raise ValueError(
                f"the cache holds at most {self.max_slots} x {self.max_length}, "
                f"not {slots} x {length}"
            )
        want_slots = self._grow(self._slots, slots, self.max_slots, 1)
        want_length = self._grow(self._length, length, self.max_length, _MIN_LENGTH)
        if (want_slots, want_length) == (self._slots, self._length):
            return
        for store in (self._keys, self._values):
            for index, old in enumerate(store):
                if old is None:
                    continue
                new = old.new_zeros((want_slots, old.shape[1], want_length, old.shape[3]))
                new[: old.shape[0], :, : old.shape[2]] = old
                store[index] = new
        self._slots, self._length = want_slots, want_length

    @staticmethod
    def _grow(current: int, needed: int, ceiling: int, floor: int) -> int:
        if needed <= current:
            return current
        size = max(current, floor)
        while size < needed:
            size *= 2
        return min(size, ceiling)

    def shrink(self, slots: int, length: int) -> None:
        """Free every slot from ``slots`` on and every position from ``length`` on (the rest
        keeps its keys and values). Buffers only ever grow while chats run; the engine calls
        this when it falls idle, so a burst of chats or one long chat does not hold its peak
        memory until the next one."""
        slots, length = min(slots, self._slots), min(length, self._length)
        if (slots, length) == (self._slots, self._length):
            return
        for store in (self._keys, self._values):
            for index, old in enumerate(store):
                if old is not None:
                    store[index] = old[:slots, :, :length].clone()  # a copy: the old one is freed
        self._slots, self._length = slots, length

    @property
    def allocated_slots(self) -> int:
        return self._slots

    @property
    def allocated_length(self) -> int:
        return self._length

    @property
    def allocated_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self._keys + self._values if t is not None)

    def clear(self) -> None:
        """Drop every buffer (their memory returns to the allocator)."""
        self._keys, self._values = [], []
        self._slots = self._length = 0

    # ---- what the next forward does -----------------------------------------------------

    def prefill(self, slot: int, start: int) -> None:
        """The next forward feeds one sequence's tokens from position ``start`` into ``slot``."""
        self._prefill = (slot, start)

    def decode(self, positions: torch.Tensor, span: int) -> None:
        """The next forward feeds one token per row ``0 .. n - 1``, at ``positions`` (shape n).

        Attention reads positions ``0 .. span - 1`` of each row (``span`` = the longest row + 1).
        """
        self._prefill = None
        rows = positions.shape[0]
        if self._rows is None or self._rows.shape[0] != rows:
            self._rows = torch.arange(rows, device=positions.device)
        self._positions = positions
        self._span = span

    def copy(self, source: int, target: int, length: int) -> None:
        """Copy the first ``length`` positions of slot ``source`` into slot ``target``."""
        if source == target or length == 0:
            return
        for store in (self._keys, self._values):
            for buffer in store:
                if buffer is not None:
                    buffer[target, :, :length] = buffer[source, :, :length]

    # ---- the model's side ---------------------------------------------------------------

    def update(
        self,
        key_states: torch.Tensor,
        value_states: torch.Tensor,
        layer_idx: int,
        *_: Any,
        **__: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store this layer's new keys and values; return all the keys and values to attend to."""
        keys, values = self._buffers(layer_idx, key_states, value_states)
        if self._prefill is not None:
            slot, start = self._prefill
            end = start + key_states.shape[2]
            keys[slot, :, start:end] = key_states[0]
            values[slot, :, start:end] = value_states[0]
            return keys[slot : slot + 1, :, :end], values[slot : slot + 1, :, :end]
        rows, positions = self._rows, self._positions
        assert rows is not None and positions is not None, "decode() was not called"
        count = key_states.shape[0]
        keys[rows, :, positions] = key_states[:, :, 0]
        values[rows, :, positions] = value_states[:, :, 0]
        return keys[:count, :, : self._span], values[:count, :, : self._span]

    def _buffers(
        self, layer_idx: int, key_states: torch.Tensor, value_states: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        while len(self._keys) <= layer_idx:
            self._keys.append(None)
            self._values.append(None)
        keys, values = self._keys[layer_idx], self._values[layer_idx]
        if keys is None or values is None:
            slots, length = self._slots, self._length  # set by reserve() before any forward
            keys = key_states.new_zeros((slots, key_states.shape[1], length, key_states.shape[3]))
            values = value_states.new_zeros(
                (slots, value_states.shape[1], length, value_states.shape[3])
            )
            self._keys[layer_idx], self._values[layer_idx] = keys, values
            self._slots, self._length = slots, length
        return keys, values

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Positions already held for the sequence being fed (for models that ask)."""
        return self._prefill[1] if self._prefill is not None else self._span - 1
