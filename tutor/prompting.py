"""Render the prompt templates in ``prompts/`` with strict undefined variables."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import jinja2

import prompts as prompts_package

PROMPT_FOLDER = Path(prompts_package.__file__).parent


class PromptLibrary:
    def __init__(self, folder: Path = PROMPT_FOLDER) -> None:
        self.folder = folder
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for a language model, never HTML
            keep_trailing_newline=False,
            trim_blocks=False,
        )

    def render(self, name: str, **variables: object) -> str:
        return self._env.get_template(f"{name}.j2").render(**variables).strip()

    @cached_property
    def templates_hash(self) -> str:
        """One short hash of every template's bytes, recorded with each answer."""
        digest = hashlib.sha256()
        for path in sorted(self.folder.glob("*.j2")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]
