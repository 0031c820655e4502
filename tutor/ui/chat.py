"""The learner's chat: choose a course and a mode, ask, watch the answer stream in with sources.

The conversation memory given to the pipeline lives in a per-session ``gr.State`` holding the
``ChatTurn`` s this server itself produced, and the messages shown are also kept server-side: the
chat history the browser sends back could be forged, so it is never read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from retrieval.course_index import list_courses
from tutor.errors import TutorError
from tutor.types import Answer, ChatTurn, Mode
from tutor.ui.render import render_answer, render_error, render_streaming

if TYPE_CHECKING:
    import gradio as gr

    from tutor.pipeline import Pipeline
    from tutor.services import Services

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


def build_chat(services: Services, pipeline: Pipeline | None = None) -> gr.Blocks:
    """The learner chat as Gradio Blocks; serve it with ``page_options()`` (theme, CSS)."""
    from tutor.ui import offline_environment

    offline_environment()
    import gradio as gr

    from tutor.pipeline import Pipeline

    pipe = pipeline or Pipeline(services)
    courses, selected = course_choices(services)

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}", elem_id="tutor-title")
        with gr.Row(elem_id="tutor-options"):
            course = gr.Dropdown(
                choices=courses,
                value=selected,
                label="Course",
                interactive=True,
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
        new_chat = gr.Button("New chat", variant="secondary", elem_id="tutor-new-chat")
        turns = gr.State([])  # list[ChatTurn]: conversation memory built by this server
        shown = gr.State([])  # the messages this server produced, shown in the chatbot

        def respond(
            message: str,
            turns_value: list[ChatTurn],
            shown_value: list[Message],
            course_value: str | None,
            mode_value: str | None,
        ) -> Iterator[tuple[Any, ...]]:
            if not (message or "").strip():
                yield gr.skip(), gr.skip(), gr.skip(), ""
                return
            for messages, memory in answer_turn(
                pipe, message, turns_value, shown_value, course_value, mode_value
            ):
                yield messages, memory, messages, ""

        chat_event = gr.on(
            triggers=[textbox.submit, send.click],
            fn=respond,
            inputs=[textbox, turns, shown, course, mode],
            outputs=[chatbot, turns, shown, textbox],
            api_name=CHAT_API_NAME,
            concurrency_id="chat",
        )

        def clear() -> tuple[list[Message], list[ChatTurn], list[Message], str]:
            return [], [], [], ""

        # "New chat" and the chatbot's own bin button both start over, memory included.
        gr.on(
            triggers=[new_chat.click, chatbot.clear],
            fn=clear,
            outputs=[chatbot, turns, shown, textbox],
            cancels=[chat_event],
            api_visibility="private",
            queue=False,
        )

        def refresh_courses(current: str | None) -> Any:
            names, default = course_choices(services)
            keep = current if current in names else default
            return gr.Dropdown(choices=names, value=keep)

        demo.load(refresh_courses, inputs=[course], outputs=[course], api_visibility="private")
    return demo


__all__ = ["CHAT_API_NAME", "answer_turn", "build_chat", "course_choices"]
