"""A deterministic language model for tests, demos and ``tutor serve --fake``.

``ScriptedModel`` answers from a table of scripted replies keyed by words of the question, or
echoes the first sentence of source ``[1]`` with a citation, so that the whole pipeline (retrieval,
prompt, citations, streaming, transcripts) can run without torch or a model file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from tutor.errors import ModelError

NOT_FOUND_REPLY = "I could not find that in the course material."

_WORDS = re.compile(r"\S+\s*|\s+")  # words with their trailing spaces; leading space kept whole
_FIRST_SOURCE = re.compile(r"\[1\]")
_NEXT_SOURCE = re.compile(r"\[\d+\]")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_MAX_SENTENCE_CHARS = 400


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def first_source_sentence(text: str) -> str | None:
    """The first sentence after the first ``[1]`` in ``text``, or None when there is none.

    Lenient on purpose: the sentence ends at the first ``.``, ``!`` or ``?`` followed by a space,
    at the next numbered source, or after 400 characters, whichever comes first; line breaks
    inside it are folded into spaces.
    """
    found = _FIRST_SOURCE.search(text)
    if found is None:
        return None
    rest = text[found.end() :]
    following = _NEXT_SOURCE.search(rest)
    if following is not None:
        rest = rest[: following.start()]
    rest = " ".join(rest.split()).lstrip(":-–— ")
    end = _SENTENCE_END.search(rest)
    sentence = rest[: end.end()] if end is not None else rest
    sentence = sentence[:_MAX_SENTENCE_CHARS].strip()
    return sentence or None


class ScriptedModel:
    """A fake ``LanguageModel`` with fixed replies, keyed by question, or an echo of source [1].

    - ``replies``: when a key occurs in the last user message (case-insensitive), its reply is
      streamed; the first matching key, in the dict's order, wins.
    - ``default``: streamed when no key matches.
    - otherwise, an echo-style grounded answer: the first sentence after the first ``[1]`` in the
      last user message (or, failing that, in any other message, latest first) followed by
      `` [1]``; with no source at all, ``NOT_FOUND_REPLY``.

    Replies stream word by word (each word with its trailing spaces) and stop after about
    ``max_new_tokens`` tokens, counted as ``count_tokens`` counts them. ``last_messages`` holds a
    copy of the messages of the latest call, for tests.
    """

    def __init__(
        self,
        replies: dict[str, str] | None = None,
        default: str | None = None,
        model_id: str = "fake-scripted",
        context_window: int = 2048,
    ) -> None:
        self.replies = dict(replies or {})
        self.default = default
        self.model_id = model_id
        self.context_window = context_window
        self.last_messages: list[dict[str, str]] = []
        self.calls = 0

    def warm_up(self) -> None:
        """Nothing to load; present so the fake and the real models are warmed up alike."""

    def count_tokens(self, text: str) -> int:
        """About 4 tokens per 3 words (English BPE's usual ratio), rounded up: cheap and stable."""
        words = len(text.split())
        return -(-words * 4 // 3)

    def stream(
        self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256
    ) -> Iterator[str]:
        """Check the prompt fits, record it, then return an iterator over the reply's words."""
        if max_new_tokens < 1:
            raise ModelError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        prompt_tokens = sum(self.count_tokens(m.get("content", "")) for m in messages)
        if prompt_tokens > self.context_window - max_new_tokens:
            raise ModelError(
                f"the prompt is {prompt_tokens} tokens but {self.model_id} reads at most "
                f"{self.context_window - max_new_tokens} before a {max_new_tokens}-token reply "
                f"(context window {self.context_window}); shorten the sources or the history"
            )
        self.last_messages = [dict(m) for m in messages]
        self.calls += 1
        reply = self.reply_for(messages)
        return self._pieces(reply, max_new_tokens)

    def reply_for(self, messages: Sequence[dict[str, str]]) -> str:
        """The whole reply the model gives to ``messages`` (before the token limit)."""
        question = ""
        for message in reversed(messages):
            if message.get("role") == "user":
                question = message.get("content", "")
                break
        lowered = question.lower()
        for key, reply in self.replies.items():
            if key.lower() in lowered:
                return reply
        if self.default is not None:
            return self.default
        candidates = [question] + [m.get("content", "") for m in reversed(messages)]
        for text in candidates:
            sentence = first_source_sentence(text)
            if sentence is not None:
                return f"{sentence} [1]"
        return NOT_FOUND_REPLY

    def _pieces(self, reply: str, max_new_tokens: int) -> Iterator[str]:
        budget = max(1, max_new_tokens * 3 // 4)  # words, the inverse of count_tokens
        for index, word in enumerate(_words(reply)):
            if index >= budget:
                return
            yield word
