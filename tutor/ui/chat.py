"""The learner's chat: choose a course and a mode, ask, watch the answer stream in with sources,
rate the answer, in the learner's language.

The conversation memory given to the pipeline is read from the transcript store (the chat id
lives in a per-session, server-side ``gr.State``), and the messages shown are also kept
server-side: the chat history the browser sends back could be forged, so it is never read.
``answer_turn`` is the same exchange without accounts or recording (kept for direct use).

Every word the learner sees comes from the ``chat`` catalog (``tutor.i18n``); the components are
built with English labels and ``ChatParts.relabel`` gives the updates for another language.
A visually hidden live region (``#tutor-live``) announces each answer once it is complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrieval.course_index import list_courses
from tutor.accounts.access import AccessDenied, User, may_chat
from tutor.accounts.limits import RateLimited
from tutor.chat_service import ChatService, RecordedAnswer
from tutor.errors import Busy, CourseNotFound, TutorError
from tutor.i18n import DEFAULT_LANGUAGE, direction, supported, text
from tutor.types import Answer, ChatTurn, LearnerContext, Mode
from tutor.ui import offline_environment
from tutor.ui.render import escape, plain_text, render_answer, render_error, render_streaming

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.pipeline import Pipeline
    from tutor.services import Services
    from tutor.transcripts.backend import Backend

log = logging.getLogger(__name__)

CHAT_API_NAME = "chat"
# English texts, kept as names for the callers and tests that use them.
TITLE = text("chat.title")
INTRO = text("chat.intro")
MODE_CHOICES = [(text("chat.mode_explain"), "explain"), (text("chat.mode_guide"), "guide")]
MODE_INFO = text("chat.mode_info")
NO_COURSE = text("chat.error_no_course")
UNEXPECTED = text("chat.unexpected")
# The tutor's errors a learner may meet, in their language (English keeps the error's own words).
ERROR_KEYS: tuple[tuple[type[Exception], str], ...] = (
    (RateLimited, "chat.error_rate_limited"),
    (AccessDenied, "chat.error_not_enrolled"),
    (CourseNotFound, "chat.error_course_missing"),
    (Busy, "chat.error_busy"),
)

Message = dict[str, str]
UserOf = Callable[[Any], User | None]  # the signed-in user of a gr.Request


def mode_choices(language: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    return [
        (text("chat.mode_explain", language), "explain"),
        (text("chat.mode_guide", language), "guide"),
    ]


def learner_error(exc: TutorError, language: str = DEFAULT_LANGUAGE) -> str:
    """What the learner reads about ``exc``: its own message in English, else the catalog's."""
    if supported(language) != DEFAULT_LANGUAGE:
        for kind, key in ERROR_KEYS:
            if isinstance(exc, kind):
                return text(key, language)
    return str(exc)


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
    learner: LearnerContext | None = None,
) -> Iterator[tuple[list[Message], list[ChatTurn]]]:
    """Stream one exchange: yields (messages to show, conversation memory) as it goes.

    Plain Python (no Gradio), so it can be tested directly.
    """
    learner = learner or LearnerContext()
    language = learner.language
    question = (message or "").strip()
    if not question:
        yield shown, turns
        return
    chosen: Mode = "guide" if mode == "guide" else "explain"
    user: Message = {"role": "user", "content": question}
    pending: list[Message] = [*shown, user, {"role": "assistant", "content": "…"}]
    yield pending, turns

    def final(content: str) -> list[Message]:
        return [*pending[:-1], {"role": "assistant", "content": content}]

    if not course:
        yield final(render_error(text("chat.error_no_course", language), language)), turns
        return

    streamed = ""
    answer: Answer | None = None
    try:
        for event in pipeline.stream(
            question, course=course, mode=chosen, history=turns, learner=learner
        ):
            if isinstance(event, Answer):
                answer = event
            else:
                streamed += event
                yield final(render_streaming(streamed)), turns
    except TutorError as exc:
        log.info("question not answered", extra={"course": course, "error": str(exc)})
        yield final(render_error(learner_error(exc, language), language)), turns
        return
    except Exception:
        log.exception("answering failed", extra={"course": course})
        yield final(text("chat.unexpected", language)), turns
        return
    if answer is None:  # the pipeline always ends with an Answer; be safe anyway
        yield final(text("chat.unexpected", language)), turns
        return

    # Remember only exchanges the tutor really answered from the course.
    if not (answer.not_covered or answer.refused):
        # The question as the pipeline used it (cut to length, personal data redacted).
        asked = answer.question or question
        turns = [*turns, ChatTurn(question=asked, answer=answer.answer)]
    yield final(render_answer(answer, language)), turns


