"""A language model served by any OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, TGI.

The tutor sends ``POST {base_url}/chat/completions`` with ``"stream": true`` and reads the
server-sent events (``data: {...}`` lines, ending with ``data: [DONE]``). Answers are greedy
(temperature 0). Retrieval, safety checks and transcripts stay on the tutor's machine; only the
prompt (the question, recent turns and the retrieved sources) travels to the server.

Failures: connection errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff and
jitter, but only before the first piece of the reply has been streamed (after that a retry would
repeat text the learner has already seen). What remains becomes a ``ModelError`` that names the
server's URL. ``timeout_s`` bounds connecting and each wait between streamed pieces, not the
whole answer.

Token counts: the OpenAI API has no tokenizer endpoint (vLLM and llama.cpp each have their own,
at different paths), and one HTTP call per count would slow prompt building, so ``count_tokens``
estimates ``ceil(UTF-8 bytes / 3)``. English BPE tokenizers average about 4 characters a token,
so the estimate is ~25% high for English text and close for most other scripts: prompts are
trimmed a little more than needed rather than overflowing the server's window.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tutor.errors import ConfigError, ModelError

logger = logging.getLogger(__name__)

DEFAULT_CONTEXT_WINDOW = 2048
BACKOFF_S = 0.5  # first retry waits about this long, then twice as long each time
MAX_BACKOFF_S = 8.0
_Pieces = Generator[str, None, None]
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BYTES_PER_TOKEN = 3


class _Retryable(Exception):
    """A failure before the first token that another attempt may cure."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def redact_url(url: str) -> str:
    """``url`` without a user name or password, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


class OpenAICompatibleModel:
    """A ``LanguageModel`` that streams from an OpenAI-compatible ``/chat/completions`` endpoint.

    - ``base_url``: the API root, e.g. ``http://gpu-server:8000/v1`` (vLLM, llama.cpp server)
      or ``http://localhost:11434/v1`` (Ollama).
    - ``model``: the model name the server serves (``GET {base_url}/models`` lists them).
    - ``api_key``: sent as ``Authorization: Bearer ...`` when set; never logged or shown.
    - ``context_window``: the prompt-plus-reply budget the tutor plans for. ``None`` (the
      default) starts at 2048 tokens, the window the tutor's prompt sizes are tuned for and one
      every server offers, and adopts the server's own window when ``warm_up`` finds it in the
      model listing (vLLM reports ``max_model_len``).
    - ``transport``: an ``httpx`` transport, for tests.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout_s: float = 60.0,
        retries: int = 2,
        context_window: int | None = None,
        backoff_s: float = BACKOFF_S,
        transport: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base_url = base_url.strip().rstrip("/")
        if urlsplit(base_url).scheme not in {"http", "https"} or not urlsplit(base_url).hostname:
            raise ConfigError(
                f"openai_base_url {redact_url(base_url)!r} is not an http(s) URL such as "
                "http://gpu-server:8000/v1"
            )
        if not model:
            raise ConfigError("openai_model is empty; name the model the server serves")
        if timeout_s <= 0:
            raise ConfigError(f"openai_timeout_s must be positive, not {timeout_s}")
        if retries < 0:
            raise ConfigError(f"openai_retries must be 0 or more, not {retries}")
        if context_window is not None and context_window < 2:
            raise ConfigError(f"context_window must be at least 2, not {context_window}")
        self.base_url = base_url
        self.url = redact_url(base_url)  # for messages and logs
        self.model_id = model
        self.timeout_s = float(timeout_s)
        self.retries = retries
        self.backoff_s = backoff_s
        self._fixed_window = context_window is not None
        self.context_window = context_window or DEFAULT_CONTEXT_WINDOW
        self._api_key = api_key
        self._transport = transport
        self._sleep = sleep
        self._client: Any = None
        self._client_lock = threading.Lock()
        self.load_seconds: float | None = None

    def __repr__(self) -> str:
        key = ", api_key=***" if self._api_key else ""
        return f"OpenAICompatibleModel({self.url!r}, {self.model_id!r}{key})"

    # ---- HTTP plumbing -------------------------------------------------------------------

    def _http(self) -> Any:
        """The shared ``httpx.Client`` (thread-safe, keeps connections alive), made once."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    import httpx

                    headers = {"Accept": "text/event-stream, application/json"}
                    if self._api_key:
                        headers["Authorization"] = f"Bearer {self._api_key}"
                    self._client = httpx.Client(
                        timeout=httpx.Timeout(self.timeout_s),
                        headers=headers,
                        transport=self._transport,
                        follow_redirects=False,
                    )
        return self._client

    def close(self) -> None:
        """Close the pooled connections (a later call opens new ones)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _unreachable(self, exc: Exception) -> str:
        return f"the model server at {self.url} is not reachable: {_describe(exc)}"

    def _timed_out(self) -> str:
        return (
            f"the model server at {self.url} did not answer within {self.timeout_s:g} s "
            "(openai_timeout_s)"
        )

    def _status_message(self, response: Any) -> str:
        detail = _error_detail(response)
        if response.status_code in (401, 403):
            return (
                f"the model server at {self.url} refused the request (HTTP "
                f"{response.status_code}): check openai_api_key; {detail}"
            )
        return f"the model server at {self.url} answered HTTP {response.status_code}: {detail}"

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_BACKOFF_S)
        base = min(self.backoff_s * (2**attempt), MAX_BACKOFF_S)
        return base * random.uniform(0.5, 1.5)  # jitter: clients that failed together spread

    # ---- warm-up -------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Check the server answers ``GET {base_url}/models`` and serves the configured model.

        Raises ``ModelError`` when the server is down and ``ConfigError`` when it serves other
        models. Adopts the server's context window when the listing reports one.
        """
        import httpx

        start = time.perf_counter()
        try:
            response = self._http().get(f"{self.base_url}/models")
        except httpx.TimeoutException as exc:
            raise ModelError(self._timed_out()) from exc
        except httpx.HTTPError as exc:
            raise ModelError(self._unreachable(exc)) from exc
        if response.status_code != 200:
            raise ModelError(self._status_message(response))
        try:
            listing = response.json()
            models = [m for m in listing.get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError) as exc:
            raise ModelError(
                f"the model server at {self.url} did not answer GET /models with an "
                "OpenAI-style model list"
            ) from exc
        names = [str(m.get("id")) for m in models]
        if self.model_id not in names:
            raise ConfigError(
                f"the model server at {self.url} does not serve {self.model_id!r}; it serves: "
                f"{', '.join(names) or 'nothing'} (set openai_model to one of these)"
            )
        entry = models[names.index(self.model_id)]
        window = entry.get("max_model_len")
        if not self._fixed_window and isinstance(window, int) and window >= 2:
            self.context_window = window
        self.load_seconds = time.perf_counter() - start
        logger.info(
            "model server %s serves %s (context window %d)",
            self.url,
            self.model_id,
            self.context_window,
        )

    # ---- tokens --------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """A conservative estimate: ``ceil(UTF-8 bytes / 3)`` (see the module's notes)."""
        return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)

    # ---- generation ----------------------------------------------------------------------

    def stream(
        self, messages: Sequence[dict[str, str]], *, max_new_tokens: int = 256
    ) -> Iterator[str]:
        """Return an iterator over the reply's pieces; the request goes out on the first read.

        Closing the iterator early closes the HTTP response, which ends the generation on
        servers that notice a closed connection (vLLM and llama.cpp do).
        """
        if max_new_tokens < 1:
            raise ModelError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        payload = {
            "model": self.model_id,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "stream": True,
        }
        return self._generate(payload)

    def _generate(self, payload: dict[str, Any]) -> Iterator[str]:
        response, pieces, first = self._first_piece(payload)
        try:
            if first is None:
                return
            yield first
            yield from self._rest(pieces)
        finally:
            pieces.close()
            response.close()

    def _first_piece(self, payload: dict[str, Any]) -> tuple[Any, _Pieces, str | None]:
        """Send the request and read up to the first piece, retrying what may be retried."""
        attempt = 0
        while True:
            response: Any = None
            pieces: _Pieces | None = None
            try:
                response = self._open(payload)
                pieces = self._pieces(response)
                first = self._next(pieces, first=True)
                return response, pieces, first
            except _Retryable as exc:
                if pieces is not None:
                    pieces.close()
                if response is not None:
                    response.close()
                if attempt >= self.retries:
                    raise ModelError(str(exc)) from exc.__cause__
                delay = self._backoff(attempt, exc.retry_after)
                attempt += 1
                logger.warning(
                    "model server %s: %s; retry %d of %d in %.1f s",
                    self.url,
                    exc,
                    attempt,
                    self.retries,
                    delay,
                )
                self._sleep(delay)
            except BaseException:
                if pieces is not None:
                    pieces.close()
                if response is not None:
                    response.close()
                raise

    def _open(self, payload: dict[str, Any]) -> Any:
        import httpx

        client = self._http()
        try:
            request = client.build_request(
                "POST", f"{self.base_url}/chat/completions", json=payload
            )
            response = client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise _Retryable(self._timed_out()) from exc
        except httpx.TransportError as exc:
            raise _Retryable(self._unreachable(exc)) from exc
        if response.status_code == 200:
            return response
        try:
            response.read()
        except httpx.HTTPError:
            pass
        finally:
            response.close()
        message = self._status_message(response)
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(message, _retry_after(response))
        raise ModelError(message)

    def _next(self, pieces: _Pieces, *, first: bool) -> str | None:
        """The next piece, or None at the end; transport failures become errors."""
        import httpx

        try:
            return next(pieces, None)
        except httpx.TimeoutException as exc:
            if first:
                raise _Retryable(self._timed_out()) from exc
            raise ModelError(
                f"the model server at {self.url} stopped answering for {self.timeout_s:g} s "
                "in the middle of a reply (openai_timeout_s)"
            ) from exc
        except httpx.HTTPError as exc:
            if first:
                raise _Retryable(self._unreachable(exc)) from exc
            raise ModelError(
                f"the connection to the model server at {self.url} broke in the middle of a "
                f"reply: {_describe(exc)}"
            ) from exc

    def _rest(self, pieces: _Pieces) -> Iterator[str]:
        while True:
            piece = self._next(pieces, first=False)
            if piece is None:
                return
            yield piece

    def _pieces(self, response: Any) -> _Pieces:
        """The reply's text pieces from the server-sent events of ``response``."""
        if response.headers.get("content-type", "").startswith("application/json"):
            yield from self._whole(response)  # a server that ignored "stream": true
            return
        data: list[str] = []
        for line in response.iter_lines():
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
                continue
            if line or not data:  # another field (event:, id:, a ": comment"), or no event yet
                continue
            event, data = "\n".join(data), []
            if event.strip() == "[DONE]":
                return
            text = self._delta(event)
            if text:
                yield text
        if data and "\n".join(data).strip() != "[DONE]":  # a last event without a blank line
            text = self._delta("\n".join(data))
            if text:
                yield text

    def _whole(self, response: Any) -> _Pieces:
        """The reply of a non-streamed chat completion, as one piece."""
        try:
            body = json.loads(response.read())
            content = body["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ModelError(
                f"the model server at {self.url} answered with JSON that is not a chat completion"
            ) from exc
        if isinstance(content, str) and content:
            yield content

    def _delta(self, event: str) -> str | None:
        try:
            chunk = json.loads(event)
        except ValueError as exc:
            raise ModelError(
                f"the model server at {self.url} sent a stream event that is not JSON: "
                f"{event[:200]!r}"
            ) from exc
        if not isinstance(chunk, dict):
            return None
        if chunk.get("error"):
            raise ModelError(
                f"the model server at {self.url} failed while answering: "
                f"{_message_of(chunk['error'])}"
            )
        choices = chunk.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return None
        delta = choices[0].get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        return content if isinstance(content, str) else None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _message_of(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)[:500]
    return str(error)[:500]


def _error_detail(response: Any) -> str:
    """The server's own error message from a JSON body, else the start of the body."""
    try:
        body = response.json()
    except Exception:
        text = ""
        with contextlib.suppress(Exception):
            text = response.text.strip()
        return text[:300] or response.reason_phrase or "no details"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                return _message_of(body[key])
    return str(body)[:300]


def _retry_after(response: Any) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to the exponential backoff
