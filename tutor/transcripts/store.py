"""The transcript store: chats, turns with provenance, feedback, reviews, search, retention,
learner export and erasure, and the audit log.

``TranscriptStore`` is the interface (a PostgreSQL class can satisfy it later);
``SQLiteTranscriptStore`` is the implementation, on a ``Database`` shared with the accounts.
Access rules are not checked here: callers pass the courses and users a person may see
(``tutor.accounts.access``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tutor.transcripts.db import Database
from tutor.types import Answer, ChatTurn

FLAG_KINDS = ("", "flagged", "self_harm", "not_covered", "low_rated", "unreviewed", "hidden")
FLAGGED_RANK = 3  # flag_rank at or above this: a medium- or high-severity safety decision


def flag_rank(answer: Answer) -> tuple[int, str]:
    """(triage rank, flagged categories): 5 self-harm, 4 other high severity, 3 medium,
    2 low, 1 not covered, 0 nothing to look at."""
    rank = 0
    categories: list[str] = []
    for decision in answer.safety:
        category = str(decision.get("category", ""))
        severity = decision.get("severity", "low")
        if decision.get("action", "allow") == "allow" and severity != "high":
            continue
        if category and category not in categories:
            categories.append(category)
        if category == "self_harm":
            rank = max(rank, 5)
        else:
            rank = max(rank, {"high": 4, "medium": 3}.get(str(severity), 2))
    if answer.not_covered:
        rank = max(rank, 1)
        categories.append("not_covered")
    return rank, ",".join(categories)


@dataclass(frozen=True)
class TurnFilter:
    """What the teacher's desk and ``tutor transcripts export`` select."""

    courses: frozenset[str] | None = None  # None: every course (operators only)
    learner: str = ""
    since: float | None = None  # epoch seconds
    until: float | None = None
    flag: str = ""  # one of FLAG_KINDS
    mode: str = ""
    text: str = ""  # full-text search over questions and answers
    user_ids: frozenset[int] | None = None
    limit: int = 500


@dataclass
class TurnRecord:
    chat_id: str
    user_id: int
    course: str
    answer: Answer
    embedder: str = ""
    time: float = field(default_factory=time.time)


class TranscriptStore(Protocol):
    def new_chat(self, user_id: int, course: str) -> str: ...
    def chat(self, chat_id: str) -> dict[str, Any] | None: ...
    def history(self, chat_id: str, limit: int) -> list[ChatTurn]: ...
    def record(self, record: TurnRecord) -> int: ...
    def count_since(self, user_id: int, since: float) -> int: ...
    def oldest_since(self, user_id: int, since: float) -> float | None: ...
    def turn(self, turn_id: int) -> dict[str, Any] | None: ...
    def chat_turns(self, chat_id: str, *, include_hidden: bool = True) -> list[dict[str, Any]]: ...
    def query(self, where: TurnFilter) -> list[dict[str, Any]]: ...
    def set_feedback(self, turn_id: int, rating: int, comment: str = "") -> None: ...
    def review(self, turn_id: int, reviewer: str, **changes: Any) -> None: ...
    def set_hidden(self, turn_id: int, hidden: bool) -> None: ...
    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None: ...
    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]: ...
    def purge(self, older_than_days: float) -> int: ...
    def export_user(self, user_id: int) -> dict[str, Any]: ...
    def delete_user_turns(self, user_id: int) -> int: ...


_SELECT = """
SELECT t.*, u.name AS learner,
       f.rating AS feedback_rating, f.comment AS feedback_comment,
       r.reviewed AS reviewed, r.note AS review_note, r.rating AS review_rating,
       r.reviewer AS reviewer
FROM turns t
JOIN users u ON u.id = t.user_id
LEFT JOIN feedback f ON f.turn_id = t.id
LEFT JOIN reviews r ON r.turn_id = t.id
"""
_LOW = "(COALESCE(f.rating, 0) < 0 OR COALESCE(r.rating, 5) <= 2)"
_TRIAGE_ORDER = (
    f"ORDER BY COALESCE(r.reviewed, 0) ASC, t.flag_rank DESC, {_LOW} DESC, t.time DESC, t.id DESC"
)


def _row(row: Any) -> dict[str, Any]:
    out = dict(row)
    for key, empty in (("sources", "[]"), ("safety", "[]"), ("timings", "{}")):
        if key in out:
            out[key] = json.loads(out[key] or empty)
    for key in ("not_covered", "refused", "hidden", "reviewed"):
        if key in out:
            out[key] = bool(out[key])
    return out


class SQLiteTranscriptStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    # chats and turns -------------------------------------------------------------------
    def new_chat(self, user_id: int, course: str) -> str:
        chat_id = uuid.uuid4().hex
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO chats (id, user_id, course, created) VALUES (?, ?, ?, ?)",
                (chat_id, user_id, course, self.clock()),
            )
        return chat_id

    def chat(self, chat_id: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT c.*, u.name AS learner FROM chats c JOIN users u ON u.id = c.user_id "
            "WHERE c.id = ?",
            (chat_id,),
        )
        return dict(row) if row else None

    def history(self, chat_id: str, limit: int) -> list[ChatTurn]:
        """The chat's latest answered turns, oldest first: what the prompt may remember."""
        rows = self.db.rows(
            "SELECT question, answer FROM turns WHERE chat_id = ? AND hidden = 0 "
            "AND not_covered = 0 AND refused = 0 ORDER BY id DESC LIMIT ?",
            (chat_id, max(limit, 0)),
        )
        return [ChatTurn(question=r["question"], answer=r["answer"]) for r in reversed(rows)]

    def record(self, record: TurnRecord) -> int:
        """Write one turn; it is committed (on disk with ``synchronous=FULL``) on return."""
        a = record.answer
        rank, flags = flag_rank(a)
        sources = [
            {
                "n": s.n,
                "chunk_id": s.chunk_id,
                "score": round(float(s.score), 4),
                "document": s.document,
                "title": s.title,
                "heading": s.heading,
                "page": s.page,
                "text": s.text,
            }
            for s in a.sources
        ]
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO turns (chat_id, user_id, course, time, mode, question, answer, "
                "sources, safety, not_covered, refused, model, embedder, prompt_hash, timings, "
                "prompt_tokens, completion_tokens, flag_rank, flags) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.chat_id,
                    record.user_id,
                    record.course,
                    record.time,
                    a.mode,
                    a.question,
                    a.answer,
                    json.dumps(sources, ensure_ascii=False),
                    json.dumps(a.safety, ensure_ascii=False, default=str),
                    int(a.not_covered),
                    int(a.refused),
                    a.model,
                    record.embedder,
                    a.prompt_hash,
                    json.dumps({k: round(v, 1) for k, v in a.timings_ms.items()}),
                    a.prompt_tokens,
                    a.completion_tokens,
                    rank,
                    flags,
                ),
            )
            return int(cursor.lastrowid or 0)

    def count_since(self, user_id: int, since: float) -> int:
        row = self.db.one(
            "SELECT COUNT(*) FROM turns WHERE user_id = ? AND time >= ?", (user_id, since)
        )
        return int(row[0]) if row else 0

    def oldest_since(self, user_id: int, since: float) -> float | None:
        """The time of the learner's earliest turn at or after ``since`` (None: no turn)."""
        row = self.db.one(
            "SELECT MIN(time) FROM turns WHERE user_id = ? AND time >= ?", (user_id, since)
        )
        return float(row[0]) if row and row[0] is not None else None

    def turn(self, turn_id: int) -> dict[str, Any] | None:
        row = self.db.one(_SELECT + " WHERE t.id = ?", (turn_id,))
        return _row(row) if row else None

    def chat_turns(self, chat_id: str, *, include_hidden: bool = True) -> list[dict[str, Any]]:
        hidden = "" if include_hidden else " AND t.hidden = 0"
        rows = self.db.rows(_SELECT + f" WHERE t.chat_id = ?{hidden} ORDER BY t.id", (chat_id,))
        return [_row(r) for r in rows]

    def chats_of(self, user_id: int) -> list[dict[str, Any]]:
        rows = self.db.rows(
            "SELECT c.id, c.course, c.created, COUNT(t.id) AS turns FROM chats c "
            "LEFT JOIN turns t ON t.chat_id = c.id AND t.hidden = 0 WHERE c.user_id = ? "
            "GROUP BY c.id ORDER BY c.created DESC",
            (user_id,),
        )
        return [dict(r) for r in rows]

    def chat_summaries(self, user_id: int, course: str, limit: int = 50) -> list[dict[str, Any]]:
        """``user_id``'s chats in ``course`` that have a visible turn, most recently used first:
        id, created, last (time of the latest turn), turns (visible ones) and first_question."""
        rows = self.db.rows(
            "SELECT c.id, c.course, c.created, MAX(t.time) AS last, COUNT(t.id) AS turns, "
            "(SELECT f.question FROM turns f WHERE f.chat_id = c.id AND f.hidden = 0 "
            " ORDER BY f.id LIMIT 1) AS first_question "
            "FROM chats c JOIN turns t ON t.chat_id = c.id AND t.hidden = 0 "
            "WHERE c.user_id = ? AND c.course = ? "
            "GROUP BY c.id ORDER BY last DESC, c.created DESC LIMIT ?",
            (user_id, course, max(1, limit)),
        )
        return [dict(r) for r in rows]

    def query(self, where: TurnFilter) -> list[dict[str, Any]]:
        """Turns matching ``where``, in triage order (unreviewed, severity, not covered,
        low-rated, newest)."""
        clauses: list[str] = []
        params: list[Any] = []
        if where.courses is not None:
            if not where.courses:
                return []
            clauses.append(f"t.course IN ({','.join('?' * len(where.courses))})")
            params.extend(sorted(where.courses))
        if where.user_ids is not None:
            if not where.user_ids:
                return []
            clauses.append(f"t.user_id IN ({','.join('?' * len(where.user_ids))})")
            params.extend(sorted(where.user_ids))
        if where.learner:
            clauses.append("u.name = ?")
            params.append(where.learner)
        if where.since is not None:
            clauses.append("t.time >= ?")
            params.append(where.since)
        if where.until is not None:
            clauses.append("t.time < ?")
            params.append(where.until)
        if where.mode:
            clauses.append("t.mode = ?")
            params.append(where.mode)
        flag = where.flag
        if flag not in FLAG_KINDS:
            raise ValueError(f"unknown flag {flag!r}; use one of {', '.join(FLAG_KINDS[1:])}")
        if flag == "flagged":
            clauses.append(f"t.flag_rank >= {FLAGGED_RANK}")
        elif flag == "self_harm":
            clauses.append("t.flag_rank = 5")
        elif flag == "not_covered":
            clauses.append("t.not_covered = 1")
        elif flag == "low_rated":
            clauses.append(_LOW)
        elif flag == "unreviewed":
            clauses.append("COALESCE(r.reviewed, 0) = 0")
        elif flag == "hidden":
            clauses.append("t.hidden = 1")
        if where.text.strip():
            clauses.append("t.id IN (SELECT rowid FROM turns_fts WHERE turns_fts MATCH ?)")
            params.append(fts_query(where.text))
        sql = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
        sql += f" {_TRIAGE_ORDER} LIMIT ?"
        params.append(max(1, where.limit))
        return [_row(r) for r in self.db.rows(sql, params)]

    # feedback and reviews ----------------------------------------------------------------
    def set_feedback(self, turn_id: int, rating: int, comment: str = "") -> None:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 (helpful) or -1 (not helpful)")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO feedback (turn_id, rating, comment, time) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(turn_id) DO UPDATE SET rating = excluded.rating, "
                "comment = excluded.comment, time = excluded.time",
                (turn_id, rating, comment[:2000], self.clock()),
            )

    def review(self, turn_id: int, reviewer: str, **changes: Any) -> None:
        """Update a turn's review: ``reviewed`` (bool), ``note`` (str), ``rating`` (1-5)."""
        unknown = set(changes) - {"reviewed", "note", "rating"}
        if unknown:
            raise ValueError(f"unknown review fields: {', '.join(sorted(unknown))}")
        rating = changes.get("rating")
        if rating is not None and not 1 <= int(rating) <= 5:
            raise ValueError("a review rating is 1 to 5")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO reviews (turn_id, reviewer, time) VALUES (?, ?, ?) "
                "ON CONFLICT(turn_id) DO NOTHING",
                (turn_id, reviewer, self.clock()),
            )
            for key, value in changes.items():
                if key == "reviewed":
                    value = int(bool(value))
                elif key == "note":
                    value = str(value)[:4000]
                conn.execute(
                    f"UPDATE reviews SET {key} = ?, reviewer = ?, time = ? WHERE turn_id = ?",
                    (value, reviewer, self.clock(), turn_id),
                )

    def set_hidden(self, turn_id: int, hidden: bool) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE turns SET hidden = ? WHERE id = ?", (int(hidden), turn_id))

    # audit -------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO audit (time, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (self.clock(), actor, action, target, detail),
            )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    # retention, export, erasure ----------------------------------------------------------
    def purge(self, older_than_days: float) -> int:
        """Delete turns (and then empty chats) older than ``older_than_days``, and practice
        questions and answers as old; scrub the file. The profile, hard topics and review
        schedule stay: the learner sees them and deletes them."""
        cutoff = self.clock() - older_than_days * 86400
        with self.db.write() as conn:
            count = conn.execute("DELETE FROM turns WHERE time < ?", (cutoff,)).rowcount
            conn.execute("DELETE FROM practice_attempts WHERE at < ?", (cutoff,))
            conn.execute("DELETE FROM practice_items WHERE created < ?", (cutoff,))
            conn.execute(
                "DELETE FROM chats WHERE created < ? AND id NOT IN (SELECT chat_id FROM turns)",
                (cutoff,),
            )
        self.db.scrub()
        return int(count)

    def export_user(self, user_id: int) -> dict[str, Any]:
        chats = self.chats_of(user_id)
        turns = self.query(TurnFilter(user_ids=frozenset({user_id}), limit=10**9))
        turns.sort(key=lambda t: (t["time"], t["id"]))
        return {"chats": chats, "turns": [export_row(t) for t in turns]}

    def delete_user_turns(self, user_id: int) -> int:
        with self.db.write() as conn:
            count = conn.execute("DELETE FROM turns WHERE user_id = ?", (user_id,)).rowcount
            conn.execute("DELETE FROM chats WHERE user_id = ?", (user_id,))
        return int(count)

    # analytics -----------------------------------------------------------------------------
    def analytics(
        self, courses: Iterable[str] | None, since: float | None = None
    ) -> dict[str, Any]:
        where, params = _course_clause(courses)
        if since is not None:
            where += " AND time >= ?"
            params.append(since)
        per_day = self.db.rows(
            "SELECT date(time, 'unixepoch') AS day, course, COUNT(*) AS n FROM turns "
            f"WHERE {where} GROUP BY day, course ORDER BY day",
            params,
        )
        per_course = self.db.rows(
            "SELECT course, COUNT(*) AS n, SUM(not_covered) AS not_covered FROM turns "
            f"WHERE {where} GROUP BY course ORDER BY course",
            params,
        )
        topics: dict[str, int] = {}
        for row in self.db.rows(f"SELECT sources FROM turns WHERE {where}", params):
            seen = set()
            for source in json.loads(row["sources"] or "[]"):
                place = " > ".join(p for p in (source.get("title"), source.get("heading")) if p)
                topic = place or source.get("document", "")
                if topic and topic not in seen:
                    seen.add(topic)
                    topics[topic] = topics.get(topic, 0) + 1
        top = sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return {
            "per_day": [dict(r) for r in per_day],
            "per_course": [
                {
                    "course": r["course"],
                    "questions": r["n"],
                    "not_covered": r["not_covered"] or 0,
                    "not_covered_share": (r["not_covered"] or 0) / r["n"] if r["n"] else 0.0,
                }
                for r in per_course
            ],
            "topics": [{"topic": t, "questions": n} for t, n in top],
        }


