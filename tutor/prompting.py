"""Render the prompt templates in ``prompts/`` with strict undefined variables.

The tutor's own messages to the learner (not covered, safety replies) have a copy per language
in ``prompts/<lang>/<name>.j2``; ``render(name, language=...)`` uses it when it exists and the
English ``prompts/<name>.j2`` otherwise. Templates see ``languages``, the table of
``tutor.i18n.LANGUAGES`` (code -> (name in that language, direction)).
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import jinja2

import prompts as prompts_package
from tutor.i18n import DEFAULT_LANGUAGE, LANGUAGES

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
        self._env.globals["languages"] = LANGUAGES

    def template_name(self, name: str, language: str = DEFAULT_LANGUAGE) -> str:
        """The file ``render`` uses: the ``language`` copy when there is one, else English."""
        if language != DEFAULT_LANGUAGE and language in LANGUAGES:
            translated = f"{language}/{name}.j2"
            if (self.folder / translated).is_file():
                return translated
        return f"{name}.j2"

    def render(self, name: str, language: str = DEFAULT_LANGUAGE, **variables: object) -> str:
        template = self._env.get_template(self.template_name(name, language))
        return template.render(**variables).strip()

    @cached_property
    def templates_hash(self) -> str:
        """One short hash of every template's bytes (translations included), recorded with
        each answer."""
        digest = hashlib.sha256()
        for path in sorted(self.folder.rglob("*.j2")):
            digest.update(path.relative_to(self.folder).as_posix().encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]
