"""The teacher's review desk (a tab shown to teachers only; every handler checks the role):
triage queue with filters and full-text search, the conversation with its sources, review
actions, export links and an analytics panel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from tutor.accounts.access import User
from tutor.errors import TutorError
from tutor.ui import offline_environment
from tutor.ui.render import escape, neutralise_media, snippet

# Gradio resolves the handlers' type hints (gr.Request) from this module's globals.
offline_environment()
import gradio as gr  # noqa: E402

if TYPE_CHECKING:
    from tutor.transcripts.backend import Backend
    from tutor.ui.chat import UserOf

QUEUE_HEADERS = ["turn", "time", "learner", "course", "flags", "rating", "reviewed", "question"]
FLAG_CHOICES = [
    ("Everything (triage order)", ""),
    ("Flagged by the safety checks", "flagged"),
    ("Self-harm", "self_harm"),
    ("Not covered by the material", "not_covered"),
    ("Rated low", "low_rated"),
    ("Not yet reviewed", "unreviewed"),
    ("Hidden from the learner", "hidden"),
]
MODE_FILTER = [("Any mode", ""), ("Explain", "explain"), ("Guide me", "guide")]


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def queue_rows(turns: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for t in turns:
        rating = t.get("feedback_rating")
        rows.append(
            [
                t["id"],
                when(t["time"]),
                t["learner"],
                t["course"],
                (t.get("flags") or "").replace(",", ", "),
                {1: "👍", -1: "👎"}.get(rating or 0, ""),
                "yes" if t.get("reviewed") else "",
                snippet(t["question"], 80),
            ]
        )
    return rows


def render_conversation(turns: list[dict[str, Any]], selected: int | None = None) -> str:
    """A chat as escaped HTML: each question and answer, its flags, sources and review."""
    if not turns:
        return "<p>No conversation selected.</p>"
    head = turns[0]
    parts = [
        f'<div class="desk-chat"><p><strong>{escape(head["learner"])}</strong> · '
        f"{escape(head['course'])} · chat {escape(head['chat_id'][:8])}</p>"
    ]
    for t in turns:
        mark = " desk-selected" if t["id"] == selected else ""
        flags = ", ".join(f for f in (t.get("flags") or "").split(",") if f)
        badges = f' <span class="desk-flags">⚠ {escape(flags)}</span>' if flags else ""
        hidden = " <em>(hidden from the learner)</em>" if t.get("hidden") else ""
        parts.append(
            f'<div class="desk-turn{mark}" id="turn-{t["id"]}"><p><small>turn {t["id"]} · '
            f"{when(t['time'])} · {escape(t['mode'])}</small>{badges}{hidden}</p>"
            f"<p><strong>Learner:</strong> {escape(t['question'])}</p>"
            f'<p><strong>Tutor:</strong> <span style="white-space: pre-wrap">'
            f"{escape(neutralise_media(t['answer']))}</span></p>"
        )
        if t["sources"]:
            items = "".join(
                f"<li>[{s.get('n')}] {escape(' > '.join(p for p in (s.get('title'), s.get('heading')) if p) or s.get('document', ''))}"  # noqa: E501
                f" <small>({escape(str(s.get('chunk_id', ''))[:12])}, score "
                f"{float(s.get('score') or 0):.2f})</small></li>"
                for s in t["sources"]
            )
            parts.append(
                f'<details class="desk-sources" open><summary>Sources</summary>'
                f"<ul>{items}</ul></details>"
            )
        extra = []
        if t.get("feedback_rating"):
            extra.append(
                f"learner rated {'👍' if t['feedback_rating'] > 0 else '👎'}"
                + (
                    f": {escape(t.get('feedback_comment') or '')}"
                    if t.get("feedback_comment")
                    else ""
                )
            )
        if t.get("reviewed"):
            extra.append(f"reviewed by {escape(t.get('reviewer') or '')}")
        if t.get("review_rating"):
            extra.append(f"teacher rating {t['review_rating']}/5")
        if t.get("review_note"):
            extra.append(f"note: {escape(t['review_note'])}")
        if extra:
            parts.append(f"<p><small>{' · '.join(extra)}</small></p>")
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def export_links(filters: dict[str, str]) -> str:
    query = {k: v for k, v in filters.items() if v}
    links = []
    for fmt in ("csv", "jsonl"):
        href = "/api/teacher/export?" + urlencode({"format": fmt, **query})
        links.append(
            f'<a class="desk-export" id="desk-export-{fmt}" href="{escape(href)}" download>'
            f"Export {fmt.upper()}</a>"
        )
    return "<p>" + " · ".join(links) + " (the filtered turns)</p>"


def analytics_figure(data: dict[str, Any]) -> Any:
    """Questions per day, share of "not covered" per course and the most asked topics."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 7), layout="constrained")
    ax_day, ax_share, ax_topic = fig.subplots(3, 1)
    days: dict[str, int] = {}
    for row in data["per_day"]:
        days[row["day"]] = days.get(row["day"], 0) + row["n"]
    if days:
        ax_day.plot(list(days), list(days.values()), marker="o")
    ax_day.set_title("Questions per day")
    ax_day.tick_params(axis="x", labelrotation=30, labelsize=8)
    courses = data["per_course"]
    ax_share.bar([c["course"] for c in courses], [c["not_covered_share"] for c in courses])
    ax_share.set_ylim(0, 1)
    ax_share.set_title('Share of "not covered" questions per course')
    topics = data["topics"][::-1]
    ax_topic.barh([snippet(t["topic"], 40) for t in topics], [t["questions"] for t in topics])
    ax_topic.set_title("Most asked topics (by cited source)")
    ax_topic.tick_params(axis="y", labelsize=8)
    return fig