def user_courses(services: Services, user: User | None) -> tuple[list[str], str | None]:
    """The indexed courses ``user`` may chat in, and the one to preselect."""
    courses, _ = course_choices(services)
    mine = [c for c in courses if user is not None and may_chat(user, c)]
    default = services.settings.default_course
    return mine, (default if default in mine else (mine[0] if mine else None))


Step = tuple[list[Message], str | None, int | None]  # messages shown, chat id, turn id


def recorded_turn(
    chats: ChatService,
    user: User | None,
    message: str,
    chat_id: str | None,
    shown: list[Message],
    course: str | None,
    mode: str | None,
    learner: LearnerContext | None = None,
) -> Iterator[Step]:
    """Stream one exchange through ``ChatService`` (access, rate limit, memory from the
    transcript, recording): yields (messages to show, chat id, recorded turn id).

    ``learner`` (language first) adapts the tutor's words. The final answer is yielded only
    once its turn is on disk. Plain Python, testable directly.
    """
    for step, _done in recorded_steps(chats, user, message, chat_id, shown, course, mode, learner):
        yield step


def recorded_steps(
    chats: ChatService,
    user: User | None,
    message: str,
    chat_id: str | None,
    shown: list[Message],
    course: str | None,
    mode: str | None,
    learner: LearnerContext | None = None,
) -> Iterator[tuple[Step, bool]]:
    """``recorded_turn``'s steps, each with whether it is the last one (the complete answer or
    an error), so that the page announces only what is complete."""
    learner = learner or LearnerContext()
    language = learner.language
    question = (message or "").strip()
    if not question:
        yield (shown, chat_id, None), True
        return
    user_message: Message = {"role": "user", "content": question}
    pending: list[Message] = [*shown, user_message, {"role": "assistant", "content": "…"}]
    yield (pending, chat_id, None), False

    def final(content: str) -> list[Message]:
        return [*pending[:-1], {"role": "assistant", "content": content}]

    def error(message: str) -> list[Message]:
        return final(render_error(message, language))

    if user is None:
        yield (error(text("chat.error_signed_out", language)), chat_id, None), True
        return
    if not course:
        yield (error(text("chat.error_no_course", language)), chat_id, None), True
        return
    streamed = ""
    try:
        for event in chats.stream(
            user,
            question,
            course=course,
            mode=mode or "explain",
            chat_id=chat_id,
            learner=learner,
        ):
            if isinstance(event, RecordedAnswer):
                answer = render_answer(event.answer, language)
                yield (final(answer), event.chat_id, event.turn_id), True
                return
            streamed += event
            yield (final(render_streaming(streamed)), chat_id, None), False
    except TutorError as exc:
        log.info("question not answered", extra={"course": course, "error": str(exc)})
        yield (error(learner_error(exc, language)), chat_id, None), True
        return
    except Exception:
        log.exception("answering failed", extra={"course": course})
        yield (final(text("chat.unexpected", language)), chat_id, None), True
        return
    # The service always ends with a RecordedAnswer.
    yield (final(text("chat.unexpected", language)), chat_id, None), True


def live_announcement(messages: list[Message], language: str = DEFAULT_LANGUAGE) -> str:
    """The HTML of the live region once an answer is complete: its plain text, escaped."""
    if not messages or messages[-1].get("role") != "assistant":
        return ""
    answer = plain_text(messages[-1].get("content", ""))
    return f"<p>{escape(text('chat.live_answer', language, answer=answer))}</p>"


