"""Command groups of the ``tutor`` CLI, one module each (see ``tutor.cli.build_parser``).

A module defines ``register(subparsers, add_common)``: it adds its parsers, calls
``add_common(parser)`` for the shared options, and sets ``handler=fn(args, settings) -> int``
with ``parser.set_defaults``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_output(text: str, out: Path | None, summary: str) -> None:
    """Write an export to ``out`` (saying ``summary`` on stderr) or to standard output."""
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    print(f"{summary} to {out}", file=sys.stderr)