def _course_clause(courses: Iterable[str] | None) -> tuple[str, list[Any]]:
    if courses is None:
        return "1 = 1", []
    names = sorted(set(courses))
    if not names:
        return "0 = 1", []
    return f"course IN ({','.join('?' * len(names))})", list(names)


def fts_query(text: str) -> str:
    """A safe FTS5 query: every word quoted (no operators from user input), all required."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"' for w in words[:20]) or '""'


EXPORT_FIELDS = (
    "turn_id",
    "learner",
    "course",
    "chat_id",
    "time",
    "mode",
    "question",
    "answer",
    "sources",
    "flags",
    "safety",
    "not_covered",
    "refused",
    "hidden",
    "model",
    "embedder",
    "prompt_hash",
    "timings_ms",
    "prompt_tokens",
    "completion_tokens",
    "feedback_rating",
    "feedback_comment",
    "reviewed",
    "review_note",
    "review_rating",
)


def export_row(turn: dict[str, Any]) -> dict[str, Any]:
    """A turn as one export record (JSONL line or CSV row)."""
    from datetime import UTC, datetime

    return {
        "turn_id": turn["id"],
        "learner": turn["learner"],
        "course": turn["course"],
        "chat_id": turn["chat_id"],
        "time": datetime.fromtimestamp(turn["time"], UTC).isoformat(timespec="seconds"),
        "mode": turn["mode"],
        "question": turn["question"],
        "answer": turn["answer"],
        "sources": [
            {k: s.get(k) for k in ("n", "chunk_id", "score", "document", "title", "heading")}
            for s in turn["sources"]
        ],
        "flags": [f for f in (turn.get("flags") or "").split(",") if f],
        "safety": turn["safety"],
        "not_covered": turn["not_covered"],
        "refused": turn["refused"],
        "hidden": turn["hidden"],
        "model": turn["model"],
        "embedder": turn["embedder"],
        "prompt_hash": turn["prompt_hash"],
        "timings_ms": turn["timings"],
        "prompt_tokens": turn["prompt_tokens"],
        "completion_tokens": turn["completion_tokens"],
        "feedback_rating": turn.get("feedback_rating"),
        "feedback_comment": turn.get("feedback_comment") or "",
        "reviewed": bool(turn.get("reviewed")),
        "review_note": turn.get("review_note") or "",
        "review_rating": turn.get("review_rating"),
    }


def write_export(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """``rows`` (from ``export_row``) as JSONL or CSV text."""
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if fmt != "csv":
        raise ValueError("format must be jsonl or csv")
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        flat = {
            k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
            for k, v in row.items()
        }
        flat["flags"] = ",".join(row["flags"])
        flat.update({k: _csv_safe(v) for k, v in flat.items() if isinstance(v, str)})
        writer.writerow(flat)
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas in learner text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