def build_chat_tab(
    services: Services, chats: ChatService, backend: Backend, user_of: UserOf
) -> ChatParts:
    """The learner chat, inside the current Blocks context; returns what ``demo.load`` fills."""
    t = text  # English labels here; ChatParts.relabel gives those of the page's language

    with gr.Row(elem_id="tutor-options"):
        course = gr.Dropdown(
            choices=[],
            value=None,
            label=t("chat.course"),
            interactive=True,
            allow_custom_value=True,  # filled per user on load; the service checks enrolment
            elem_id="tutor-course",
            min_width=200,
        )
        mode = gr.Radio(
            choices=mode_choices(),
            value="explain",
            label=t("chat.mode"),
            info=t("chat.mode_info"),
            elem_id="tutor-mode",
            min_width=200,
        )
    # No fixed height: the conversation grows with its messages up to most of the screen and
    # then scrolls, so enlarged text is never clipped (see the CSS in tutor.ui.theme).
    chatbot = gr.Chatbot(
        label=t("chat.conversation"),
        elem_id="tutor-chatbot",
        buttons=["copy", "copy_all"],
        feedback_options=None,
        height=None,
        min_height=240,
        max_height="70vh",
        placeholder=t("chat.conversation_placeholder"),
    )
    # Screen readers hear each answer once, when it is complete (not every streamed piece):
    # the page's script makes this a polite live region and silences the chatbot's own.
    live = gr.HTML("", elem_id="tutor-live", elem_classes=["tutor-sr-only"], container=False)
    with gr.Row(elem_id="tutor-input-row", equal_height=True):
        textbox = gr.Textbox(
            label=t("chat.question"),
            placeholder=t("chat.question_placeholder"),
            lines=1,
            max_lines=6,
            max_length=services.settings.max_question_chars,
            scale=1,
            min_width=0,
            elem_id="tutor-question",
        )
        send = gr.Button(
            t("chat.send"), variant="primary", scale=0, min_width=72, elem_id="tutor-send"
        )
    with gr.Row(elem_id="tutor-feedback-row", equal_height=True):
        comment = gr.Textbox(
            label=t("chat.comment"),
            lines=1,
            max_length=500,
            scale=1,
            min_width=0,
            elem_id="tutor-feedback-comment",
        )
        up = gr.Button(t("chat.helpful"), scale=0, min_width=72, elem_id="tutor-thumbs-up")
        down = gr.Button(t("chat.not_helpful"), scale=0, min_width=72, elem_id="tutor-thumbs-down")
    feedback_note = gr.Markdown("", elem_id="tutor-feedback-note")
    new_chat = gr.Button(t("chat.new_chat"), variant="secondary", elem_id="tutor-new-chat")
    # Server-side session state; the browser's copy of the chat is never read.
    chat_id = gr.State(None)  # the transcript chat this page writes to
    shown = gr.State([])  # the messages this server produced, shown in the chatbot
    last_turn = gr.State(None)  # the recorded turn the thumbs rate
    language = gr.State(DEFAULT_LANGUAGE)  # the interface language of this page (i18n code)

    def respond(
        message: str,
        chat_value: str | None,
        shown_value: list[Message],
        course_value: str | None,
        mode_value: str | None,
        language_value: str | None,
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        if not (message or "").strip():
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), ""
            return
        user = user_of(request)
        code = supported(language_value)
        learner = LearnerContext(language=code)
        for (messages, new_chat_id, turn_id), done in recorded_steps(
            chats, user, message, chat_value, shown_value, course_value, mode_value, learner
        ):
            # The live region is emptied as the question goes out and filled once, at the end.
            announce = live_announcement(messages, code) if done else ""
            yield messages, new_chat_id, messages, turn_id, announce, ""

    chat_event = gr.on(
        triggers=[textbox.submit, send.click],
        fn=respond,
        inputs=[textbox, chat_id, shown, course, mode, language],
        outputs=[chatbot, chat_id, shown, last_turn, live, textbox],  # the box last, as before
        api_name=CHAT_API_NAME,
        concurrency_id="chat",
        show_progress_on=[chatbot],
    )

    def rate(rating: int) -> Any:
        def handler(
            turn_id: int | None, note: str, language_value: str | None, request: gr.Request
        ) -> tuple[str, str]:
            code = supported(language_value)
            if turn_id is None:
                return text("chat.feedback_first", code), note
            user = user_of(request)
            if user is None:
                return text("chat.feedback_sign_in", code), note
            try:
                backend.desk.feedback(user, int(turn_id), rating, note or "")
            except TutorError as exc:
                return text("chat.feedback_failed", code, error=learner_error(exc, code)), note
            return text("chat.feedback_thanks", code), ""

        return handler

    for button, value in ((up, 1), (down, -1)):
        button.click(
            rate(value),
            inputs=[last_turn, comment, language],
            outputs=[feedback_note, comment],
            api_visibility="private",
        )

    def clear() -> tuple[list[Message], None, list[Message], None, str, str, str]:
        return [], None, [], None, "", "", ""

    # "New chat" and the chatbot's own bin button both start over, memory included.
    gr.on(
        triggers=[new_chat.click, chatbot.clear],
        fn=clear,
        outputs=[chatbot, chat_id, shown, last_turn, textbox, feedback_note, live],
        cancels=[chat_event],
        api_visibility="private",
        queue=False,
    )
    # A new course starts a new chat too: a chat belongs to one course.
    course.input(
        clear,
        outputs=[chatbot, chat_id, shown, last_turn, textbox, feedback_note, live],
        api_visibility="private",
        queue=False,
    )
    return ChatParts(
        course=course,
        chatbot=chatbot,
        chat_id=chat_id,
        shown=shown,
        last_turn=last_turn,
        language=language,
        mode=mode,
        textbox=textbox,
        send=send,
        comment=comment,
        up=up,
        down=down,
        new_chat=new_chat,
        live=live,
        feedback_note=feedback_note,
    )


