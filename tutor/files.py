"""Writing a file so that readers see the old one or the new one, never a part of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary path beside ``target``, then rename it over ``target``.

    The rename is atomic on one file system, so a killed process leaves the previous file (or
    none) and at worst a hidden temporary, which is removed when ``write`` fails. Raises
    ``OSError`` when the folder cannot be written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        write(Path(temp))
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
