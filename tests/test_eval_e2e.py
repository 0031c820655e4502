"""``tutor eval`` end to end on the shipped fakes, a tiny course and a JSONL file written here."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from eval.context import EvalContext
from eval.results import load_results, strip_timings
from eval.runner import run_eval
from tutor.cli import main
from tutor.config import Settings

QUESTIONS = [
    {"id": "litmus", "question": "What colour does litmus paper turn in an acid?",
     "expected": ["red"], "source": "acids.md", "answerable": True},
    {"id": "range", "question": "How many times does the loop for i in range(3) run?",
     "expected": ["three times"], "source": "python/loops.md", "answerable": True,
     "must_not_contain": ["four"]},
    {"id": "water", "question": "What is the pH of pure water at room temperature?",
     "expected": ["7"], "source": "chemistry/acids.md", "answerable": True},
    {"id": "mona", "question": "Who painted the Mona Lisa in Florence?", "expected": [],
     "source": None, "answerable": False},
]  # fmt: skip
QA_KEYS = {
    "suite", "n", "answer_accuracy", "abstention_accuracy", "citation_accuracy", "groundedness",
    "must_not_contain_violations", "exact_match", "f1",
}  # fmt: skip
RETRIEVAL_KEYS = {"suite", "n", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)


def run(settings: Settings, course_dir: Path, data: Path, suite: str, out: Path) -> dict[str, Any]:
    ctx = EvalContext(settings=settings, fake=True, course_dir=course_dir, progress=False)
    with ctx.session():
        return run_eval(ctx, suite, [str(data)], out, ["tutor", "eval", suite])


class PageCheck(HTMLParser):
    """Collects tags, open/close balance of the structural ones, and every resource URL."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.images: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in {"html", "body", "table", "tr", "td", "th", "figure", "h1", "h2", "h3", "p"}:
            self.stack.append(tag)
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)
                if tag == "img":
                    self.images.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"html", "body", "table", "tr", "td", "th", "figure", "h1", "h2", "h3", "p"}:
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
            self.stack.pop()


def check_report(out: Path) -> PageCheck:
    page = PageCheck()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    page.close()
    assert page.stack == []
    assert {"html", "head", "body", "table", "img"} <= set(page.tags)
    assert page.images
    for src in page.images:  # one self-contained file: every image is an embedded PNG
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(u.startswith("data:") for u in page.urls)
    md = (out / "report.md").read_text(encoding="utf-8")
    for line in md.splitlines():
        if line.startswith("!["):
            assert (out / line.rsplit("](", 1)[1].rstrip(")")).is_file()
    return page


