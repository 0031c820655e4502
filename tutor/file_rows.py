"""A token-embedding table whose rows are read from its file when a token needs them.

The chat model's decoder reads one row of its 113 MB float32 embedding table per token. Mapped
into memory, each row read also brings in the file pages the kernel maps around it (64 KB), so
the table's resident share grows with every new word learners use: 17 MB after two answers,
and most of the table over a long day in several languages, all counted in the server's RSS.
:class:`FileRows` reads exactly the rows a forward needs with ``os.pread`` into a fresh tensor:
the numbers are the file's (replies unchanged), the page cache keeps hot rows fast, and nothing
of the table stays in the process. A prompt of 700 tokens costs a few hundred reads (well under
a millisecond); a decode step, one per chat. The embedder's BERT reads its 47 MB table of
word pieces the same way (``retrieval/embedders/lean_bert.py``).
"""

from __future__ import annotations

import json
import os
import weakref
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

_NUMPY_DTYPES = {"F32": "<f4", "F16": "<f2"}


def tensor_extent(path: Path, key: str) -> tuple[int, tuple[int, ...], str]:
    """Where tensor ``key``'s bytes start in safetensors file ``path``, its shape and its numpy
    dtype (float32 or float16 only)."""
    with path.open("rb") as handle:
        header_size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(header_size))
    entry = header[key]
    dtype = _NUMPY_DTYPES.get(entry["dtype"])
    if dtype is None:
        raise ValueError(f"{key}: cannot map dtype {entry['dtype']}")
    begin, end = entry["data_offsets"]
    shape = tuple(int(size) for size in entry["shape"])
    if end - begin != int(np.prod(shape)) * np.dtype(dtype).itemsize:
        raise ValueError(f"{key}: size does not match its shape")
    return 8 + header_size + begin, shape, dtype


class FileRows:
    """Rows of a 2-D float tensor stored in a safetensors file, read on demand."""

    def __init__(self, path: Path, key: str) -> None:
        self._offset, shape, numpy_dtype = tensor_extent(path, key)
        if len(shape) != 2:
            raise ValueError(f"{key}: a table of rows has two dimensions, not {len(shape)}")
        self.shape = torch.Size(shape)
        self._numpy_dtype = np.dtype(numpy_dtype)
        self.dtype = torch.from_numpy(np.zeros(0, self._numpy_dtype)).dtype
        self.device = torch.device("cpu")
        self._row_bytes = shape[1] * self._numpy_dtype.itemsize
        # One descriptor for the life of the table: a cache file is only ever replaced whole
        # (os.replace), so it keeps reading the file it was opened on.
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def lookup(self, ids: torch.Tensor) -> torch.Tensor:
        """The rows of ``ids`` (any shape), shaped ``(*ids.shape, width)``: ``F.embedding``."""
        flat = ids.reshape(-1).tolist()
        wanted = sorted(set(flat))
        if wanted and (wanted[0] < 0 or wanted[-1] >= self.shape[0]):
            raise IndexError(f"token ids must lie in 0 .. {self.shape[0] - 1}")
        table = np.empty((len(wanted), self.shape[1]), dtype=self._numpy_dtype)
        for place, row in enumerate(wanted):
            got = os.preadv(self._fd, [table[place]], self._offset + row * self._row_bytes)
            if got != self._row_bytes:
                raise OSError(f"short read of embedding row {row}: {got} bytes")
        where = {row: place for place, row in enumerate(wanted)}
        index = torch.tensor([where[row] for row in flat], dtype=torch.long)
        return torch.from_numpy(table)[index].reshape(*ids.shape, self.shape[1])


def rows_from_file(path: Path, key: str, loaded: torch.Tensor) -> torch.Tensor | FileRows:
    """Table ``key`` of ``path`` read by row, or ``loaded`` (its tensor) when it is stored in a
    type numpy does not read (bfloat16)."""
    try:
        return FileRows(path, key)
    except ValueError:
        return loaded


def embedding(table: torch.Tensor | FileRows, ids: torch.Tensor) -> torch.Tensor:
    """``F.embedding(ids, table)`` for a table in memory or read from its file."""
    if isinstance(table, torch.Tensor):
        return F.embedding(ids, table)
    return table.lookup(ids)
