"""Atomic file writes: a failed write leaves the previous file and no temporary behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.files import write_atomically


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "cache.bin"
    write_atomically(target, lambda temp: temp.write_bytes(b"first"))
    assert target.read_bytes() == b"first"

    def broken(temp: Path) -> None:
        temp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, broken)
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["cache.bin"]
