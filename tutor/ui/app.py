"""The whole Gradio app: a header with the signed-in user and the language switch, the learner
chat, and the review desk and user management tabs, which start hidden and are revealed for
teachers and admins (revealing is cosmetic; their handlers check the role themselves).

The page's language comes from the browser (the ``tutor_lang`` cookie of an earlier choice,
else ``Accept-Language``) and lives in ``ChatParts.language``, a per-session ``gr.State``;
when it changes, every header and chat component is relabelled and a small script sets
``<html lang dir>`` (right-to-left for Arabic), the page title and the cookie.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tutor.accounts.access import User
from tutor.i18n import DEFAULT_LANGUAGE, LANGUAGES, direction, supported, text
from tutor.ui import offline_environment
from tutor.ui.login import LANGUAGE_COOKIE, preferred_language, request_cookie_language
from tutor.ui.render import escape

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.chat_service import ChatService
    from tutor.services import Services
    from tutor.transcripts.backend import Backend

TITLE = text("chat.title")
ROLES = ("learner", "teacher", "admin")

# Runs in the browser after each language change (Gradio ``js=``; the CSP allows inline script).
# It also makes #tutor-live a polite live region and quiets the chatbot's own live region,
# which would read every streamed piece, and its message labels, which hold raw HTML.
APPLY_LANGUAGE_JS = """
(lang) => {
  const rtl = __RTL__, titles = __TITLES__;
  const code = Object.prototype.hasOwnProperty.call(titles, lang) ? lang : "en";
  const root = document.documentElement;
  root.lang = code;
  root.dir = rtl.includes(code) ? "rtl" : "ltr";
  document.title = titles[code];
  document.cookie = "__COOKIE__=" + code + "; path=/; max-age=31536000; samesite=strict";
  const live = document.getElementById("tutor-live");
  if (live) {
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");
  }
  const chat = document.getElementById("tutor-chatbot");
  if (chat && !window.__tutorQuietChat) {
    const quiet = () => {
      chat.querySelectorAll('[aria-live="polite"]').forEach((el) => {
        el.setAttribute("aria-live", "off");
      });
      chat.querySelectorAll('[data-testid][aria-label^="bot"], [data-testid][aria-label^="user"]')
        .forEach((el) => el.removeAttribute("aria-label"));
    };
    window.__tutorQuietChat = new MutationObserver(quiet);
    window.__tutorQuietChat.observe(chat, {
      subtree: true, childList: true, attributes: true,
      attributeFilter: ["aria-live", "aria-label"],
    });
    quiet();
  }
  return [];
}
"""


def apply_language_js() -> str:
    rtl = [code for code, (_, way) in LANGUAGES.items() if way == "rtl"]
    titles = {code: text("chat.title", code) for code in LANGUAGES}
    return (
        APPLY_LANGUAGE_JS.replace("__RTL__", json.dumps(rtl))
        .replace("__TITLES__", json.dumps(titles, ensure_ascii=False))
        .replace("__COOKIE__", LANGUAGE_COOKIE)
    )


def language_choices() -> list[tuple[str, str]]:
    """The language switch's choices, each named in its own language."""
    return [(name, code) for code, (name, _) in LANGUAGES.items()]


def language_label(language: str) -> str:
    """ "Language" in ``language``, with the English word too so that anyone can find it."""
    label = text("chat.language", language)
    english = text("chat.language")
    return label if label == english else f"{label} (Language)"


def header_markdown(language: str) -> str:
    return f"# {text('chat.title', language)}\n{text('chat.intro', language)}"


def skip_link_html(language: str) -> str:
    """A link to the question box, the first thing a keyboard reaches (shown on focus)."""
    label = escape(text("chat.skip_link", language))
    return f'<a class="tutor-skip-link" href="#tutor-question">{label}</a>'


def who_html(user: User | None, language: str) -> str:
    """Who is signed in, with the sign-out link (or a sign-in link)."""
    if user is None:
        return f'<p><a href="/login">{escape(text("chat.sign_in", language))}</a></p>'
    role = text(f"chat.role_{user.role}", language) if user.role in ROLES else user.role
    template = escape(text("chat.signed_in", language, name="{name}", role="{role}"))
    signed_in = template.format(name=f"<strong>{escape(user.name)}</strong>", role=escape(role))
    sign_out = escape(text("chat.sign_out", language))
    return f'<p>{signed_in} · <a href="/logout">{sign_out}</a></p>'


