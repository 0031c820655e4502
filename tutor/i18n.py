"""The languages of the interface and the tutor's own messages.

Catalogs are JSON files, one per language and domain: ``tutor/locales/<lang>/<domain>.json``
(``chat.json`` for the chat page, ``learning.json`` for the learner's profile and practice...).
A key is ``"<domain>.<name>"``; a key missing from a language falls back to English, and a key
missing from English is a programming error (``KeyError``), caught by the catalog tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
# code -> (name in that language, text direction)
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "ltr"),
    "es": ("Español", "ltr"),
    "fr": ("Français", "ltr"),
    "ar": ("العربية", "rtl"),
    "hi": ("हिन्दी", "ltr"),
    "zh": ("中文", "ltr"),
}


def supported(code: str | None) -> str:
    """``code`` (or its primary subtag, "es-MX" -> "es") when supported, else English."""
    if not code:
        return DEFAULT_LANGUAGE
    primary = code.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an ``Accept-Language`` header (quality-ordered)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip()))
    for negative_quality, _, tag in sorted(ranked):
        primary = tag.lower().split("-")[0]
        if negative_quality < 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def direction(code: str) -> str:
    """ "rtl" for right-to-left languages, else "ltr"."""
    return LANGUAGES[supported(code)][1]


@cache
def _catalog(code: str, domain: str) -> dict[str, str]:
    path = LOCALES / code / f"{domain}.json"
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def text(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The message ``key`` ("domain.name") in ``language``, formatted with ``values``."""
    domain, _, name = key.partition(".")
    code = supported(language)
    template = _catalog(code, domain).get(name)
    if template is None:
        template = _catalog(DEFAULT_LANGUAGE, domain)[name]
    return template.format(**values) if values else template
