"""The teacher's review desk in a real browser (Debian's Chromium through Playwright): sign in
as a teacher, find the flagged conversation at the top of the triage queue, open it with its
sources, mark it reviewed, and export the filtered transcripts as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_accounts import add_user
from tests.test_browser_chat import CHROMIUM_ARGS, TIMEOUT_MS, chromium, sign_in  # noqa: F401
from tests.test_server import LiveServer, add_course, make_services, wait_ready
from tutor.config import Settings
from tutor.pipeline import Pipeline
from tutor.server import create_app

pytestmark = pytest.mark.browser

CRISIS = "I feel hopeless and want to kill myself"


def test_teacher_reviews_and_exports_a_flagged_conversation(
    chromium: str,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    services = make_services(settings)
    add_course(services, tmp_path / "course")
    app = create_app(services)
    backend = app.state.backend
    add_user(backend, "ann", "learner", "tiny")
    add_user(backend, "cy", "learner", "other")
    teacher_password = add_user(backend, "tom", "teacher", "tiny")
    chats = backend.chat_service(Pipeline(services))
    ann = backend.accounts.get("ann")
    first = chats.ask(ann, "What colour does litmus paper turn in an acid?", course="tiny")
    crisis = chats.ask(ann, CRISIS, course="tiny", chat_id=first.chat_id)
    chats.ask(ann, "Who painted the Mona Lisa?", course="tiny")
    assert crisis.answer.refused and crisis.turn_id

    expect.set_options(timeout=TIMEOUT_MS)
    with LiveServer(app) as live, sync_playwright() as pw:
        with httpx.Client(base_url=live.url) as http:
            assert wait_ready(http).status_code == 200
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            sign_in(page, live.url, "tom", teacher_password)
            expect(page.locator("#tutor-user")).to_contain_text("Signed in as tom")
            page.get_by_role("tab", name="Review desk").click()

            # The triage queue: the self-harm turn comes first.
            page.locator("#desk-apply").click()
            queue = page.locator("#desk-queue")
            expect(page.locator("#desk-status")).to_contain_text("3 turns")
            expect(queue).to_contain_text("self_harm")
            expect(queue).to_contain_text("not_covered")
            shown = queue.inner_text()
            assert shown.index("self_harm") < shown.index("not_covered")

            # Only the flagged turns, then open the conversation around the flagged turn.
            page.locator("#desk-flag input").click()
            page.get_by_role("option", name="Flagged by the safety checks").click()
            page.locator("#desk-apply").click()
            expect(page.locator("#desk-status")).to_contain_text("1 turns")
            page.locator("#desk-turn input").fill(str(crisis.turn_id))
            page.locator("#desk-open").click()
            conversation = page.locator("#desk-conversation")
            expect(conversation).to_contain_text(CRISIS)
            expect(conversation).to_contain_text("What colour does litmus paper turn")
            expect(conversation.locator(".desk-sources").first).to_contain_text("Indicators")
            expect(conversation.locator(".desk-selected")).to_contain_text("self_harm")

            page.locator("#desk-reviewed").click()
            expect(conversation).to_contain_text("reviewed by tom")

            # Export the filtered (flagged) turns as CSV.
            with page.expect_download() as download_info:
                page.locator("#desk-export-csv").click()
            download = download_info.value
            target = tmp_path / "flagged.csv"
            download.save_as(str(target))
            context.close()
        finally:
            browser.close()
            expect.set_options(timeout=None)

    rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["question"] for r in rows] == [CRISIS]
    assert rows[0]["learner"] == "ann" and rows[0]["flags"] == "self_harm"
    assert rows[0]["reviewed"] == "True"
    actions = {(r["actor"], r["action"]) for r in backend.store.audit_log()}
    assert {
        ("tom", "login"),
        ("tom", "view_queue"),
        ("tom", "view_chat"),
        ("tom", "review"),
        ("tom", "export_csv"),
    } <= actions
