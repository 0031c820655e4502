"""Citation markers in answers: keep the valid ones, drop invented ones."""

from __future__ import annotations

import re

_MARKER = re.compile(r"\[(\d{1,3})\]")


def cited_numbers(answer: str, available: int) -> list[int]:
    """Source numbers the answer refers to, in order of first mention."""
    seen: list[int] = []
    for match in _MARKER.finditer(answer):
        n = int(match.group(1))
        if 1 <= n <= available and n not in seen:
            seen.append(n)
    return seen


def clean_citations(answer: str, available: int) -> str:
    """Remove markers that point at no source (a small model sometimes invents [7])."""

    def keep(match: re.Match[str]) -> str:
        return match.group(0) if 1 <= int(match.group(1)) <= available else ""

    return _MARKER.sub(keep, answer)