@dataclass
class ChatParts:
    """The chat's components that the app (and other tabs' hooks) wire to."""

    course: Any
    chatbot: Any
    chat_id: Any  # gr.State: the transcript chat this page writes to
    shown: Any  # gr.State: the messages shown, kept server-side
    last_turn: Any  # gr.State: the recorded turn the thumbs rate
    language: Any  # gr.State: the current interface language (a tutor.i18n code)
    mode: Any = None
    textbox: Any = None
    send: Any = None
    comment: Any = None
    up: Any = None
    down: Any = None
    new_chat: Any = None
    live: Any = None
    feedback_note: Any = None

    @property
    def labelled(self) -> list[Any]:
        """The components ``relabel`` updates (outputs of a language switch)."""
        return [
            self.course,
            self.mode,
            self.chatbot,
            self.textbox,
            self.send,
            self.comment,
            self.up,
            self.down,
            self.new_chat,
            self.feedback_note,
        ]

    def relabel(
        self, language: str, mode: str | None = None, course: dict[str, Any] | None = None
    ) -> dict[Any, Any]:
        """Updates giving every chat component its words in ``language`` (and its direction);
        ``course`` adds to the course dropdown's update (its choices and value on load)."""
        code = supported(language)
        rtl = direction(code) == "rtl"

        def t(key: str) -> str:
            return text(f"chat.{key}", code)

        return {
            self.course: gr.update(label=t("course"), **(course or {})),
            self.mode: gr.update(
                label=t("mode"),
                info=t("mode_info"),
                choices=mode_choices(code),
                value=mode if mode in ("explain", "guide") else "explain",
                rtl=rtl,
            ),
            self.chatbot: gr.update(
                label=t("conversation"), placeholder=t("conversation_placeholder"), rtl=rtl
            ),
            self.textbox: gr.update(
                label=t("question"), placeholder=t("question_placeholder"), rtl=rtl
            ),
            self.send: gr.update(value=t("send")),
            self.comment: gr.update(label=t("comment"), rtl=rtl),
            self.up: gr.update(value=t("helpful")),
            self.down: gr.update(value=t("not_helpful")),
            self.new_chat: gr.update(value=t("new_chat")),
            self.feedback_note: gr.update(rtl=rtl),
        }


__all__ = [
    "CHAT_API_NAME",
    "ChatParts",
    "answer_turn",
    "build_chat_tab",
    "course_choices",
    "learner_error",
    "live_announcement",
    "recorded_steps",
    "recorded_turn",
]