def test_qa_on_fakes_writes_results_and_report(
    settings: Settings, course_dir: Path, questions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "qa-run"
    result = run(settings, course_dir, questions, "qa", out)
    stored = load_results(out)
    assert stored["suite"] == "qa"
    summary = stored["summary"]
    assert set(summary) >= QA_KEYS
    assert summary["n"] == 4
    assert summary["answer_accuracy"] is not None and 0 <= summary["answer_accuracy"] <= 1
    assert summary["abstention_accuracy"] == 1.0  # the off-course question is not covered
    assert isinstance(summary["must_not_contain_violations"], int)
    # Generic data has no reference answers: missing with a reason, never 0.
    assert summary["exact_match"] is None and summary["f1"] is None
    assert "reference" in summary["missing"]["exact_match"]
    ident = stored["identity"]
    assert ident["model"] == "fake-scripted" and ident["embedder"].startswith("hashing")
    assert len(ident["prompt_templates_hash"]) == 12
    assert ident["config"]["llm"] == "fake" and ident["split"] == "test"
    assert {"cpus", "python", "platform"} <= set(ident["machine"])
    assert stored["datasets"][0]["split"] == "all (user data)"
    assert len([r for r in stored["rows"] if r["dataset"] == "questions"]) == 4
    litmus = next(r for r in stored["rows"] if r["id"] == "litmus")
    assert litmus["gold"] == ["chemistry/acids.md"]
    assert result["summary"] == summary
    check_report(out)


def test_retrieval_on_fakes_compares_three_methods(
    settings: Settings, course_dir: Path, questions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "retrieval-run"
    run(settings, course_dir, questions, "retrieval", out)
    summary = load_results(out)["summary"]
    assert set(summary) >= RETRIEVAL_KEYS
    assert set(summary["by_method"]) == {"dense", "bm25", "hybrid"}
    assert summary["n"] == 3  # the unanswerable question has no gold passage
    for method in summary["by_method"].values():
        assert 0 <= method["recall@1"] <= method["recall@5"] <= method["recall@10"] <= 1
    assert summary["recall@10"] == 1.0  # three documents: the gold one is always in the top 10
    check_report(out)


def test_rerun_gives_identical_results_except_timings(
    settings: Settings, course_dir: Path, questions: Path, tmp_path: Path
) -> None:
    first = run(settings, course_dir, questions, "qa", tmp_path / "one")
    second = run(settings, course_dir, questions, "qa", tmp_path / "two")
    assert "timings_ms" in first["rows"][0]
    a, b = strip_timings(first), strip_timings(second)
    assert a == b
    assert "started_at" not in a["identity"] and "timings" not in a


def test_cli_json_summary_has_the_issue_names(
    tmp_path: Path, course_dir: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli-run"
    argv = ["eval", "qa", "--fake", "--home", str(tmp_path / "home"), "--course-dir",
            str(course_dir), "--data", str(questions), "--out", str(out), "--json",
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= QA_KEYS
    assert (out / "results.json").is_file() and (out / "report.html").is_file()

    assert main(["eval", "compare", str(out), str(out / "results.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["better"] == report["worse"] == 0


def test_cli_explains_missing_course(
    tmp_path: Path, questions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "qa", "--fake", "--home", str(tmp_path / "home"), "--data", str(questions),
            "--out", str(tmp_path / "x"), "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    assert "--course-dir" in capsys.readouterr().err


def test_speed_in_process_on_fakes(
    settings: Settings, course_dir: Path, questions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "speed"
    ctx = EvalContext(settings=settings, fake=True, course_dir=course_dir, progress=False, limit=2)
    with ctx.session():
        result = run_eval(ctx, "speed", [str(questions)], out, ["tutor", "eval", "speed"])
    summary = result["summary"]
    assert summary["target"].startswith("in-process")
    assert summary["n"] == 2
    assert set(summary["concurrency"]) == {"1", "4", "8"}
    assert summary["concurrency"]["8"]["completed"] == 8
    assert summary["retrieval_ms_p50"] is not None and summary["ttft_ms_p50"] is not None
    check_report(out)


class FakeChatServer:
    """A stand-in for `tutor serve`'s chat API (login, Gradio call + event stream), stdlib only."""

    def __init__(self) -> None:
        import http.server
        import threading

        calls: list[str] = []
        self.calls = calls

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _signed_in(self) -> bool:
                return "session=ok" in (self.headers.get("Cookie") or "")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path == "/login":
                    calls.append(f"login {body.decode()}")
                    self.send_response(303)
                    self.send_header("Set-Cookie", "session=ok; Path=/")
                    self.send_header("Location", "/done")
                    self.end_headers()
                elif self.path == "/gradio_api/call/chat" and self._signed_in():
                    calls.append(f"chat {json.loads(body)['data']}")
                    data = b'{"event_id": "e1"}'
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.send_response(401)
                    self.end_headers()

            def do_GET(self) -> None:
                if self.path == "/done":
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path != "/gradio_api/call/chat/e1" or not self._signed_in():
                    self.send_response(401)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                user = {"role": "user", "content": "q"}
                for event, text in (("generating", "…"), ("generating", "Red"),
                                    ("complete", "Red [1]")):  # fmt: skip
                    chat = [
                        user,
                        {"role": "assistant", "content": [{"type": "text", "text": text}]},
                    ]
                    payload = json.dumps([chat, ""])
                    self.wfile.write(f"event: {event}\ndata: {payload}\n\n".encode())
                    self.wfile.flush()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_speed_against_a_server_url(settings: Settings, tmp_path: Path, questions: Path) -> None:
    with FakeChatServer() as server:
        ctx = EvalContext(settings=settings, fake=True, progress=False, limit=2, url=server.url,
                          url_user="eval", url_password="secret", course="tiny")  # fmt: skip
        with ctx.session():
            result = run_eval(ctx, "speed", [str(questions)], tmp_path / "o", [])
    summary = result["summary"]
    assert summary["target"] == f"server at {server.url}"
    assert server.calls[0] == "login username=eval&password=secret"
    assert "'tiny', 'explain'" in server.calls[1]
    assert summary["concurrency"]["8"]["completed"] == 8
    assert summary["ttft_ms_p50"] is not None
    assert summary["decode_tok_s"] is None
    assert "not sent over the chat API" in summary["missing"]["decode_tok_s"]
    assert summary["retrieval_ms_p50"] is None  # the course lives on the server only
