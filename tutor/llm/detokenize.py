"""Turn a growing list of token ids into text pieces without splitting a character.

A byte-level tokenizer can cut a multi-byte character (an accent, an emoji) across two tokens;
decoding the first alone yields U+FFFD. :class:`IncrementalText` decodes a short window of the
latest ids, emits only what follows the text already emitted, and holds the piece back while it
ends with U+FFFD. Decoding the window with one token of context before it keeps tokenizers that
drop a leading space (SentencePiece) from eating the space between pieces.
"""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


class IncrementalText:
    """The new text of each token; ``"".join`` of all pieces equals decoding all the ids."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix = 0  # window start: ids before it are emitted and need no context
        self._read = 0  # ids before it are emitted

    def _decode(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids, skip_special_tokens=True))

    def push(self, token_id: int) -> str:
        """Add one token; return the text it completes (often "", then more at once)."""
        self._ids.append(token_id)
        done = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        if len(text) <= len(done) or text.endswith(REPLACEMENT):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return text[len(done) :]

    def flush(self) -> str:
        """The text still held back (an unfinished character decodes as U+FFFD)."""
        done = self._decode(self._ids[self._prefix : self._read])
        text = self._decode(self._ids[self._prefix :])
        self._prefix = self._read = len(self._ids)
        return text[len(done) :]
