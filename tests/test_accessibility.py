"""WCAG 2.2 AA for the learner's pages: the theme's colour contrast; axe-core in Chromium on the
sign-in page and the chat (before and after an answer, in English and in Arabic); a keyboard-only
walk through the chat; the answer announced once, when complete; text enlarged to 200 %.

axe-core comes from the npm registry (``make axe``); without it those scans are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser_chat import (  # noqa: F401  (shared_chat is a fixture)
    AXE_JS,
    FAKE_REPLY,
    shared_chat,
    sign_in,
    wait_chat_ready,
)

QUESTION = "What colour does litmus paper turn in an acid?"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}

# The accessible name of the focused element, and whether its focus shows (outline or shadow).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const text = (node) => (node ? (node.innerText || node.textContent || "") : "");
  let name = "";
  const labelledby = el.getAttribute("aria-labelledby");
  if (labelledby) {
    name = labelledby.split(/\\s+/).map((id) => text(document.getElementById(id))).join(" ");
  }
  name = name || el.getAttribute("aria-label") || "";
  if (!name && el.labels && el.labels.length) {
    name = Array.from(el.labels).map(text).join(" ");
  }
  if (!name && ["A", "BUTTON", "SUMMARY"].includes(el.tagName)) name = text(el);
  name = (name || el.getAttribute("title") || el.getAttribute("placeholder") || "").trim();
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName, type: el.type || "", role: el.getAttribute("role") || "",
    id: el.id || (el.closest("[id]") || {}).id || "", name: name,
    visible: outline || !!shadow, shown: box.width > 0 && box.height > 0,
    inSources: !!el.closest(".tutor-sources"), inQuestion: !!el.closest("#tutor-question"),
  };
}"""


# --- colours --------------------------------------------------------------------------------

# (text, background) theme variables that the chat shows together.
COLOUR_PAIRS = [
    ("body_text_color", "background_fill_primary"),
    ("body_text_color_subdued", "background_fill_primary"),
    ("body_text_color", "block_background_fill"),
    ("block_info_text_color", "block_background_fill"),
    ("block_title_text_color", "block_background_fill"),
    ("block_label_text_color", "block_label_background_fill"),
    ("input_placeholder_color", "input_background_fill"),
    ("body_text_color", "input_background_fill"),
    ("button_primary_text_color", "button_primary_background_fill"),
    ("button_primary_text_color", "button_primary_background_fill_hover"),
    ("button_secondary_text_color", "button_secondary_background_fill"),
    ("button_secondary_text_color", "button_secondary_background_fill_hover"),
    ("link_text_color", "background_fill_primary"),
    ("checkbox_label_text_color", "checkbox_label_background_fill"),
]
NAMED = {"white": "#ffffff", "black": "#000000"}


def resolve(theme: Any, name: str, dark: bool) -> str:
    """A theme variable's colour, following ``*references`` (a dark value falls back to light)."""
    value = (getattr(theme, f"{name}_dark", None) if dark else None) or getattr(theme, name)
    while isinstance(value, str) and value.startswith("*"):
        reference = value[1:]
        value = (getattr(theme, f"{reference}_dark", None) if dark else None) or getattr(
            theme, reference
        )
    colour = NAMED.get(str(value).strip().lower(), str(value).strip().lower())
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), f"{name}: {value!r} is not a plain colour"
    return colour


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_theme_text_contrast_is_at_least_4_5(dark: bool) -> None:
    pytest.importorskip("gradio")
    from tutor.ui.theme import build_theme

    theme = build_theme()
    low = []
    for text, background in COLOUR_PAIRS:
        ratio = contrast(resolve(theme, text, dark), resolve(theme, background, dark))
        if ratio < 4.5:
            low.append(f"{text} on {background}: {ratio:.2f}")
    assert low == []


# --- axe-core in Chromium -------------------------------------------------------------------


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practices)."""
    # The page's CSP allows inline scripts, so the injected axe-core runs without bypass_csp.
    page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }));
        }""",
        AXE_TAGS,
    )
    return found


def blocking(violations: list[dict[str, Any]], where: str) -> list[str]:
    for v in violations:
        print(f"axe {where}: {v['impact']} {v['id']} ({v['help']}) {v['nodes']}")
    return [f"{where}: {v['id']} {v['nodes']}" for v in violations if v["impact"] in BLOCKING]


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_axe_finds_no_serious_problem(shared_chat: Any, locale: str) -> None:  # noqa: F811
    if not AXE_JS.is_file():
        pytest.skip("axe-core is not installed: run `make axe` (npm)")
    from playwright.sync_api import expect

    problems: list[str] = []
    url, password, browser, _ = shared_chat
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(url + "/login")
    language = locale.split("-")[0]
    expect(page.locator("html")).to_have_attribute("lang", language)
    problems += blocking(axe_violations(page), f"{locale} sign-in")

    sign_in(page, url, "ann", password)
    wait_chat_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", language)
    problems += blocking(axe_violations(page), f"{locale} chat")

    page.locator("#tutor-question textarea").fill(QUESTION)
    page.locator("#tutor-send").click()
    expect(page.locator("#tutor-chatbot details.tutor-sources")).to_be_visible()
    expect(page.locator("#tutor-live")).to_contain_text(FAKE_REPLY)
    problems += blocking(axe_violations(page), f"{locale} answered")
    context.close()
    assert problems == []


# --- keyboard only --------------------------------------------------------------------------


