"""User management (a tab shown to admins only; every handler checks the role)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tutor.accounts.access import require_admin
from tutor.accounts.users import generate_password
from tutor.errors import TutorError
from tutor.ui import offline_environment
from tutor.ui.render import escape

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.transcripts.backend import Backend
    from tutor.ui.chat import UserOf

ROLE_CHOICES = ["learner", "teacher", "admin"]


def build_admin_tab(backend: Backend, user_of: UserOf) -> dict[str, Any]:

    accounts = backend.accounts

    def table() -> list[list[str]]:
        return [[u.name, u.role, ", ".join(sorted(u.courses))] for u in accounts.list()]

    users = gr.Dataframe(
        headers=["name", "role", "courses"], value=[], interactive=False, elem_id="admin-users"
    )
    with gr.Row():
        name = gr.Textbox(label="Name", elem_id="admin-name")
        role = gr.Dropdown(choices=ROLE_CHOICES, value="learner", label="Role")
        courses = gr.Textbox(label="Courses (comma-separated)", elem_id="admin-courses")
        password = gr.Textbox(label="Password (empty: generate one)", type="password")
    with gr.Row():
        add = gr.Button("Add user", variant="primary", elem_id="admin-add")
        set_courses = gr.Button("Set courses", elem_id="admin-set-courses")
        remove = gr.Button("Remove user", variant="stop", elem_id="admin-remove")
    status = gr.Markdown("", elem_id="admin-status")

    def act(kind: str) -> Any:
        def handler(
            name_v: str, role_v: str, courses_v: str, password_v: str, request: gr.Request
        ) -> tuple[Any, str, str]:
            try:
                admin = require_admin(user_of(request))
                wanted = [c.strip() for c in (courses_v or "").split(",") if c.strip()]
                who = (name_v or "").strip()
                if kind == "add":
                    chosen = password_v or generate_password()
                    accounts.add(who, role_v, chosen, wanted)
                    message = f"Added {escape(who)}."
                    if not password_v:
                        message += f" Password (shown once): `{chosen}`"
                elif kind == "courses":
                    accounts.set_courses(who, wanted)
                    message = f"Courses of {escape(who)} set."
                else:
                    if who == admin.name:
                        return gr.skip(), "You cannot remove yourself.", ""
                    accounts.remove(who)
                    message = f"Removed {escape(who)} and their transcripts."
                backend.store.audit(
                    admin.name, f"user_{kind}", who, role_v if kind == "add" else ""
                )
            except TutorError as exc:
                return gr.skip(), f"**{escape(str(exc))}**", ""
            return table(), message, ""

        return handler

    for button, kind in ((add, "add"), (set_courses, "courses"), (remove, "remove")):
        button.click(
            act(kind),
            inputs=[name, role, courses, password],
            outputs=[users, status, password],
            api_visibility="private",
        )
    return {"users": users, "table": table}
