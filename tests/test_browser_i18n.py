"""The chat in the learner's language in a real browser: the first language comes from the
browser (Accept-Language), the switch in the header relabels the whole chat and turns the page
right-to-left for Arabic, the choice survives a reload and reaches the sign-in page, and the
tutor's own messages (here: not covered by the course) come in the learner's language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser_chat import (  # noqa: F401  (chromium is a fixture)
    FAKE_REPLY,
    chromium,
    served_chat,
    sign_in,
    wait_chat_ready,
)
from tutor.config import Settings

pytestmark = pytest.mark.browser

NOT_COVERED = "Who painted the Mona Lisa?"
QUESTION = "What colour does litmus paper turn in an acid?"


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None
    return dict(found)


def test_chat_follows_the_browser_then_the_switch(
    chromium: str,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    with served_chat(settings, tmp_path, chromium) as (url, password, browser, services):
        llm: Any = services.llm  # the scripted fake records the prompt of its latest call
        context = browser.new_context(locale="es-ES", viewport={"width": 1024, "height": 900})
        page = context.new_page()
        html = page.locator("html")

        # The sign-in page and the chat speak the browser's language.
        page.goto(url + "/")
        page.wait_for_url(re.compile(r"/login$"))
        expect(html).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", name="Tutor del curso")).to_be_visible()
        expect(page.get_by_label("Contraseña")).to_be_visible()
        sign_in(page, url, "ann", password)
        wait_chat_ready(page)
        expect(html).to_have_attribute("lang", "es")
        expect(page).to_have_title("Tutor del curso")
        expect(page.get_by_role("heading", name="Tutor del curso")).to_be_visible()
        expect(page.locator("#tutor-user")).to_contain_text("Sesión iniciada como ann (estudiante)")
        expect(page.get_by_label("Tu pregunta")).to_be_visible()
        expect(page.get_by_role("button", name="Enviar", exact=True)).to_be_visible()
        expect(page.get_by_label("Guíame")).to_be_visible()

        # The tutor's own message is in Spanish, and so is the note above it.
        page.get_by_label("Tu pregunta").fill(NOT_COVERED)
        page.get_by_role("button", name="Enviar", exact=True).click()
        chatbot = page.locator("#tutor-chatbot")
        expect(chatbot).to_contain_text("No he encontrado esto en el material del curso «tiny»")
        expect(chatbot).to_contain_text("No aparece en el material del curso.")
        expect(page.locator("#tutor-live")).to_contain_text("Respuesta del tutor: No aparece")

        # Switch to Arabic: every label changes and the page turns right-to-left.
        page.locator("#tutor-language input").click()
        page.get_by_role("option", name="العربية").click()
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "ar")
        expect(page).to_have_title("مُعلّم المقرر")
        expect(page.get_by_role("heading", name="مُعلّم المقرر")).to_be_visible()
        expect(page.get_by_label("سؤالك")).to_be_visible()
        expect(page.get_by_role("button", name="إرسال", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="محادثة جديدة")).to_be_visible()
        expect(page.get_by_label("أرشدني")).to_be_visible()
        expect(page.locator("#tutor-user")).to_contain_text("تسجيل الخروج")
        expect(page.get_by_role("tab", name="المحادثة")).to_be_visible()
        assert "tutor_lang=ar" in page.evaluate("document.cookie")

        page.get_by_label("سؤالك").fill(QUESTION)
        page.get_by_role("button", name="إرسال", exact=True).click()
        expect(chatbot).to_contain_text(FAKE_REPLY)
        sources = chatbot.locator("details.tutor-sources").last
        expect(sources.locator("summary")).to_have_text("المصادر (4)")
        assert "العربية" in llm.last_messages[0]["content"]  # the model is asked for Arabic

        # Mirrored: Send left of the question box, the learner's bubble left of the tutor's,
        # the sources right-to-left, and nothing wider than the page.
        assert box(page.locator("#tutor-send"))["x"] < box(page.locator("#tutor-question"))["x"]
        user_bubble = box(chatbot.locator("[data-testid=user]").last)
        bot_bubble = box(chatbot.locator("[data-testid=bot]").last)
        assert user_bubble["x"] < bot_bubble["x"]
        assert sources.evaluate("(el) => getComputedStyle(el).direction") == "rtl"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 1025
        page.screenshot(path=str(tmp_path / "chat-ar.png"), full_page=True)

        # A reload keeps the choice, and so does the sign-in page.
        page.reload()
        wait_chat_ready(page)
        expect(html).to_have_attribute("dir", "rtl")
        expect(page.get_by_label("سؤالك")).to_be_visible()
        page.goto(url + "/logout")
        page.wait_for_url(re.compile(r"/login$"))
        expect(html).to_have_attribute("dir", "rtl")
        expect(page.get_by_role("button", name="تسجيل الدخول")).to_be_visible()

        # The sign-in page's own links switch its language too.
        page.get_by_role("link", name="Français").click()
        expect(html).to_have_attribute("lang", "fr")
        expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
        context.close()
