"""kill -9 at any moment loses no acknowledged turn and never corrupts the database: a real
server process (``tutor serve --fake``) and a store writing as fast as it can are killed with
SIGKILL; every turn acknowledged before the kill must be on disk and ``PRAGMA
integrity_check`` must answer "ok"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

from tests.test_accounts import add_user, login
from tests.test_server import add_course, make_services, message_text, read_events
from tutor.config import Settings
from tutor.llm.llamacpp_server import free_port
from tutor.transcripts.backend import Backend
from tutor.transcripts.db import Database
from tutor.transcripts.store import SQLiteTranscriptStore, TurnFilter

REPO = Path(__file__).resolve().parent.parent


def check_database(path: Path) -> SQLiteTranscriptStore:
    db = Database(path)
    assert db.integrity() == "ok"
    return SQLiteTranscriptStore(db)


def test_kill_9_of_the_server_loses_no_acknowledged_turn(
    settings: Settings, tmp_path: Path
) -> None:
    services = make_services(settings)
    add_course(services, tmp_path / "course")
    backend = Backend.open(services.settings)
    password = add_user(backend, "ann", "learner", "tiny")
    backend.close()
    home = services.settings.home
    port = free_port()
    env = {**os.environ, "TUTOR_HOME": str(home), "TUTOR_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tutor.cli",
            "serve",
            "--fake",
            "--home",
            str(home),
            "--port",
            str(port),
            "--course",
            "tiny",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    acknowledged: list[str] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 90
            while True:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
            login(http, "ann", password)
            questions = [f"What colour is litmus paper in an acid, take {i}?" for i in range(4)]
            for question in questions:
                start = http.post(
                    "/gradio_api/call/chat", json={"data": [question, "tiny", "explain"]}
                )
                with http.stream("GET", f"/gradio_api/call/chat/{start.json()['event_id']}") as r:
                    events = read_events(r)
                assert events[-1][0] == "complete"
                assert "Litmus paper turns red" in message_text(events[-1][1][0][-1])
                acknowledged.append(question)  # the UI has shown it as answered
            # One more, killed while it streams.
            start = http.post(
                "/gradio_api/call/chat",
                json={"data": ["Killed mid-answer about litmus?", "tiny", "explain"]},
            )
            with http.stream("GET", f"/gradio_api/call/chat/{start.json()['event_id']}") as r:
                for line in r.iter_lines():
                    if line.startswith("event: generating"):
                        server.send_signal(signal.SIGKILL)
                        break
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert server.returncode == -signal.SIGKILL
    store = check_database(home / "tutor.db")
    stored = {t["question"] for t in store.query(TurnFilter())}
    assert set(acknowledged) <= stored


WRITER = textwrap.dedent(
    """
    import sys
    from tutor.accounts.users import Accounts
    from tutor.transcripts.db import Database
    from tutor.transcripts.store import SQLiteTranscriptStore, TurnRecord
    from tutor.types import Answer

    db = Database(sys.argv[1])
    store = SQLiteTranscriptStore(db)
    accounts = Accounts(db)
    user = accounts.get("ann") or accounts.add("ann", "learner", "password-ann", ["c"])
    chat = store.new_chat(user.id, "c")
    i = 0
    while True:
        i += 1
        answer = Answer(answer="answer " * 50, mode="explain", sources=[], model="m",
                        question=f"{sys.argv[2]}-{i}")
        store.record(TurnRecord(chat_id=chat, user_id=user.id, course="c", answer=answer))
        print(f"ACK {sys.argv[2]}-{i}", flush=True)
    """
)


def test_kill_9_of_a_busy_writer_never_corrupts_the_database(tmp_path: Path) -> None:
    path = tmp_path / "tutor.db"
    acknowledged: set[str] = set()
    for run, wanted in enumerate((5, 40, 120)):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"run{run}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        for seen, line in enumerate(writer.stdout, start=1):
            acknowledged.add(line.split()[1])
            if seen >= wanted:
                writer.send_signal(signal.SIGKILL)  # mid-write of the next turn, most likely
                break
        writer.wait(timeout=30)
        store = check_database(path)
        stored = {t["question"] for t in store.query(TurnFilter(limit=10**6))}
        assert acknowledged <= stored
        store.db.close()