def build_app(services: Services, chats: ChatService, backend: Backend) -> gr.Blocks:

    from tutor.ui.admin import build_admin_tab
    from tutor.ui.chat import INTRO, build_chat_tab, user_courses
    from tutor.ui.desk import build_desk_tab
    from tutor.ui.learning import build_learning_tab

    def user_of(request: Any) -> User | None:
        name = getattr(request, "username", None)
        return backend.accounts.get(name) if name else None

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        skip = gr.HTML(skip_link_html(DEFAULT_LANGUAGE), elem_id="tutor-skip", container=False)
        title = gr.Markdown(f"# {TITLE}\n{INTRO}", elem_id="tutor-title")
        with gr.Row(elem_id="tutor-header-row"):
            who = gr.HTML("", elem_id="tutor-user")
            language_pick = gr.Dropdown(
                choices=language_choices(),
                value=DEFAULT_LANGUAGE,
                label=language_label(DEFAULT_LANGUAGE),
                interactive=True,
                filterable=False,
                elem_id="tutor-language",
                scale=0,
                min_width=180,
            )
        with gr.Tabs(elem_id="tutor-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="tab-chat") as chat_tab:
                chat = build_chat_tab(services, chats, backend, user_of)
            with gr.Tab("My learning", id="learning", visible=False, elem_id="tab-learning"):
                learning = build_learning_tab(services, backend, chat, user_of)
            with gr.Tab("Review desk", id="desk", visible=False, elem_id="tab-desk") as desk_tab:
                desk = build_desk_tab(backend, user_of)
            with gr.Tab("Users", id="users", visible=False, elem_id="tab-users") as users_tab:
                admin = build_admin_tab(backend, user_of)

        def page_labels(
            language: str, mode: str | None, user: User | None, course: dict[str, Any] | None
        ) -> dict[Any, Any]:
            """The header's and the chat's words in ``language``."""
            rtl = direction(language) == "rtl"
            return {
                skip: skip_link_html(language),
                title: gr.update(value=header_markdown(language), rtl=rtl),
                who: who_html(user, language),
                language_pick: gr.update(value=language, label=language_label(language)),
                chat_tab: gr.Tab(label=text("chat.tab_chat", language)),
                **chat.relabel(language, mode, course),
            }

        labelled = [skip, title, who, language_pick, chat_tab, *chat.labelled]

        def start_language_and_mode(request: Any, user: User | None) -> tuple[str, str | None]:
            """The page's first language: this browser's explicit choice (cookie), else the
            learner's saved profile (it follows them across devices), else Accept-Language.
            The first mode: the profile's preferred mode, if any."""
            from tutor.learning.profile import Profiles

            profile = Profiles(backend.db).get(user.id) if user is not None else None
            if request_cookie_language(request) or profile is None or not profile.language:
                language = preferred_language(request)
            else:
                language = supported(profile.language)
            return language, (profile.mode or None) if profile is not None else None

        def on_load(current: str | None, request: gr.Request) -> dict[Any, Any]:
            user = user_of(request)
            language, mode = start_language_and_mode(request, user)
            names, default = user_courses(services, user)
            keep = current if current in names else default
            teacher = user is not None and user.is_teacher
            is_admin = user is not None and user.is_admin
            teacher_courses = sorted(user.courses) if teacher and user else []
            return {
                **page_labels(language, mode, user, {"choices": names, "value": keep}),
                chat.language: language,
                desk_tab: gr.Tab(visible=teacher),
                desk["course"]: gr.Dropdown(
                    choices=[("All my courses", ""), *[(c, c) for c in teacher_courses]], value=""
                ),
                users_tab: gr.Tab(visible=is_admin),
                admin["users"]: admin["table"]() if is_admin else [],
            }

        apply_js = apply_language_js()
        demo.load(
            on_load,
            inputs=[chat.course],
            outputs=[
                *labelled,
                chat.language,
                desk_tab,
                desk["course"],
                users_tab,
                admin["users"],
            ],
            api_visibility="private",
        ).then(None, inputs=[language_pick], js=apply_js, api_visibility="private")

        # The switch sets the session's language; whatever sets it (the switch, a learner's
        # saved profile) relabels the page. Both queued: a State's change event follows only
        # queued updates.
        language_pick.input(
            supported,
            inputs=[language_pick],
            outputs=[chat.language],
            api_visibility="private",
        )

        def relabel(language: str | None, mode: str | None, request: gr.Request) -> dict[Any, Any]:
            return page_labels(supported(language), mode, user_of(request), None)

        chat.language.change(
            relabel,
            inputs=[chat.language, chat.mode],
            outputs=labelled,
            api_visibility="private",
        ).then(None, inputs=[language_pick], js=apply_js, api_visibility="private")
        demo.load(
            learning.load,
            inputs=learning.inputs,
            outputs=learning.outputs,
            api_visibility="private",
        )
    return demo
