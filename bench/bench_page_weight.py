"""Page weight of the signed-in chat page: requests, bytes on the wire (compressed where the
server compresses) and decoded, and how long the chat takes to become usable on a slow link.

    python -m bench.bench_page_weight [--url URL --user NAME --password PW] [--json]

Without ``--url`` the app is served on the fakes (the bundled sample course, a learner "bench")
from a temporary home. Chromium (Debian's ``chromium``) loads the page through Playwright with
its cache off, twice: at full speed for the byte counts (from Chromium's own network events),
then on an emulated slow 3G link (750 kbit/s down, 250 kbit/s up, 100 ms latency) for the time
until the question box can be used. Prints a table (or JSON) and writes
bench/results/page_weight.json. Every request must go to the server itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import REPO, write_result

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
# Chrome DevTools' "3G" preset: bytes per second and milliseconds.
SLOW_3G = {"latency": 100, "downloadThroughput": 750_000 / 8, "uploadThroughput": 250_000 / 8}
READY = "document.querySelector('#tutor-course input')?.value && "
READY += "document.querySelector('#tutor-question textarea')"


def sign_in(page: Any, url: str, name: str, password: str) -> None:
    page.goto(url + "/login")
    page.locator("#username").fill(name)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(url + "/")
    page.wait_for_function(READY, timeout=120_000)


def load_chat(context: Any, url: str, *, slow: bool = False) -> dict[str, Any]:
    """Load the chat page once with the cache off; what went over the wire, and how long."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if slow:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **SLOW_3G})
    requests: dict[str, dict[str, Any]] = {}

    def sent(event: dict[str, Any]) -> None:
        requests[event["requestId"]] = {"url": event["request"]["url"], "wire": 0, "decoded": 0}

    def received(event: dict[str, Any]) -> None:
        entry = requests.get(event["requestId"])
        if entry is not None:
            headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
            entry["encoding"] = headers.get("content-encoding", "")
            entry["type"] = event.get("type", "")

    def data(event: dict[str, Any]) -> None:
        entry = requests.get(event["requestId"])
        if entry is not None:
            entry["decoded"] += event["dataLength"]

    def finished(event: dict[str, Any]) -> None:
        entry = requests.get(event["requestId"])
        if entry is not None:
            entry["wire"] = event["encodedDataLength"]  # headers and (compressed) body

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.dataReceived", data)
    cdp.on("Network.loadingFinished", finished)
    started = time.perf_counter()
    page.goto(url + "/")
    page.wait_for_function(READY, timeout=300_000)
    usable_s = time.perf_counter() - started
    page.wait_for_timeout(1500)  # late requests (the load events' answers, fonts)
    page.close()
    entries = list(requests.values())
    return {
        "requests": len(entries),
        "wire_bytes": sum(e["wire"] for e in entries),
        "decoded_bytes": sum(e["decoded"] for e in entries),
        "compressed_responses": sum(1 for e in entries if e.get("encoding")),
        "usable_s": round(usable_s, 2),
        "urls": sorted({e["url"] for e in entries}),
        "entries": entries,
    }


def measure(browser: Any, url: str, name: str, password: str) -> dict[str, Any]:
    """The chat page's weight (full speed) and its time to usable on slow 3G."""
    context = browser.new_context()
    try:
        sign_in(context.new_page(), url, name, password)
        fast = load_chat(context, url)
        slow = load_chat(context, url, slow=True)
    finally:
        context.close()
    own = urlsplit(url).netloc
    elsewhere = [
        u
        for u in fast["urls"] + slow["urls"]
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
    ]
    largest = sorted(fast["entries"], key=lambda e: e["wire"], reverse=True)[:8]
    return {
        "requests": fast["requests"],
        "wire_bytes": fast["wire_bytes"],
        "decoded_bytes": fast["decoded_bytes"],
        "compressed_responses": fast["compressed_responses"],
        "usable_s_full_speed": fast["usable_s"],
        "usable_s_slow_3g": slow["usable_s"],
        "slow_3g": SLOW_3G,
        "external_requests": elsewhere,
        "largest": [
            {
                "path": urlsplit(e["url"]).path,
                "wire": e["wire"],
                "decoded": e["decoded"],
                "encoding": e.get("encoding", ""),
            }
            for e in largest
        ],
    }


@contextmanager
def fake_server() -> Iterator[tuple[str, str, str]]:
    """The app on the fakes with the sample course and one learner: (url, name, password)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import uvicorn

    from retrieval.ingest import ingest
    from tutor.config import Settings
    from tutor.server import create_app
    from tutor.services import Services

    with tempfile.TemporaryDirectory(prefix="tutor-page-weight-") as home:
        settings = Settings(home=Path(home), llm="fake", embedder="hashing")
        settings = settings.replace(default_course="sample")
        services = Services.build(settings, fake=True)
        ingest(
            [REPO / "examples" / "sample_course"],
            course="sample",
            settings=settings,
            embedder=services.embedder,
        )
        app = create_app(services)
        password = "bench-page-weight-1"
        app.state.backend.accounts.add("bench", "learner", password, ["sample"])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            if not thread.is_alive():
                raise SystemExit("the server did not start")
            time.sleep(0.05)
        try:
            yield url, "bench", password
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running tutor (default: serve the fakes)")
    parser.add_argument("--user", default="", help="a learner's name on --url")
    parser.add_argument("--password", default=os.environ.get("TUTOR_BENCH_PASSWORD", ""))
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            if args.url:
                result = measure(browser, args.url.rstrip("/"), args.user, args.password)
            else:
                with fake_server() as (url, name, password):
                    result = measure(browser, url, name, password)
        finally:
            browser.close()
    write_result("page_weight", result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"chat page: {result['requests']} requests, "
            f"{result['wire_bytes'] / 1024:.0f} KiB on the wire "
            f"({result['decoded_bytes'] / 1024:.0f} KiB decoded, "
            f"{result['compressed_responses']} responses compressed); "
            f"usable after {result['usable_s_full_speed']} s at full speed, "
            f"{result['usable_s_slow_3g']} s on slow 3G"
        )
        for entry in result["largest"]:
            encoding = entry["encoding"] or "not compressed"
            print(f"  {entry['wire'] / 1024:8.1f} KiB  {entry['path']}  ({encoding})")
        if result["external_requests"]:
            print(f"requests to other hosts: {result['external_requests']}")
    return 1 if result["external_requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
