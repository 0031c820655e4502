"""The "My learning" tab: the learner's chats (resume one in the Chat tab), their profile, the
topics they found hard, "Practice me" and the topics due for review.

Every handler asks ``user_of(request)`` who is signed in and goes through ``tutor.learning``,
which checks that a chat, topic or practice question is the caller's own: ids coming back from
the browser (a chosen chat, a topic) are never trusted as such. The practice round lives in a
server-side ``gr.State``. All the tab's words come from ``tutor/locales/<lang>/learning.json``.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tutor.accounts.access import User, may_chat
from tutor.errors import TutorError
from tutor.i18n import LANGUAGES, direction, supported, text
from tutor.learning import Learning
from tutor.learning.answers import embedding_similarity
from tutor.learning.practice import Feedback, PracticeItem
from tutor.learning.topics import course_headings, passages_on
from tutor.ui import offline_environment

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402
from gradio.context import get_render_context  # noqa: E402

if TYPE_CHECKING:
    from tutor.services import Services
    from tutor.transcripts.backend import Backend
    from tutor.ui.chat import ChatParts

log = logging.getLogger(__name__)

UserOf = Callable[[Any], User | None]
CHAT_TAB = "chat"  # the id of the Chat tab in tutor.ui.app
_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|~])")
OUTCOME_MARK = {"right": "✅ ", "hint": "💡 ", "answer": "📖 "}


def md(value: str) -> str:
    """Course or learner text for a Markdown component: Markdown marks backslash-escaped (a
    blank "_____" stays a blank, a link or image stays text), then HTML-escaped."""
    return html.escape(_MARKDOWN.sub(r"\\\1", value), quote=False)


def may_learn(user: User | None) -> bool:
    """Who sees the tab: people who chat (learners and teachers)."""
    return user is not None and user.role in ("learner", "teacher")


def _date(seconds: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


@dataclass
class LearningParts:
    """What ``demo.load`` (and the language and course switches) refresh."""

    load: Callable[..., dict[Any, Any]]
    inputs: list[Any]
    outputs: list[Any]
    components: dict[str, Any] = field(default_factory=dict)


def build_learning_tab(
    services: Services, backend: Backend, chat_parts: ChatParts, user_of: UserOf
) -> LearningParts:
    """The tab's content, inside the current ``gr.Tab`` (whose parent ``gr.Tabs`` the Resume
    button switches to the chat)."""
    learning = Learning.open(backend.store, similarity=embedding_similarity(services.embedder))
    settings = services.settings
    tab = get_render_context()
    tabs = getattr(tab, "parent", None)
    if not isinstance(tab, gr.Tab) or not isinstance(tabs, gr.Tabs):
        tab, tabs = None, None
    language = getattr(chat_parts, "language", None)
    if language is None:
        language = gr.State("en")

    # Components, with English labels; every refresh relabels them in the page's language.
    chats_head = gr.Markdown(elem_id="learning-chats-head")
    chats_note = gr.Markdown(elem_id="learning-chats-note")
    chat_pick = gr.Radio(choices=[], elem_id="learning-chats")
    resume = gr.Button(elem_id="learning-resume")
    resume_note = gr.Markdown(elem_id="learning-resume-note")

    profile_head = gr.Markdown(elem_id="learning-profile-head")
    profile_note = gr.Markdown(elem_id="learning-profile-intro")
    with gr.Row():
        level = gr.Textbox(max_length=60, elem_id="learning-level", min_width=200)
        preferred = gr.Dropdown(choices=[], elem_id="learning-language", min_width=200)
    mode = gr.Radio(choices=[], elem_id="learning-mode")
    spaced = gr.Checkbox(value=True, elem_id="learning-spaced")
    save = gr.Button(variant="primary", elem_id="learning-save")
    saved_note = gr.Markdown(elem_id="learning-saved")
    forget = gr.Button(variant="stop", elem_id="learning-forget")
    with gr.Group(visible=False, elem_id="learning-confirm") as confirm_box:
        confirm_note = gr.Markdown()
        with gr.Row():
            confirm = gr.Button(variant="stop", elem_id="learning-forget-yes")
            cancel = gr.Button(elem_id="learning-forget-no")

    topics_head = gr.Markdown(elem_id="learning-topics-head")
    topics_note = gr.Markdown(elem_id="learning-topics-note")
    topic_pick = gr.Radio(choices=[], elem_id="learning-topics")
    topic_delete = gr.Button(elem_id="learning-topic-delete")
    with gr.Row(equal_height=True):
        topic_new = gr.Textbox(max_length=80, scale=1, min_width=0, elem_id="learning-topic-new")
        topic_add = gr.Button(scale=0, min_width=110, elem_id="learning-topic-add")

    practice_head = gr.Markdown(elem_id="learning-practice-head")
    with gr.Row(equal_height=True):
        practice_topic = gr.Dropdown(
            choices=[],
            value=None,
            allow_custom_value=True,
            scale=1,
            min_width=0,
            elem_id="learning-practice-topic",
        )
        start = gr.Button(variant="primary", scale=0, min_width=130, elem_id="learning-start")
    question = gr.Markdown(elem_id="learning-question")
    answer = gr.Textbox(max_length=200, elem_id="learning-answer")
    with gr.Row():
        check = gr.Button(variant="primary", elem_id="learning-check")
        next_question = gr.Button(elem_id="learning-next")
    feedback = gr.Markdown(elem_id="learning-feedback")
    round_state = gr.State(None)  # {"ids": [...], "index": n}: this page's round, server-side

    due_head = gr.Markdown(elem_id="learning-due-head")
    due_note = gr.Markdown(elem_id="learning-due-note")
    due_pick = gr.Radio(choices=[], elem_id="learning-due")
    practise_now = gr.Button(elem_id="learning-practise-now")

    markdowns = (
        chats_head,
        chats_note,
        resume_note,
        profile_head,
        profile_note,
        saved_note,
        confirm_note,
        topics_head,
        topics_note,
        practice_head,
        question,
        feedback,
        due_head,
        due_note,
    )

    def labels(lang: str) -> dict[Any, dict[str, Any]]:
        def t(key: str, **values: object) -> str:
            return text(f"learning.{key}", lang, **values)

        out: dict[Any, dict[str, Any]] = {
            chats_head: {"value": f"### {t('chats_heading')}"},
            chat_pick: {"label": t("chats_label")},
            resume: {"value": t("resume")},
            profile_head: {"value": f"### {t('profile_heading')}"},
            profile_note: {"value": md(t("profile_intro"))},
            level: {"label": t("level_label"), "placeholder": t("level_placeholder")},
            preferred: {
                "label": t("language_label"),
                "choices": [
                    (t("language_page"), ""),
                    *[(name, code) for code, (name, _) in LANGUAGES.items()],
                ],
            },
            mode: {
                "label": t("mode_label"),
                "choices": [
                    (t("mode_none"), ""),
                    (t("mode_explain"), "explain"),
                    (t("mode_guide"), "guide"),
                ],
            },
            spaced: {"label": t("spaced_label"), "info": t("spaced_info")},
            save: {"value": t("save")},
            forget: {"value": t("forget")},
            confirm_note: {"value": md(t("forget_confirm"))},
            confirm: {"value": t("forget_yes")},
            cancel: {"value": t("forget_no")},
            topics_head: {"value": f"### {t('topics_heading')}"},
            topic_pick: {"label": t("topics_label")},
            topic_delete: {"value": t("topic_delete")},
            topic_new: {"label": t("topic_new_label"), "placeholder": t("topic_new_placeholder")},
            topic_add: {"value": t("topic_add")},
            practice_head: {"value": f"### {t('practice_heading')}"},
            practice_topic: {"label": t("practice_topic_label"), "info": t("practice_topic_info")},
            start: {"value": t("start")},
            answer: {"label": t("answer_label"), "placeholder": t("answer_placeholder")},
            check: {"value": t("check")},
            next_question: {"value": t("next")},
            due_head: {"value": f"### {t('due_heading')}"},
            due_pick: {"label": t("due_label")},
            practise_now: {"value": t("practise_now")},
        }
        if tab is not None:
            out[tab] = {"label": t("tab")}
        rtl = direction(lang) == "rtl"
        for component in (*markdowns, level, topic_new, answer, chat_pick, topic_pick, due_pick):
            out.setdefault(component, {})["rtl"] = rtl
        return out

    def data(user: User | None, course: str | None, lang: str) -> dict[Any, dict[str, Any]]:
        """The learner's own chats, profile, hard topics, course headings and due topics."""
        out: dict[Any, dict[str, Any]] = {}
        if tab is not None:
            out[tab] = {"visible": may_learn(user)}
        if user is None or not may_learn(user):
            return out
        profile = learning.profiles.get(user.id)
        out[level] = {"value": profile.level}
        out[preferred] = {"value": profile.language}
        out[mode] = {"value": profile.mode}
        out[spaced] = {"value": profile.spaced_review}
        out.update(_topics(user, course, lang))
        if not course or not may_chat(user, course):
            out[chats_note] = {"value": md(text("learning.no_course", lang))}
            out[chat_pick] = {"choices": [], "value": None, "visible": False}
            out[resume] = {"visible": False}
            out[due_pick] = {"choices": [], "value": None, "visible": False}
            out[practise_now] = {"visible": False}
            out[practice_topic] = {"choices": []}
            return out
        chats = learning.chats.mine(user, course)
        out[chat_pick] = {
            "choices": [(_chat_label(c.title, c.last, c.turns, lang), c.id) for c in chats],
            "value": None,
            "visible": bool(chats),
        }
        out[resume] = {"visible": bool(chats)}
        out[chats_note] = {"value": "" if chats else md(text("learning.no_chats", lang))}
        try:
            headings = course_headings(services.retriever, course)
        except TutorError:
            headings = []
        out[practice_topic] = {"choices": headings}
        out.update(_due(user, course, lang))
        return out

    def _chat_label(title: str, last: float, turns: int, lang: str) -> str:
        key = "learning.chat_item_one" if turns == 1 else "learning.chat_item"
        return text(key, lang, title=title, date=_date(last), turns=turns)

    def _topics(user: User, course: str | None, lang: str) -> dict[Any, dict[str, Any]]:
        topics = learning.profiles.hard_topics(user.id, course) if course else []
        choices = [
            (
                text(
                    "learning.topic_item",
                    lang,
                    topic=t.topic,
                    source=text(f"learning.source_{t.source}", lang),
                    count=t.count,
                ),
                str(t.id),
            )
            for t in topics
        ]
        note = md(text("learning.topics_intro" if topics else "learning.no_topics", lang))
        return {
            topic_pick: {"choices": choices, "value": None, "visible": bool(topics)},
            topic_delete: {"visible": bool(topics)},
            topics_note: {"value": note},
        }

    def _due(user: User, course: str, lang: str) -> dict[Any, dict[str, Any]]:
        if not learning.profiles.get(user.id).spaced_review:
            note = text("learning.due_off", lang)
            items = []
        else:
            items = learning.review.suggestions(user.id, course)
            note = "" if items else text("learning.due_none", lang)
        choices = [
            (text("learning.due_item", lang, topic=i.topic, date=_date(i.due_at)), i.topic)
            for i in items
        ]
        return {
            due_pick: {"choices": choices, "value": None, "visible": bool(items)},
            practise_now: {"visible": bool(items)},
            due_note: {"value": md(note)},
        }

    def updates(parts: dict[Any, dict[str, Any]]) -> dict[Any, Any]:
        return {component: gr.update(**values) for component, values in parts.items()}

    def merge(*parts: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
        out: dict[Any, dict[str, Any]] = {}
        for part in parts:
            for component, values in part.items():
                out.setdefault(component, {}).update(values)
        return out

    def refresh(course: str | None, lang: str | None, request: gr.Request) -> dict[Any, Any]:
        code = supported(lang)
        return updates(merge(labels(code), data(user_of(request), course, code)))

    refreshed = [
        *([tab] if tab is not None else []),
        chats_head,
        chats_note,
        chat_pick,
        resume,
        resume_note,
        profile_head,
        profile_note,
        saved_note,
        level,
        preferred,
        mode,
        spaced,
        save,
        forget,
        confirm_note,
        confirm,
        cancel,
        topics_head,
        topics_note,
        topic_pick,
        topic_delete,
        topic_new,
        topic_add,
        practice_head,
        practice_topic,
        start,
        question,
        answer,
        check,
        next_question,
        feedback,
        due_head,
        due_note,
        due_pick,
        practise_now,
    ]
    for trigger in (language.change, chat_parts.course.change):
        trigger(
            refresh,
            inputs=[chat_parts.course, language],
            outputs=refreshed,
            api_visibility="private",
            queue=False,
        )
    if tab is not None:
        tab.select(
            refresh,
            inputs=[chat_parts.course, language],
            outputs=refreshed,
            api_visibility="private",
            queue=False,
        )

    # My chats: resume one in the Chat tab. -------------------------------------------------
    def on_resume(chosen: str | None, lang: str | None, request: gr.Request) -> dict[Any, Any]:
        code = supported(lang)
        if not chosen:
            return {resume_note: md(text("learning.pick_chat", code))}
        try:
            resumed = learning.chats.resume(user_of(request), str(chosen), code)
        except TutorError as exc:
            return {resume_note: md(text("learning.error", code, message=str(exc)))}
        out: dict[Any, Any] = {
            chat_parts.chatbot: resumed.messages,
            chat_parts.chat_id: resumed.id,
            chat_parts.shown: resumed.messages,
            chat_parts.last_turn: resumed.last_turn,
            chat_parts.course: gr.update(value=resumed.course),
            resume_note: "",
        }
        if tabs is not None:
            out[tabs] = gr.Tabs(selected=CHAT_TAB)
        return out

    resume_outputs = [
        chat_parts.chatbot,
        chat_parts.chat_id,
        chat_parts.shown,
        chat_parts.last_turn,
        chat_parts.course,
        resume_note,
        *([tabs] if tabs is not None else []),
    ]
    resume.click(
        on_resume,
        inputs=[chat_pick, language],
        outputs=resume_outputs,
        api_visibility="private",
    )

    # My profile. ------------------------------------------------------------------------------
    def on_save(
        level_value: str,
        language_value: str | None,
        mode_value: str | None,
        spaced_value: bool,
        lang: str | None,
        request: gr.Request,
    ) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if not may_learn(user) or user is None:
            return {saved_note: md(text("learning.sign_in", code))}
        try:
            profile = learning.profiles.update(
                user.id,
                level=level_value or "",
                language=language_value or "",
                mode=mode_value or "",
                spaced_review=bool(spaced_value),
            )
        except TutorError as exc:
            return {saved_note: md(text("learning.error", code, message=str(exc)))}
        out: dict[Any, Any] = {saved_note: md(text("learning.saved", code))}
        if chat_mode is not None and profile.mode:
            out[chat_mode] = gr.update(value=profile.mode)  # the chat follows the choice
        if profile.language and profile.language != code:
            out[language] = profile.language  # and so does the page (relabelled on change)
        return out

    chat_mode = getattr(chat_parts, "mode", None)
    save.click(
        on_save,
        inputs=[level, preferred, mode, spaced, language],
        outputs=[saved_note, language, *([chat_mode] if chat_mode is not None else [])],
        api_visibility="private",
    ).then(
        refresh,
        inputs=[chat_parts.course, language],
        outputs=refreshed,
        api_visibility="private",
        queue=False,
    )

    forget.click(
        lambda: gr.update(visible=True),
        outputs=[confirm_box],
        api_visibility="private",
        queue=False,
    )
    cancel.click(
        lambda: gr.update(visible=False),
        outputs=[confirm_box],
        api_visibility="private",
        queue=False,
    )

    def on_forget(lang: str | None, request: gr.Request) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if user is None:
            return {saved_note: md(text("learning.sign_in", code))}
        learning.profiles.forget(user.id)
        backend.store.audit(user.name, "learning_forget", f"user {user.id}")
        return {
            saved_note: md(text("learning.forgotten", code)),
            confirm_box: gr.update(visible=False),
            question: "",
            feedback: "",
            round_state: None,
        }

    confirm.click(
        on_forget,
        inputs=[language],
        outputs=[saved_note, confirm_box, question, feedback, round_state],
        api_visibility="private",
    ).then(
        refresh,
        inputs=[chat_parts.course, language],
        outputs=refreshed,
        api_visibility="private",
        queue=False,
    )

    # Topics I found hard. ---------------------------------------------------------------------
    def on_topic_delete(
        chosen: str | None, course: str | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if user is None or not chosen or not str(chosen).isdigit():
            return {}
        learning.profiles.delete_topic(user.id, int(chosen))  # only one of the caller's own
        return updates(_topics(user, course, code))

    topic_delete.click(
        on_topic_delete,
        inputs=[topic_pick, chat_parts.course, language],
        outputs=[topic_pick, topic_delete, topics_note],
        api_visibility="private",
    )

    def on_topic_add(
        new: str, course: str | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if user is None or not course or not may_chat(user, course):
            return {topics_note: md(text("learning.no_course", code))}
        try:
            learning.profiles.record_topic(user.id, course, new or "", "learner")
        except TutorError as exc:
            return {topics_note: md(text("learning.error", code, message=str(exc)))}
        return {**updates(_topics(user, course, code)), topic_new: ""}

    gr.on(
        triggers=[topic_add.click, topic_new.submit],
        fn=on_topic_add,
        inputs=[topic_new, chat_parts.course, language],
        outputs=[topic_pick, topic_delete, topics_note, topic_new],
        api_visibility="private",
    )

    # A 👎 in the chat: the answer's topic becomes a hard topic (shown, and deletable, here).
    def on_thumbs_down(
        turn_id: int | None, course: str | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        user = user_of(request)
        if user is None or turn_id is None or not may_learn(user):
            return {}
        turn = backend.store.turn(int(turn_id))
        if turn is None or learning.profiles.record_thumbs_down(user.id, turn) is None:
            return {}  # not the caller's own answer, or nothing to note
        if not course or not may_chat(user, course):
            return {}
        return updates(_topics(user, course, supported(lang)))

    thumbs_down = getattr(chat_parts, "down", None)
    if thumbs_down is not None:
        thumbs_down.click(
            on_thumbs_down,
            inputs=[chat_parts.last_turn, chat_parts.course, language],
            outputs=[topic_pick, topic_delete, topics_note],
            api_visibility="private",
        )

    # Practice me. -----------------------------------------------------------------------------
    def show(item: PracticeItem, index: int, total: int, lang: str) -> str:
        return (
            f"**{md(text('learning.question_n', lang, n=index + 1, total=total))}**\n\n"
            f"{md(item.question)}\n\n"
            f"{md(text('learning.source', lang, citation=item.citation(lang)))}"
        )

    def on_start(
        topic: str | None, course: str | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if user is None:
            return {feedback: md(text("learning.sign_in", code))}
        if not course or not may_chat(user, course):
            return {feedback: md(text("learning.no_course", code))}
        try:
            passages = passages_on(
                services.retriever, course, topic or "", min_relevance=settings.min_relevance
            )
            items = learning.practice.start(user, course, topic or "", passages, language=code)
        except TutorError as exc:
            return {question: "", feedback: md(text("learning.error", code, message=str(exc)))}
        state = {"ids": [i.id for i in items], "index": 0}
        return {
            round_state: state,
            question: show(items[0], 0, len(items), code),
            answer: "",
            feedback: "",
            practice_topic: gr.update(value=items[0].topic),
        }

    practice_outputs = [round_state, question, answer, feedback, practice_topic]
    gr.on(
        triggers=[start.click],
        fn=on_start,
        inputs=[practice_topic, chat_parts.course, language],
        outputs=practice_outputs,
        api_visibility="private",
    )

    def on_check(
        given: str, state: dict[str, Any] | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        code = supported(lang)
        if not state or not state.get("ids"):
            return {feedback: md(text("learning.start_first", code))}
        item_id = int(state["ids"][int(state.get("index", 0))])
        try:
            result: Feedback = learning.practice.check(
                user_of(request), item_id, given, language=code
            )
        except TutorError as exc:
            return {feedback: md(text("learning.error", code, message=str(exc)))}
        mark = OUTCOME_MARK.get(result.outcome, "")
        out: dict[Any, Any] = {feedback: mark + md(result.message)}
        if result.finished:
            out[answer] = ""
        return out

    def after_check(course: str | None, lang: str | None, request: gr.Request) -> dict[Any, Any]:
        """A wrong answer adds a hard topic and a review: show them."""
        user, code = user_of(request), supported(lang)
        if user is None or not course or not may_chat(user, course):
            return {}
        return updates(merge(_topics(user, course, code), _due(user, course, code)))

    gr.on(
        triggers=[check.click, answer.submit],
        fn=on_check,
        inputs=[answer, round_state, language],
        outputs=[feedback, answer],
        api_visibility="private",
    ).then(
        after_check,
        inputs=[chat_parts.course, language],
        outputs=[topic_pick, topic_delete, topics_note, due_pick, practise_now, due_note],
        api_visibility="private",
        queue=False,
    )

    def on_next(
        state: dict[str, Any] | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        code = supported(lang)
        user = user_of(request)
        if not state or not state.get("ids") or user is None:
            return {feedback: md(text("learning.start_first", code))}
        ids = [int(i) for i in state["ids"]]
        index = int(state.get("index", 0)) + 1
        try:
            if index < len(ids):
                item = learning.practice.item(user, ids[index])
                return {
                    round_state: {"ids": ids, "index": index},
                    question: show(item, index, len(ids), code),
                    answer: "",
                    feedback: "",
                }
            right = sum(
                1 for i in ids if any(a["correct"] for a in learning.practice.attempts(user, i))
            )
        except TutorError as exc:
            return {feedback: md(text("learning.error", code, message=str(exc)))}
        done = text("learning.round_done", code, right=right, total=len(ids))
        return {round_state: None, question: md(done), answer: "", feedback: ""}

    next_question.click(
        on_next,
        inputs=[round_state, language],
        outputs=[round_state, question, answer, feedback],
        api_visibility="private",
    )

    # Due for review: practise a due topic now. -------------------------------------------------
    def on_practise_now(
        chosen: str | None, course: str | None, lang: str | None, request: gr.Request
    ) -> dict[Any, Any]:
        if not chosen:
            return {feedback: md(text("learning.pick_due", supported(lang)))}
        return on_start(chosen, course, lang, request)

    practise_now.click(
        on_practise_now,
        inputs=[due_pick, chat_parts.course, language],
        outputs=practice_outputs,
        api_visibility="private",
    ).then(
        refresh,
        inputs=[chat_parts.course, language],
        outputs=refreshed,
        api_visibility="private",
        queue=False,
    )

    return LearningParts(
        load=refresh,
        inputs=[chat_parts.course, language],
        outputs=refreshed,
        components={
            "chats": chat_pick,
            "resume": resume,
            "level": level,
            "language": preferred,
            "mode": mode,
            "spaced": spaced,
            "save": save,
            "topics": topic_pick,
            "practice_topic": practice_topic,
            "question": question,
            "answer": answer,
            "feedback": feedback,
            "due": due_pick,
        },
    )


__all__ = ["LearningParts", "build_learning_tab", "may_learn", "md"]
