"""The chat on a phone (390×844 CSS pixels, a touch screen at device scale 2), in English and in
Arabic: sign in, ask with a tap, read the answer and its sources; nothing is cut off sideways and
the Send button is on screen and tappable. Screenshots go to the test's temporary folder and, for
the README, to docs/screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser_chat import (  # noqa: F401  (shared_chat is a fixture)
    FAKE_REPLY,
    REPO,
    shared_chat,
    sign_in,
    wait_chat_ready,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = REPO / "docs" / "screenshots"
QUESTION = "What colour does litmus paper turn in an acid?"
# Whether the centre of an element is what a tap there would hit (not covered by another).
TAPPABLE = """(el) => {
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return !!hit && (hit === el || el.contains(hit));
}"""


@pytest.mark.parametrize(
    ("locale", "shot", "summary"),
    [("en-US", "phone-chat.png", "Sources ("), ("ar", "phone-chat-ar.png", "المصادر (")],
)
def test_chat_on_a_phone(
    shared_chat: Any,  # noqa: F811
    tmp_path: Path,
    locale: str,
    shot: str,
    summary: str,
) -> None:
    from playwright.sync_api import expect

    url, password, browser, _ = shared_chat
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )
    page = context.new_page()
    sign_in(page, url, "ann", password)
    wait_chat_ready(page)
    if locale == "ar":
        expect(page.locator("html")).to_have_attribute("dir", "rtl")

    page.locator("#tutor-question textarea").fill(QUESTION)
    send = page.locator("#tutor-send")
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert box["width"] >= 44 and box["height"] >= 24  # a target a finger can hit
    assert send.evaluate(TAPPABLE), "something covers the Send button"
    send.tap()

    chatbot = page.locator("#tutor-chatbot")
    expect(chatbot).to_contain_text(FAKE_REPLY)
    sources = chatbot.locator("details.tutor-sources")
    expect(sources).to_be_visible()
    expect(sources.locator("summary")).to_contain_text(summary)
    for part in (sources.locator("summary"), sources.locator(".tutor-snippet").first):
        expect(part).to_be_visible()
        size = float(part.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)"))
        assert size >= 12, f"source text of {size}px is too small to read"
        part_box = part.bounding_box()
        assert part_box is not None
        assert part_box["x"] >= 0 and part_box["x"] + part_box["width"] <= PHONE["width"]

    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways ({width}px)"

    # The picture for the README: the question, the answer with its sources, the input.
    page.evaluate(
        "document.querySelector('#tutor-chatbot').scrollIntoView({block: 'start'});"
        "window.scrollBy(0, -8)"
    )
    page.screenshot(path=str(tmp_path / shot))
    page.screenshot(path=str(tmp_path / f"full-{shot}"), full_page=True)
    context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / shot, SCREENSHOTS / shot)
