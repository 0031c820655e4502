"""``POST /api/ask``: one question to the tutor over HTTP, answered as JSON or streamed as
server-sent events. The same chat service as the web chat answers it, so the access rules,
rate limits, conversation memory and transcript recording are the same.

Authentication
    The web chat's session cookie. Sign in with a form post to ``/login`` (a client that does
    not ask for HTML gets JSON and the ``tutor_session`` cookie), then send the cookie.

Request
    ``POST /api/ask`` with ``Content-Type: application/json`` and a JSON object (64 KiB at most)::

        {"question": "What does litmus do in an acid?",  # required, not blank
         "course": "chemistry",                        # required: a course you are enrolled in
         "mode": "explain",                            # "explain" (default) or "guide" (Socratic)
         "chat_id": null,                              # continue that chat of yours; null: new
         "stream": false}                              # true: server-sent events

    Unknown fields are refused. A question longer than ``max_question_chars`` is accepted and
    cut, with a notice in the answer, exactly as in the web chat.

Response (``"stream": false``)
    200 with the body of ``tutor ask --json``: ``answer``, ``mode``, ``refused``,
    ``not_covered``, ``sources`` (``n``, ``document``, ``title``, ``heading``, ``page``,
    ``score``, ``text``), ``timings_ms``, ``model``, and where the turn was recorded,
    ``turn_id`` and ``chat_id`` (send it back as ``chat_id`` to continue the conversation).
    The turn is on disk before the answer is sent.

Response (``"stream": true``)
    200 ``text/event-stream`` (``Cache-Control: no-cache``, ``X-Accel-Buffering: no``)::

        event: token
        data: {"text": "Litmus paper turns red "}
        ...
        event: answer
        data: {...the non-streamed body above...}

    The response starts with the first piece, so the checks made before it (sign-in, course,
    rate limit, busy) still answer with the error statuses below. The tokens are the answer's
    text as it passes the safety checks, in order; the ``answer`` event's ``answer`` is the
    authoritative final text (citations tidied), so a client replaces what it streamed with it.
    A failure after the stream has started ends it with ``event: error`` and
    ``data: {"error": "...", "status": 500}``. When the client goes away, generation stops
    after the piece under way and the unfinished answer is not recorded (a request without
    ``stream`` runs to its end and is recorded).

Errors (before any event; always JSON ``{"error": "a message a person can act on"}``)
    - 401: not signed in or the session expired (``{"error": "sign in first: POST /login"}``);
    - 403: not enrolled in the course;
    - 404: the course has no index;
    - 413: the body is over 64 KiB;
    - 415: the body is not ``application/json``;
    - 422: the body is not a valid request (the message names the field);
    - 429: too many questions from this learner (``Retry-After`` header, ``retry_after_s``);
    - 503: the tutor is busy: all answer slots are taken and the waiting line is full, or the
      wait ran out (``{"error": "the tutor is busy, try again in a few seconds",
      "retry_after_s": 5}`` and ``Retry-After``); try again after that many seconds;
    - 500: the tutor failed while answering (an operator finds the cause in the log).

Example::

    curl -c jar -d username=ann -d password=SECRET http://127.0.0.1:7860/login
    curl -b jar -N -H 'Content-Type: application/json' http://127.0.0.1:7860/api/ask \\
         -d '{"question": "What is the pH of pure water?", "course": "sample", "stream": true}'

Concurrency: answers are generated in worker threads, never on the event loop; at most
``queue_concurrency`` at once (``tutor.admission``), with up to ``queue_max_size`` waiting.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Literal

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tutor.accounts.access import AccessDenied, check_chat_course
from tutor.accounts.limits import RateLimited
from tutor.chat_service import RecordedAnswer
from tutor.errors import Busy, CourseNotFound, TutorError
from tutor.ui.routes import session_user

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from tutor.admission import Admission
    from tutor.chat_service import ChatService
    from tutor.transcripts.backend import Backend

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
SIGN_IN_FIRST = "sign in first: POST /login"
UNEXPECTED = "the tutor failed while answering; please try again"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_END = object()  # a generator's end, passed back from a worker thread


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    question: str
    course: str
    mode: Literal["explain", "guide"] = "explain"
    chat_id: str | None = None
    stream: bool = False

    @field_validator("question", "course")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class RequestProblem(Exception):
    """A request refused before the tutor sees it: its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error_status(exc: BaseException) -> int:
    if isinstance(exc, RequestProblem):
        return exc.status
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, Busy):
        return 503
    if isinstance(exc, CourseNotFound):
        return 404
    if isinstance(exc, ValueError):
        return 400
    return 500


def error_message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, TutorError | RequestProblem | ValueError) else UNEXPECTED


def retry_after(exc: BaseException) -> int | None:
    if isinstance(exc, Busy):
        return exc.retry_after_s
    if isinstance(exc, RateLimited):
        return exc.retry_after_s
    return None


def error_response(exc: BaseException) -> JSONResponse:
    """The JSON error for a request refused before its answer started."""
    body: dict[str, Any] = {"error": error_message(exc)}
    headers = {}
    wait = retry_after(exc)
    if wait is not None:
        body["retry_after_s"] = wait
        headers["Retry-After"] = str(wait)
    return JSONResponse(body, status_code=error_status(exc), headers=headers)