def build_desk_tab(backend: Backend, user_of: UserOf) -> dict[str, Any]:
    """The desk's components, inside the current (hidden) tab; returns those ``load`` fills."""

    desk = backend.desk

    with gr.Row():
        course = gr.Dropdown(
            choices=[("All my courses", "")],
            value="",
            label="Course",
            allow_custom_value=True,  # checked against the teacher's courses on every call
            elem_id="desk-course",
        )
        learner = gr.Textbox(label="Learner", elem_id="desk-learner")
        flag = gr.Dropdown(choices=FLAG_CHOICES, value="", label="Show", elem_id="desk-flag")
        mode = gr.Dropdown(choices=MODE_FILTER, value="", label="Mode", elem_id="desk-mode")
    with gr.Row():
        since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="desk-since")
        until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="desk-until")
        search = gr.Textbox(label="Search questions and answers", elem_id="desk-search")
        apply = gr.Button("Apply", variant="primary", elem_id="desk-apply")
    status = gr.Markdown("", elem_id="desk-status")
    queue = gr.Dataframe(
        headers=QUEUE_HEADERS,
        value=[],
        interactive=False,
        wrap=True,
        label="Triage queue: flagged first (self-harm first), then not covered, then low-rated",
        elem_id="desk-queue",
    )
    links = gr.HTML(export_links({}), elem_id="desk-export")
    with gr.Row(equal_height=True):
        turn = gr.Number(label="Turn", precision=0, elem_id="desk-turn", minimum=0)
        open_button = gr.Button("Open conversation", elem_id="desk-open")
    conversation = gr.HTML("<p>No conversation selected.</p>", elem_id="desk-conversation")
    with gr.Row():
        note = gr.Textbox(label="Note", elem_id="desk-note")
        rating = gr.Radio(choices=[1, 2, 3, 4, 5], label="Answer quality", elem_id="desk-rating")
    with gr.Row():
        reviewed = gr.Button("Mark reviewed", elem_id="desk-reviewed")
        save = gr.Button("Save note and rating", elem_id="desk-save")
        hide = gr.Button("Hide from learner", elem_id="desk-hide")
        unhide = gr.Button("Show to learner", elem_id="desk-unhide")
    with gr.Accordion("Analytics", open=False, elem_id="desk-analytics"):
        refresh = gr.Button("Draw", elem_id="desk-analytics-draw")
        plot = gr.Plot(label="Questions, coverage and topics", elem_id="desk-plot")

    filters = [course, learner, flag, mode, since, until, search]

    def run_query(
        course_v: str,
        learner_v: str,
        flag_v: str,
        mode_v: str,
        since_v: str,
        until_v: str,
        text_v: str,
        request: gr.Request,
    ) -> tuple[Any, Any, Any]:
        values = (course_v, learner_v, flag_v, mode_v, since_v, until_v, text_v)
        names = ("course", "learner", "flag", "mode", "since", "until", "text")
        chosen = {k: (v or "") for k, v in zip(names, values, strict=True)}
        try:
            turns = desk.queue(user_of_or_fail(request), **chosen, limit=300)
        except (TutorError, ValueError) as exc:
            return gr.skip(), gr.skip(), f"**{escape(str(exc))}**"
        query = {("q" if k == "text" else k): v for k, v in chosen.items()}
        return queue_rows(turns), export_links(query), f"{len(turns)} turns"

    def user_of_or_fail(request: gr.Request) -> User:
        user = user_of(request)
        if user is None:
            raise TutorError("please sign in again")
        return user

    gr.on(
        triggers=[apply.click, search.submit],
        fn=run_query,
        inputs=filters,
        outputs=[queue, links, status],
        api_visibility="private",
    )

    def open_turn(turn_id: float | None, request: gr.Request) -> tuple[Any, str]:
        if turn_id is None:
            return gr.skip(), "Choose a turn from the queue."
        try:
            turns = desk.conversation(user_of_or_fail(request), int(turn_id))
        except TutorError as exc:
            return "<p>No conversation selected.</p>", f"**{escape(str(exc))}**"
        return render_conversation(turns, int(turn_id)), f"Turn {int(turn_id)}"

    open_button.click(
        open_turn, inputs=[turn], outputs=[conversation, status], api_visibility="private"
    )

    def pick(evt: gr.SelectData, request: gr.Request) -> tuple[Any, str, str]:
        row = evt.row_value or []
        if not row:
            return gr.skip(), gr.skip(), gr.skip()
        html, message = open_turn(float(row[0]), request)
        return int(row[0]), html, message

    queue.select(pick, outputs=[turn, conversation, status], api_visibility="private")

    def act(kind: str) -> Any:
        def handler(
            turn_id: float | None, note_value: str, rating_value: int | None, request: gr.Request
        ) -> tuple[Any, str]:
            if turn_id is None:
                return gr.skip(), "Choose a turn first."
            user = None
            try:
                user = user_of_or_fail(request)
                tid = int(turn_id)
                if kind == "reviewed":
                    desk.review(user, tid, reviewed=True)
                elif kind == "save":
                    changes: dict[str, Any] = {"note": note_value or ""}
                    if rating_value:
                        changes["rating"] = int(rating_value)
                    desk.review(user, tid, **changes)
                else:
                    desk.hide(user, tid, kind == "hide")
                turns = desk.conversation(user, tid)
            except (TutorError, ValueError) as exc:
                return gr.skip(), f"**{escape(str(exc))}**"
            return render_conversation(turns, tid), f"Saved ({kind}) for turn {tid}."

        return handler

    for button, kind in (
        (reviewed, "reviewed"),
        (save, "save"),
        (hide, "hide"),
        (unhide, "unhide"),
    ):
        button.click(
            act(kind),
            inputs=[turn, note, rating],
            outputs=[conversation, status],
            api_visibility="private",
        )

    def draw(course_value: str, request: gr.Request) -> Any:
        try:
            data = desk.analytics(user_of_or_fail(request), course_value or "")
        except TutorError as exc:
            raise gr.Error(str(exc)) from exc
        return analytics_figure(data)

    refresh.click(draw, inputs=[course], outputs=[plot], api_visibility="private")
    return {"course": course, "queue": queue, "status": status}
