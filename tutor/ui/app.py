"""The whole Gradio app: a header with the signed-in user, the learner chat, and the review
desk and user management tabs, which start hidden and are revealed for teachers and admins
(revealing is cosmetic; their handlers check the role themselves)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor.accounts.access import User
from tutor.ui import offline_environment
from tutor.ui.render import escape

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.chat_service import ChatService
    from tutor.services import Services
    from tutor.transcripts.backend import Backend

TITLE = "Course tutor"


def build_app(services: Services, chats: ChatService, backend: Backend) -> gr.Blocks:

    from tutor.ui.admin import build_admin_tab
    from tutor.ui.chat import INTRO, build_chat_tab, user_courses
    from tutor.ui.desk import build_desk_tab

    def user_of(request: Any) -> User | None:
        name = getattr(request, "username", None)
        return backend.accounts.get(name) if name else None

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {TITLE}\n{INTRO}", elem_id="tutor-title")
        who = gr.HTML("", elem_id="tutor-user")
        with gr.Tabs(elem_id="tutor-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="tab-chat"):
                chat = build_chat_tab(services, chats, backend, user_of)
            with gr.Tab("Review desk", id="desk", visible=False, elem_id="tab-desk") as desk_tab:
                desk = build_desk_tab(backend, user_of)
            with gr.Tab("Users", id="users", visible=False, elem_id="tab-users") as users_tab:
                admin = build_admin_tab(backend, user_of)

        def on_load(current: str | None, request: gr.Request) -> tuple[Any, ...]:
            user = user_of(request)
            names, default = user_courses(services, user)
            keep = current if current in names else default
            teacher = user is not None and user.is_teacher
            is_admin = user is not None and user.is_admin
            label = (
                f"<p>Signed in as <strong>{escape(user.name)}</strong> ({escape(user.role)}) · "
                '<a href="/logout">Sign out</a></p>'
                if user
                else '<p><a href="/login">Sign in</a></p>'
            )
            teacher_courses = sorted(user.courses) if teacher and user else []
            return (
                label,
                gr.Dropdown(choices=names, value=keep),
                gr.Tab(visible=teacher),
                gr.Dropdown(
                    choices=[("All my courses", ""), *[(c, c) for c in teacher_courses]], value=""
                ),
                gr.Tab(visible=is_admin),
                admin["table"]() if is_admin else [],
            )

        demo.load(
            on_load,
            inputs=[chat.course],
            outputs=[who, chat.course, desk_tab, desk["course"], users_tab, admin["users"]],
            api_visibility="private",
        )
    return demo