def tab(page: Any, key: str = "Tab") -> dict[str, Any]:
    page.keyboard.press(key)
    focused: dict[str, Any] | None = page.evaluate(FOCUSED)
    assert focused is not None, f"{key} left the focus nowhere"
    assert focused["name"], f"a focused control has no accessible name: {focused}"
    assert focused["visible"] and focused["shown"], f"the focus does not show: {focused}"
    return focused


@pytest.mark.browser
def test_keyboard_only_walk_through_the_chat(shared_chat: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    url, password, browser, _ = shared_chat
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # Sign in with the keyboard alone.
    page.goto(url + "/")
    page.wait_for_url(re.compile(r"/login$"))
    assert tab(page)["id"] == "username"
    page.keyboard.type("ann")
    assert tab(page)["id"] == "password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    wait_chat_ready(page)

    # From the top of the page, Tab reaches the question box through named, visibly
    # focused controls; the skip link comes first.
    walk = [tab(page)]
    assert walk[0]["name"] == "Skip to the question box"
    while not walk[-1]["inQuestion"]:
        walk.append(tab(page))
        assert len(walk) < 40, f"Tab never reached the question box: {walk}"
    names = [step["name"] for step in walk]
    print("tab order:", names)
    assert "Sign out" in names and "Language" in names and "Course" in names
    assert names.index("Language") < names.index("Course")

    # The skip link jumps straight to the question box.
    page.keyboard.press("Shift+Tab")
    page.evaluate("window.scrollTo(0, 0)")
    page.locator(".tutor-skip-link").focus()
    page.keyboard.press("Enter")
    assert tab(page)["inQuestion"]

    # Type, Enter to send; the answer arrives and is announced once complete.
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    chatbot = page.locator("#tutor-chatbot")
    expect(chatbot).to_contain_text(FAKE_REPLY)
    expect(chatbot.locator("details.tutor-sources")).to_be_visible()
    live = page.locator("#tutor-live")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_attribute("role", "status")
    expect(live).to_contain_text(re.compile(r"^\s*The tutor answered: .*" + re.escape(FAKE_REPLY)))
    expect(live).not_to_contain_text("Sources")  # the answer, not the list of sources
    # The chatbot's own live region would read every streamed piece: it is quiet.
    expect(chatbot.locator("[role=log]")).to_have_attribute("aria-live", "off")

    # Back (Shift+Tab) from the question box to the answer's sources...
    focused = page.evaluate(FOCUSED)
    assert focused and focused["inQuestion"]
    back: list[dict[str, Any]] = []
    while not back or not back[-1]["inSources"]:
        back.append(tab(page, "Shift+Tab"))
        assert len(back) < 20, f"Shift+Tab never reached the sources: {back}"
    assert back[-1]["tag"] == "SUMMARY" and back[-1]["name"].startswith("Sources (")
    # ... and forward again to the thumbs, which work from the keyboard.
    forward: list[dict[str, Any]] = []
    while not forward or forward[-1]["id"] != "tutor-thumbs-up":
        forward.append(tab(page))
        assert len(forward) < 20, f"Tab never reached the thumbs: {forward}"
    assert tab(page)["id"] == "tutor-thumbs-down"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#tutor-feedback-note")).to_contain_text("Thank you")
    context.close()


# --- enlarged text --------------------------------------------------------------------------

# Elements whose overflow hides part of their text (clipped rather than scrollable).
CLIPPED = """() => {
  const clipped = [];
  for (const el of document.querySelectorAll(".gradio-container *")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (el.closest(".tutor-sr-only, [aria-hidden=true], .visually-hidden")) continue;
    if (!(el.innerText || "").trim()) continue;
    const hides = (o) => o === "hidden" || o === "clip";
    const overX = el.scrollWidth > el.clientWidth + 1 && hides(style.overflowX);
    const overY = el.scrollHeight > el.clientHeight + 1 && hides(style.overflowY);
    if ((overX || overY) && el.clientWidth > 1 && el.clientHeight > 1) {
      clipped.push((el.id || el.className || el.tagName).toString().slice(0, 60));
    }
  }
  return clipped;
}"""


@pytest.mark.browser
@pytest.mark.parametrize(
    "viewport",
    [{"width": 640, "height": 450}, {"width": 320, "height": 568}],
    ids=["zoom-200", "reflow-320"],
)
def test_enlarged_text_reflows_without_loss(
    shared_chat: Any,  # noqa: F811
    tmp_path: Path,
    viewport: dict[str, int],
) -> None:
    """A 1280×900 screen at 200 % zoom is a 640×450 CSS-pixel page (WCAG 1.4.4); 320 CSS
    pixels wide is the reflow width of WCAG 1.4.10. Nothing scrolls sideways or is clipped."""
    from playwright.sync_api import expect

    url, password, browser, _ = shared_chat
    context = browser.new_context(viewport=viewport, device_scale_factor=2)
    page = context.new_page()
    sign_in(page, url, "ann", password)
    wait_chat_ready(page)
    page.locator("#tutor-question textarea").fill(QUESTION)
    page.locator("#tutor-send").click()
    sources = page.locator("#tutor-chatbot details.tutor-sources")
    expect(sources).to_be_visible()
    page.screenshot(path=str(tmp_path / f"enlarged-{viewport['width']}.png"), full_page=True)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"the page scrolls sideways ({width}px)"
    assert page.evaluate(CLIPPED) == []
    # The whole answer can be reached: the last source scrolls into view.
    last = sources.locator("li").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    send = page.locator("#tutor-send")
    send.scroll_into_view_if_needed()
    box = send.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    context.close()