def invalid_body(exc: ValidationError) -> RequestProblem:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return RequestProblem(422, "invalid request: " + "; ".join(problems))


async def read_request(request: Request) -> AskRequest:
    """The request body, checked: JSON, at most ``MAX_BODY_BYTES``, a valid ``AskRequest``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise RequestProblem(415, "send the request as JSON (Content-Type: application/json)")
    too_large = RequestProblem(413, f"the request body is over {MAX_BODY_BYTES // 1024} KiB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    try:
        return AskRequest.model_validate_json(bytes(body))
    except ValidationError as exc:
        raise invalid_body(exc) from None


def sse(event: str, data: dict[str, Any]) -> str:
    """One server-sent event (JSON escapes newlines, so ``data`` stays on one line)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _step(events: Iterator[str | RecordedAnswer]) -> object:
    return next(events, _END)


def _final(events: Iterator[str | RecordedAnswer]) -> RecordedAnswer:
    final: RecordedAnswer | None = None
    for event in events:
        if isinstance(event, RecordedAnswer):
            final = event
    if final is None:
        raise RuntimeError("the chat service ended without an answer")
    return final


def _close(events: Iterator[str | RecordedAnswer]) -> None:
    close = getattr(events, "close", None)
    if callable(close):
        close()


class AnswerRun:
    """One streamed answer: the chat service's generator, advanced a step at a time in a worker
    thread, and the admission slot it holds until ``close``."""

    def __init__(
        self,
        events: Iterator[str | RecordedAnswer],
        admission: Admission,
        limiter: anyio.CapacityLimiter,
    ) -> None:
        self.events = events
        self.admission = admission
        self.limiter = limiter
        self.closed = False

    async def next(self) -> object:
        """The next event, or ``_END``. A cancelled caller still waits for the step to end
        (``abandon_on_cancel`` is off), so no step runs while ``close`` does."""
        return await anyio.to_thread.run_sync(_step, self.events, limiter=self.limiter)

    async def close(self) -> None:
        """Stop generating (the service and the model close their iterators on
        ``GeneratorExit``: nothing is recorded) and give the slot back; idempotent."""
        if self.closed:
            return
        self.closed = True
        try:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_close, self.events, limiter=self.limiter)
        except Exception:
            log.exception("closing an answer failed")
        finally:
            self.admission.release()


async def stream_events(run: AnswerRun, first: object) -> AsyncIterator[str]:
    event = first
    try:
        while event is not _END:
            if isinstance(event, RecordedAnswer):
                yield sse("answer", event.to_json())
            else:
                yield sse("token", {"text": str(event)})
            event = await run.next()
    except Exception as exc:
        if error_status(exc) == 500:
            log.exception("answering failed while streaming")
        else:
            log.info("question not answered", extra={"error": str(exc)})
        yield sse("error", {"error": error_message(exc), "status": error_status(exc)})


class EventStream(StreamingResponse):
    """Server-sent events that close their ``AnswerRun`` however the response ends: finished,
    failed, or cut short by the client going away (the stream task is then cancelled)."""

    def __init__(self, run: AnswerRun, first: object) -> None:
        super().__init__(
            stream_events(run, first), media_type="text/event-stream", headers=STREAM_HEADERS
        )
        self.run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.run.close()


def add_api_routes(
    app: FastAPI, chats: ChatService, backend: Backend, admission: Admission
) -> None:
    """Add ``POST /api/ask`` to ``app`` (before Gradio is mounted)."""
    # The API's own worker threads, apart from the default pool of sync routes such as /login:
    # one per waiting question, one per answer's current step, and a few to say "busy".
    limiter = anyio.CapacityLimiter(admission.concurrency + admission.max_waiting + 8)

    @app.post("/api/ask", response_model=None)
    async def ask(request: Request) -> Response:
        user = session_user(backend, request)
        if user is None:
            return JSONResponse({"error": SIGN_IN_FIRST}, status_code=401)
        try:
            body = await read_request(request)
            check_chat_course(user, body.course)  # before taking a slot
            await anyio.to_thread.run_sync(admission.acquire, limiter=limiter)
        except (RequestProblem, TutorError) as exc:
            return error_response(exc)
        # A slot is held from here: every path below gives it back.
        events = chats.stream(
            user, body.question, course=body.course, mode=body.mode, chat_id=body.chat_id
        )
        log.info("api question", extra={"course": body.course, "stream": body.stream})
        if not body.stream:
            try:
                final = await anyio.to_thread.run_sync(_final, events, limiter=limiter)
            except Exception as exc:
                return _refused(exc)
            finally:
                admission.release()
            return JSONResponse(final.to_json())
        run = AnswerRun(events, admission, limiter)
        try:
            # The first step runs the access, rate and course checks: their failures still
            # get their own HTTP status instead of an error event.
            first = await run.next()
        except Exception as exc:
            await run.close()
            return _refused(exc)
        return EventStream(run, first)


def _refused(exc: Exception) -> JSONResponse:
    if error_status(exc) == 500:
        log.exception("answering failed")
    else:
        log.info("question not answered", extra={"error": str(exc)})
    return error_response(exc)
