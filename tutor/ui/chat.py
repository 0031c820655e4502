"""The learner's chat: choose a course and a mode, ask, watch the answer stream in with sources,
rate the answer.

The conversation memory given to the pipeline is read from the transcript store (the chat id
lives in a per-session, server-side ``gr.State``), and the messages shown are also kept
server-side: the chat history the browser sends back could be forged, so it is never read.
``answer_turn`` is the same exchange without accounts or recording (kept for direct use).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrieval.course_index import list_courses
from tutor.accounts.access import User, may_chat
from tutor.chat_service import ChatService, RecordedAnswer
from tutor.errors import TutorError
from tutor.types import Answer, ChatTurn, Mode
from tutor.ui import offline_environment
from tutor.ui.render import render_answer, render_error, render_streaming

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.pipeline import Pipeline
    from tutor.services import Services
    from tutor.transcripts.backend import Backend

log = logging.getLogger(__name__)

CHAT_API_NAME = "chat"
TITLE = "Course tutor"
INTRO = (
    "Ask a question about your course. Answers come only from the course material; "
    "numbers such as [1] point to the sources listed under each answer."
)
MODE_CHOICES = [("Explain", "explain"), ("Guide me", "guide")]
MODE_INFO = (
    "Explain: a clear answer with its sources. "
    "Guide me: hints and questions that help you work it out yourself."
)
NO_COURSE = (
    "no course has been loaded yet. Ask your teacher to add the course material "
    "(tutor ingest PATH --course NAME)."
)
UNEXPECTED = (
    "Sorry, something went wrong while answering. Please try again in a moment; if it keeps "
    "happening, tell your teacher."
)

Message = dict[str, str]
UserOf = Callable[[Any], User | None]  # the signed-in user of a gr.Request


def course_choices(services: Services) -> tuple[list[str], str | None]:
    """The indexed courses and the one to preselect (the default course when present)."""
    courses = list_courses(services.settings.courses_dir)
    default = services.settings.default_course
    if default in courses:
        return courses, default
    return courses, (courses[0] if courses else None)


def answer_turn(
    pipeline: Pipeline,
    message: str,
    turns: list[ChatTurn],
    shown: list[Message],
    course: str | None,
    mode: str | None,
) -> Iterator[tuple[list[Message], list[ChatTurn]]]:
    """Stream one exchange: yields (messages to show, conversation memory) as it goes.

    Plain Python (no Gradio), so it can be tested directly.
    """
    question = (message or "").strip()
    if not question:
        yield shown, turns
        return
    chosen: Mode = "guide" if mode == "guide" else "explain"
    user: Message = {"role": "user", "content": question}
    pending: list[Message] = [*shown, user, {"role": "assistant", "content": "…"}]
    yield pending, turns
    if not course:
        yield [*pending[:-1], {"role": "assistant", "content": render_error(NO_COURSE)}], turns
        return

    text = ""
    answer: Answer | None = None
    try:
        for event in pipeline.stream(question, course=course, mode=chosen, history=turns):
            if isinstance(event, Answer):
                answer = event
            else:
                text += event
                yield (
                    [*pending[:-1], {"role": "assistant", "content": render_streaming(text)}],
                    turns,
                )
    except TutorError as exc:
        log.info("question not answered", extra={"course": course, "error": str(exc)})
        yield [*pending[:-1], {"role": "assistant", "content": render_error(str(exc))}], turns
        return
    except Exception:
        log.exception("answering failed", extra={"course": course})
        yield [*pending[:-1], {"role": "assistant", "content": UNEXPECTED}], turns
        return
    if answer is None:  # the pipeline always ends with an Answer; be safe anyway
        yield [*pending[:-1], {"role": "assistant", "content": UNEXPECTED}], turns
        return

    final = [*pending[:-1], {"role": "assistant", "content": render_answer(answer)}]
    # Remember only exchanges the tutor really answered from the course.
    if not (answer.not_covered or answer.refused):
        # The question as the pipeline used it (cut to length, personal data redacted).
        asked = answer.question or question
        turns = [*turns, ChatTurn(question=asked, answer=answer.answer)]
    yield final, turns


def user_courses(services: Services, user: User | None) -> tuple[list[str], str | None]:
    """The indexed courses ``user`` may chat in, and the one to preselect."""
    courses, _ = course_choices(services)
    mine = [c for c in courses if user is not None and may_chat(user, c)]
    default = services.settings.default_course
    return mine, (default if default in mine else (mine[0] if mine else None))


def recorded_turn(
    chats: ChatService,
    user: User | None,
    message: str,
    chat_id: str | None,
    shown: list[Message],
    course: str | None,
    mode: str | None,
) -> Iterator[tuple[list[Message], str | None, int | None]]:
    """Stream one exchange through ``ChatService`` (access, rate limit, memory from the
    transcript, recording): yields (messages to show, chat id, recorded turn id).

    The final answer is yielded only once its turn is on disk. Plain Python, testable directly.
    """
    question = (message or "").strip()
    if not question:
        yield shown, chat_id, None
        return
    user_message: Message = {"role": "user", "content": question}
    pending: list[Message] = [*shown, user_message, {"role": "assistant", "content": "…"}]
    yield pending, chat_id, None

    def final(content: str) -> list[Message]:
        return [*pending[:-1], {"role": "assistant", "content": content}]

    if user is None:
        yield final(render_error("please sign in again")), chat_id, None
        return
    if not course:
        yield final(render_error(NO_COURSE)), chat_id, None
        return
    text = ""
    try:
        for event in chats.stream(
            user, question, course=course, mode=mode or "explain", chat_id=chat_id
        ):
            if isinstance(event, RecordedAnswer):
                yield final(render_answer(event.answer)), event.chat_id, event.turn_id
                return
            text += event
            yield final(render_streaming(text)), chat_id, None
    except TutorError as exc:
        log.info("question not answered", extra={"course": course, "error": str(exc)})
        yield final(render_error(str(exc))), chat_id, None
        return
    except Exception:
        log.exception("answering failed", extra={"course": course})
        yield final(UNEXPECTED), chat_id, None
        return
    yield final(UNEXPECTED), chat_id, None  # the service always ends with a RecordedAnswer


def build_chat_tab(
    services: Services, chats: ChatService, backend: Backend, user_of: UserOf
) -> ChatParts:
    """The learner chat, inside the current Blocks context; returns what ``demo.load`` fills."""

    with gr.Row(elem_id="tutor-options"):
        course = gr.Dropdown(
            choices=[],
            value=None,
            label="Course",
            interactive=True,
            allow_custom_value=True,  # filled per user on load; the service checks enrolment
            elem_id="tutor-course",
            min_width=200,
        )
        mode = gr.Radio(
            choices=MODE_CHOICES,
            value="explain",
            label="Mode",
            info=MODE_INFO,
            elem_id="tutor-mode",
            min_width=200,
        )
    chatbot = gr.Chatbot(
        label="Conversation",
        elem_id="tutor-chatbot",
        buttons=["copy", "copy_all"],
        feedback_options=None,
        height="60vh",
        placeholder="Your conversation will appear here.",
    )
    with gr.Row(elem_id="tutor-input-row", equal_height=True):
        textbox = gr.Textbox(
            label="Your question",
            placeholder="Type your question and press Enter or Send",
            lines=1,
            max_lines=6,
            max_length=services.settings.max_question_chars,
            scale=1,
            min_width=0,
            elem_id="tutor-question",
            autofocus=True,
        )
        send = gr.Button("Send", variant="primary", scale=0, min_width=72, elem_id="tutor-send")
    with gr.Row(elem_id="tutor-feedback-row", equal_height=True):
        comment = gr.Textbox(
            label="Comment on the last answer (optional)",
            lines=1,
            max_length=500,
            scale=1,
            min_width=0,
            elem_id="tutor-feedback-comment",
        )
        up = gr.Button("👍 Helpful", scale=0, min_width=72, elem_id="tutor-thumbs-up")
        down = gr.Button("👎 Not helpful", scale=0, min_width=72, elem_id="tutor-thumbs-down")
    feedback_note = gr.Markdown("", elem_id="tutor-feedback-note")
    new_chat = gr.Button("New chat", variant="secondary", elem_id="tutor-new-chat")
    # Server-side session state; the browser's copy of the chat is never read.
    chat_id = gr.State(None)  # the transcript chat this page writes to
    shown = gr.State([])  # the messages this server produced, shown in the chatbot
    last_turn = gr.State(None)  # the recorded turn the thumbs rate

    def respond(
        message: str,
        chat_value: str | None,
        shown_value: list[Message],
        course_value: str | None,
        mode_value: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        if not (message or "").strip():
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
            return
        user = user_of(request)
        for messages, new_chat_id, turn_id in recorded_turn(
            chats, user, message, chat_value, shown_value, course_value, mode_value
        ):
            yield messages, new_chat_id, messages, turn_id, ""

    chat_event = gr.on(
        triggers=[textbox.submit, send.click],
        fn=respond,
        inputs=[textbox, chat_id, shown, course, mode],
        outputs=[chatbot, chat_id, shown, last_turn, textbox],
        api_name=CHAT_API_NAME,
        concurrency_id="chat",
    )

    def rate(rating: int) -> Any:
        def handler(turn_id: int | None, text: str, request: gr.Request) -> tuple[str, str]:
            if turn_id is None:
                return "Ask a question first, then rate its answer.", text
            user = user_of(request)
            if user is None:
                return "Please sign in again.", text
            try:
                backend.desk.feedback(user, int(turn_id), rating, text or "")
            except TutorError as exc:
                return f"Could not save your rating: {exc}", text
            return "Thank you: your teacher will see your rating.", ""

        return handler

    for button, value in ((up, 1), (down, -1)):
        button.click(
            rate(value),
            inputs=[last_turn, comment],
            outputs=[feedback_note, comment],
            api_visibility="private",
        )

    def clear() -> tuple[list[Message], None, list[Message], None, str, str]:
        return [], None, [], None, "", ""

    # "New chat" and the chatbot's own bin button both start over, memory included.
    gr.on(
        triggers=[new_chat.click, chatbot.clear],
        fn=clear,
        outputs=[chatbot, chat_id, shown, last_turn, textbox, feedback_note],
        cancels=[chat_event],
        api_visibility="private",
        queue=False,
    )
    # A new course starts a new chat too: a chat belongs to one course.
    course.input(
        clear,
        outputs=[chatbot, chat_id, shown, last_turn, textbox, feedback_note],
        api_visibility="private",
        queue=False,
    )
    return ChatParts(course=course)


@dataclass
class ChatParts:
    course: Any


__all__ = ["CHAT_API_NAME", "answer_turn", "build_chat_tab", "course_choices", "recorded_turn"]
