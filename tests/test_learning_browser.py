"""The "My learning" tab in a real browser (Debian's Chromium through Playwright), on the fakes.

Signs in as a learner, asks a question, opens My learning, sees the chat there and resumes it in
the Chat tab (memory included), rates an answer 👎 (a hard topic), edits the profile (which then
reaches the prompt), answers a practice question (a wrong answer gets a hint, the passage's
answer is accepted), deletes the learning data and switches the page to French.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_browser_chat import CHROMIUM_ARGS, TIMEOUT_MS, ask, chromium, sign_in
from tests.test_server import (
    FAKE_REPLY,
    LiveServer,
    add_course,
    learner_app,
    make_services,
    wait_ready,
)
from tutor.config import Settings
from tutor.learning.profile import Profiles

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the fixture, imported for its use below

QUESTION = "What colour does litmus paper turn in an acid?"


def test_my_learning_in_chromium(chromium: str, settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    services = make_services(settings)
    add_course(services, tmp_path / "course")
    llm: Any = services.llm
    app, password = learner_app(services)
    backend = app.state.backend
    ann = backend.accounts.get("ann")

    expect.set_options(timeout=TIMEOUT_MS)
    with LiveServer(app) as live, sync_playwright() as pw:
        with httpx.Client(base_url=live.url) as http:
            assert wait_ready(http).status_code == 200
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            sign_in(page, live.url, "ann", password)
            chatbot = page.locator("#tutor-chatbot")
            expect(page.locator("#tutor-course input")).to_have_value("tiny")
            ask(page, QUESTION)
            expect(chatbot).to_contain_text(FAKE_REPLY)
            expect(chatbot.locator("details.tutor-sources")).to_have_count(1)
            page.get_by_role("button", name="New chat").click()
            expect(chatbot).not_to_contain_text(FAKE_REPLY)

            # My chats: the chat is listed under its first question; Resume reopens it.
            page.get_by_role("tab", name="My learning").click()
            expect(page.locator("#learning-chats-head")).to_contain_text("My chats")
            listed = page.locator("#learning-chats")
            expect(listed).to_contain_text(QUESTION)
            expect(listed).to_contain_text("1 question")
            page.get_by_label(QUESTION, exact=False).check()
            page.get_by_role("button", name="Resume").click()
            expect(page.get_by_role("tab", name="Chat", exact=True)).to_have_attribute(
                "aria-selected", "true"
            )
            expect(chatbot).to_contain_text(QUESTION)
            expect(chatbot).to_contain_text(FAKE_REPLY)
            expect(chatbot.locator("details.tutor-sources")).to_have_count(1)
            ask(page, "How long does a for loop repeat?")
            expect(chatbot.locator("details.tutor-sources")).to_have_count(2)
            assert len(llm.last_messages) == 4  # the resumed turn is remembered
            page.locator("#tutor-thumbs-down").click()  # its topic becomes a hard topic
            expect(page.locator("#tutor-feedback-note")).not_to_be_empty()

            # My profile: the level is saved and reaches the prompt.
            page.get_by_role("tab", name="My learning").click()
            # Opening the tab refreshes it (the profile fields included): wait for that first.
            expect(page.locator("#learning-chats")).to_contain_text("2 questions")
            page.get_by_label("Your level (optional)").fill("Year 9")
            page.get_by_role("button", name="Save my profile").click()
            expect(page.locator("#learning-saved")).to_contain_text("Saved.")
            assert Profiles(backend.db).get(ann.id).level == "Year 9"
            topics = page.locator("#learning-topics")
            expect(topics).to_contain_text("from an answer you rated 👎")

            # Practice me: a question on a course heading, with its citation.
            topic = page.locator("#learning-practice-topic input")
            topic.fill("Acids and bases > Indicators")
            topic.press("Enter")
            page.get_by_role("button", name="Start", exact=True).click()
            question = page.locator("#learning-question")
            expect(question).to_contain_text("Question 1 of")
            expect(question).to_contain_text("Source: ")
            row = backend.db.one(
                "SELECT expected, document FROM practice_items WHERE user_id = ? "
                "ORDER BY id LIMIT 1",
                (ann.id,),
            )
            expect(question).to_contain_text(row["document"])
            answer_box = page.get_by_label("Your answer")
            answer_box.fill("zzz not it")
            page.get_by_role("button", name="Check", exact=True).click()
            feedback = page.locator("#learning-feedback")
            expect(feedback).to_contain_text("Not quite")
            expect(feedback).to_contain_text("Try again")
            expect(page.locator("#learning-topics")).to_contain_text("from a practice question")
            answer_box.fill(row["expected"])
            page.get_by_role("button", name="Check", exact=True).click()
            expect(feedback).to_contain_text("Right!")
            page.screenshot(path=str(tmp_path / "my-learning-tab.png"), full_page=True)
            page.get_by_role("button", name="Next question").click()
            expect(question).to_contain_text(re.compile(r"Question 2 of|Round finished"))

            # The profile is in the prompt of the next chat question.
            page.get_by_role("tab", name="Chat", exact=True).click()
            ask(page, "What is the pH of pure water?")
            expect(chatbot.locator("details.tutor-sources")).to_have_count(3)
            assert "The learner is in Year 9" in llm.last_messages[0]["content"]
            assert "Acids and bases > Indicators" in llm.last_messages[0]["content"]

            # Delete my learning data, after a confirmation; the chats stay.
            page.get_by_role("tab", name="My learning").click()
            page.get_by_role("button", name="Delete my learning data").click()
            page.get_by_role("button", name="Yes, delete it all").click()
            expect(page.locator("#learning-saved")).to_contain_text("has been deleted")
            expect(page.locator("#learning-topics-note")).to_contain_text("No hard topics yet")
            expect(page.get_by_label("Your level (optional)")).to_have_value("")
            assert Profiles(backend.db).hard_topics(ann.id) == []
            expect(page.locator("#learning-chats")).to_contain_text(QUESTION)

            # The tab follows the page's language.
            page.locator("#tutor-language input").click()
            page.get_by_role("option", name="Français").click()
            expect(page.get_by_role("tab", name="Mon apprentissage")).to_be_visible()
            expect(page.locator("#learning-chats-head")).to_contain_text("Mes conversations")
            page.screenshot(path=str(tmp_path / "my-learning.png"), full_page=True)

            # On another device (no language cookie) the saved profile sets the language and
            # the mode; the browser asks for English, the profile wins.
            Profiles(backend.db).update(ann.id, language="es", mode="guide")
            other = browser.new_context(
                viewport={"width": 1100, "height": 900}, locale="en-GB"
            ).new_page()
            other.set_default_timeout(TIMEOUT_MS)
            sign_in(other, live.url, "ann", password)
            expect(other.locator("#tutor-mode")).to_contain_text("Modo")
            expect(other.get_by_role("radio", name="Guíame")).to_be_checked()
            assert other.evaluate("document.documentElement.lang") == "es"
        finally:
            browser.close()
            expect.set_options(timeout=None)
