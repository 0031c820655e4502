"""The ``tutor`` command line: ingest, ask, serve, courses.

Errors a person can act on (``TutorError``) are printed as one line, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.config import Settings, load_settings
from tutor.errors import TutorError

log = logging.getLogger("tutor")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, help="data folder (default $TUTOR_HOME or ~/.tutor)")
    parser.add_argument("--config", type=Path, help="a tutor.toml file")
    parser.add_argument("--llm", help="'smollm2', a .gguf file or a local model folder")
    parser.add_argument("--embedder", help="'all-minilm-l6-v2' or a sentence-transformers folder")
    parser.add_argument(
        "--fake",
        action="store_true",
        help="use the shipped fakes (scripted model, hashing embedder)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tutor", description="An offline AI tutor.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index course material (incremental)")
    _common(p)
    p.add_argument("paths", nargs="+", type=Path, help="files or folders of course material")
    p.add_argument("--course", required=True, help="course name")
    p.add_argument("--prune", action="store_true", help="remove documents no longer present")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another ingest")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = sub.add_parser("ask", help="answer one question in the terminal")
    _common(p)
    p.add_argument("question")
    p.add_argument("--course", help="course name (default: the configured default course)")
    p.add_argument("--mode", choices=["explain", "guide"], default="explain")
    p.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    p.add_argument(
        "--as", dest="as_user", metavar="NAME", help="ask as this user; records the turn"
    )

    p = sub.add_parser("serve", help="start the web chat")
    _common(p)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--course", help="course selected when the page opens")
    p.add_argument(
        "--demo-users",
        action="store_true",
        help="on an empty user database, create a teacher and a learner (passwords printed)",
    )

    p = sub.add_parser("courses", help="list indexed courses")
    _common(p)
    p.add_argument("--json", action="store_true")

    # Larger command groups live in tutor/commands/<group>.py, each with
    # ``register(subparsers, add_common)`` that adds its parsers and sets ``handler``.
    for module in _command_modules():
        module.register(sub, _common)
    return parser


def _command_modules() -> list[Any]:
    import importlib
    import pkgutil

    import tutor.commands as commands

    return [
        importlib.import_module(f"tutor.commands.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
    ]


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "home": args.home,
        "llm": args.llm,
        "embedder": args.embedder,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    if getattr(args, "course", None) and args.command == "serve":
        overrides["default_course"] = args.course
    settings = load_settings(args.config, **overrides)
    if args.fake:
        settings = settings.replace(llm="fake", embedder="hashing")
    return settings


def _cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.embedders import load_embedder
    from retrieval.ingest import ingest

    report = ingest(
        args.paths,
        course=args.course,
        settings=settings,
        embedder=load_embedder(settings),
        prune=args.prune,
        lock_timeout=args.wait,
    )
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    print(
        f"course {report.course}: {report.documents} documents, {report.chunks} chunks "
        f"(added {report.added}, updated {report.updated}, removed {report.removed}, "
        f"unchanged {report.unchanged}; {report.embedded_chunks} chunks embedded) "
        f"in {report.seconds:.1f} s"
    )
    for item in report.skipped:
        print(f"  skipped {item['path']}: {item['reason']}")
    for item in report.truncated:
        print(f"  truncated {item['path']}: {item['reason']}")
    return 0


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.pipeline import Pipeline
    from tutor.services import Services
    from tutor.types import Answer

    pipeline = Pipeline(Services.build(settings))
    course = args.course or settings.default_course
    if args.as_user:
        from tutor.chat_service import ask_as

        return ask_as(pipeline, args.as_user, args.question, course, args.mode, args.json)
    if args.json:
        print(json.dumps(pipeline.ask(args.question, course=course, mode=args.mode).to_json()))
        return 0
    answer: Answer | None = None
    for event in pipeline.stream(args.question, course=course, mode=args.mode):
        if isinstance(event, Answer):
            answer = event
        else:
            sys.stdout.write(event)
            sys.stdout.flush()
    print()
    if answer is not None and answer.sources:
        print("\nSources:")
        for s in answer.sources:
            place = " > ".join(p for p in (s.title, s.heading) if p)
            page = f", page {s.page}" if s.page is not None else ""
            print(f"  [{s.n}] {place} ({s.document}{page}; score {s.score:.2f})")
    return 0


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.server import serve

    serve(settings, fake=args.fake, demo_users=args.demo_users)
    return 0


def _cmd_courses(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.course_index import list_courses

    names = list_courses(settings.courses_dir)
    print(json.dumps(names) if args.json else "\n".join(names) or "no courses indexed yet")
    return 0


COMMANDS = {
    "ingest": _cmd_ingest,
    "ask": _cmd_ask,
    "serve": _cmd_serve,
    "courses": _cmd_courses,
}


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(
        level=os.environ.get("TUTOR_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    args = build_parser().parse_args(argv)
    try:
        handler = getattr(args, "handler", None) or COMMANDS[args.command]
        return int(handler(args, _settings(args)))
    except TutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
