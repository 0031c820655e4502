"""The signed-in chat page on a slow link (emulated 3G): every request goes to the server itself,
and the bytes on the wire stay within a budget. The figures are printed (``pytest -s``);
``python -m bench.bench_page_weight`` measures the same for the README."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.bench_page_weight import load_chat
from tests.test_browser_chat import (  # noqa: F401  (chromium is a fixture)
    chromium,
    served_chat,
    sign_in,
    wait_chat_ready,
)
from tutor.config import Settings

pytestmark = pytest.mark.browser

# Measured at about 530 KiB on the wire (1.2 MiB decoded) in 94 requests with Gradio 6.31;
# the budget leaves room for a Gradio update, not for a new framework or a bundled font.
WIRE_BUDGET = 1536 * 1024
REQUEST_BUDGET = 200


def test_chat_page_weight_on_a_slow_link(
    chromium: str,  # noqa: F811
    settings: Settings,
    tmp_path: Path,
) -> None:
    with served_chat(settings, tmp_path, chromium) as (url, password, browser, _):
        context = browser.new_context()
        seen: list[str] = []
        context.on("request", lambda request: seen.append(request.url))
        page = context.new_page()
        sign_in(page, url, "ann", password)
        wait_chat_ready(page)
        seen.clear()
        weight = load_chat(context, url, slow=True)
        context.close()

    print(
        f"\nchat page on slow 3G: {weight['requests']} requests, "
        f"{weight['wire_bytes'] / 1024:.0f} KiB on the wire "
        f"({weight['decoded_bytes'] / 1024:.0f} KiB decoded, "
        f"{weight['compressed_responses']} responses compressed), "
        f"usable after {weight['usable_s']} s"
    )
    assert seen, "the browser made no request"
    own = urlsplit(url).netloc
    assert own.startswith("127.0.0.1:")
    elsewhere = [
        u for u in seen if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
    ]
    assert elsewhere == [], f"the page reached other hosts: {elsewhere}"
    assert 0 < weight["wire_bytes"] <= WIRE_BUDGET
    assert weight["requests"] <= REQUEST_BUDGET
    assert weight["compressed_responses"] > 0  # Gradio's assets travel compressed
