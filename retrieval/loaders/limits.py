"""Size limits checked before a file is parsed: file size, text decoding, zip inflation."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from retrieval.loaders.base import SkipDocument
from tutor.config import IngestLimits

BINARY_SNIFF_BYTES = 8192
BOMB_RATIO = 200  # compression ratio above which a large member is treated as a bomb
BOMB_MIN_BYTES = 10_000_000  # ... but only when it inflates to more than this

_NON_ASCII_TEXT = re.compile("[^\x00-\x7f\ufffd]")


def megabytes(n: int) -> str:
    """A size for a message: "3.2 MB", or bytes/KB when small."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} KB"
    return f"{n} bytes"


def check_size(path: Path, limits: IngestLimits) -> None:
    """Refuse, without reading it, a file larger than ``limits.max_file_bytes``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SkipDocument(f"cannot read the file ({exc.strerror or exc})") from exc
    if size > limits.max_file_bytes:
        raise SkipDocument(
            f"file is {megabytes(size)}, over the limit of {megabytes(limits.max_file_bytes)}"
        )


def read_limited(path: Path, limits: IngestLimits) -> bytes:
    """The file's bytes, refusing (unread) a file larger than ``limits.max_file_bytes``."""
    check_size(path, limits)
    try:
        with path.open("rb") as handle:
            # Read one byte past the limit: a file that grew since stat() is still refused.
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise SkipDocument(f"cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > limits.max_file_bytes:
        raise SkipDocument(f"file is over the limit of {megabytes(limits.max_file_bytes)}")
    return data


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (BOM or not), UTF-16 with a BOM, else cp1252/latin-1.

    A file with NUL bytes near its start is binary and is refused. UTF-8 with a few broken bytes
    (real multi-byte characters elsewhere, under 1% replaced) keeps UTF-8 with replacements.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SkipDocument("not readable as UTF-16 text") from exc
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise SkipDocument("binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    replaced = text.count("\ufffd")
    if replaced * 100 <= len(text) and _NON_ASCII_TEXT.search(text):
        return text
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def check_zip(path: Path, limits: IngestLimits, kind: str) -> None:
    """Refuse an archive that is not a zip or that would inflate beyond the limits.

    Only the central directory is read; nothing is decompressed. Python's zipfile never yields
    more than a member's declared size, so these declared sizes bound what parsing inflates.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SkipDocument(f"not a readable {kind} (not a valid zip archive)") from exc
    total = sum(m.file_size for m in members)
    if total > limits.max_inflated_bytes:
        raise SkipDocument(
            f"archive inflates to {megabytes(total)}, over the limit of "
            f"{megabytes(limits.max_inflated_bytes)}"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > BOMB_RATIO and member.file_size > BOMB_MIN_BYTES:
            raise SkipDocument(
                f"archive member {member.filename} inflates {ratio:.0f}:1 to "
                f"{megabytes(member.file_size)} (a decompression bomb?)"
            )
