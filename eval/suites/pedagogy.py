"""``tutor eval pedagogy``: the tutor's next turn in guide mode, and the judge's agreement.

Tutor turns: each MathDial / MRBench dialogue is cut after a learner turn; the problem and its
worked solution are course material (one document per problem, so the tutor *could* reveal the
answer); the learner's message is the problem followed by their last turn, with the earlier
turns as conversation memory. Measured: answer leakage (the final answer's number appears in
the turn and nowhere in the problem or the dialogue so far), whether the turn asks the learner a
question, and the judge's labels of the turn. The same leakage rule is applied to the human
teacher's actual next turn as a reference.

Judge agreement: ``eval.judge`` labels every MRBench tutor response of the split; accuracy and
macro-F1 per dimension against the human labels (exact labels and the lenient two-class view).
Anchors: on MRBench, humans labelled 43% of GPT-4's replies and 2% of the experts' as revealing
the answer; the BEA 2025 shared task's best macro-F1 was 0.718 (mistake identification) and
0.583 (providing guidance).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from eval.context import EvalContext
from eval.datasets import CourseFile, Dialogue, DialogueSet
from eval.judge import JUDGED_DIMENSIONS, NOT_JUDGED, judge, lenient
from eval.metrics import accuracy, asks_question, latency_summary, macro_f1, mean, reveals_answer
from eval.results import Metrics
from eval.shared_sets import read_mathdial, read_mrbench
from eval.suites.common import (
    bar_chart,
    dataset_entry,
    grouped_bar_chart,
    histogram,
    refs_for,
    require_kinds,
)
from tutor.pipeline import Pipeline
from tutor.types import ChatTurn

ALLOWED = {"mathdial", "mrbench"}
ANCHORS = {
    "mrbench_human_revealing": {"GPT4": 0.43, "Expert": 0.02},
    "bea2025_best_macro_f1": {"Mistake_Identification": 0.718, "Providing_Guidance": 0.583},
}


def problem_files(dset: DialogueSet) -> list[CourseFile]:
    files = []
    for d in dset.dialogues:
        body = f"# Problem {d.id}\n\n{d.problem}\n"
        if d.solution:
            body += f"\n## Worked solution\n\n{d.solution.strip()}\n"
        files.append(CourseFile(f"problems/{d.id}.md", body.encode("utf-8")))
    return files


def history_of(d: Dialogue) -> list[ChatTurn]:
    """Earlier exchanges as memory: each learner turn with the tutor turn that followed it."""
    turns: list[ChatTurn] = []
    body = list(d.turns[:-1])
    for i, (role, text) in enumerate(body):
        if role == "learner" and i + 1 < len(body) and body[i + 1][0] == "tutor":
            turns.append(ChatTurn(question=text, answer=body[i + 1][1]))
    return turns


def learner_message(d: Dialogue) -> str:
    last = d.turns[-1][1]
    return f"{d.problem}\n\n{last}" if d.problem else last


def tutor_turns(ctx: EvalContext, dset: DialogueSet) -> list[dict[str, Any]]:
    if not dset.dialogues:
        return []
    handle = ctx.cached_course(f"{dset.name}-{dset.split}-problems", problem_files(dset))
    pipeline = Pipeline(handle.services)
    rows = []
    for d in ctx.track(dset.dialogues, len(dset.dialogues), f"pedagogy {dset.name}"):
        answer = pipeline.ask(
            learner_message(d), course=handle.name, mode="guide", history=history_of(d)
        )
        context = [d.problem, *(text for _, text in d.turns)]
        produced = not (answer.not_covered or answer.refused)
        row: dict[str, Any] = {
            "dataset": dset.name,
            "id": d.id,
            "learner": d.turns[-1][1],
            "reply": answer.answer,
            "not_covered": answer.not_covered,
            "refused": answer.refused,
            "final_answer": d.final_answer,
            "leak": reveals_answer(answer.answer, d.final_answer, context) if produced else None,
            "asks_question": asks_question(answer.answer) if produced else None,
            "judge": judge(answer.answer, d.turns, d.final_answer, d.problem) if produced else None,
            "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        }
        if d.reference is not None:
            row["reference"] = d.reference
            row["reference_leak"] = reveals_answer(d.reference, d.final_answer, context)
            row["reference_asks_question"] = asks_question(d.reference)
        rows.append(row)
    return rows


def judge_agreement(dset: DialogueSet) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per dimension: n, accuracy, macro-F1 (exact labels) and lenient macro-F1."""
    predictions = []
    for r in dset.labelled:
        problem = next((t for role, t in r.turns if role == "tutor"), "")
        predictions.append(judge(r.response, r.turns, r.final_answer, problem))
    out: dict[str, Any] = {}
    for dim in (*JUDGED_DIMENSIONS, *NOT_JUDGED):
        pairs = [
            (r.labels[dim], p.get(dim))
            for r, p in zip(dset.labelled, predictions, strict=True)
            if dim in r.labels
        ]
        m = Metrics()
        m.put("n", len(pairs))
        if dim in NOT_JUDGED:
            for name in ("accuracy", "macro_f1", "lenient_macro_f1"):
                m.put(name, None, NOT_JUDGED[dim])
        elif not pairs:
            for name in ("accuracy", "macro_f1", "lenient_macro_f1"):
                m.put(name, None, f"the {dset.split} split has no human labels for {dim}")
        else:
            gold = [g for g, _ in pairs]
            pred = [str(p) for _, p in pairs]
            m.put("accuracy", accuracy(gold, pred))
            m.put("macro_f1", macro_f1(gold, pred))
            m.put(
                "lenient_macro_f1",
                macro_f1([lenient(dim, g) for g in gold], [lenient(dim, p) for p in pred]),
            )
            m.put("gold_labels", dict(sorted(Counter(gold).items())))
        out[dim] = m.to_json()
    per_tutor: dict[str, Any] = {}
    for tutor in sorted({r.tutor for r in dset.labelled}):
        mine = [
            (r, p)
            for r, p in zip(dset.labelled, predictions, strict=True)
            if r.tutor == tutor and "Revealing_of_the_Answer" in r.labels
        ]
        if not mine:
            continue
        per_tutor[tutor] = {
            "n": len(mine),
            "human_revealing_rate": round(
                mean(float(r.labels["Revealing_of_the_Answer"].startswith("Yes")) for r, _ in mine)
                or 0.0,
                4,
            ),
            "judge_revealing_rate": round(
                mean(float(p["Revealing_of_the_Answer"].startswith("Yes")) for _, p in mine) or 0.0,
                4,
            ),
        }
    rows = [
        {"dataset": f"{dset.name} (judge)", "id": f"{r.item_id}:{r.tutor}", "tutor": r.tutor,
         "response": r.response, "human": r.labels, "judge": p}
        for r, p in zip(dset.labelled, predictions, strict=True)
    ]  # fmt: skip
    return {"dimensions": out, "revealing_by_tutor": per_tutor}, rows


def _rate(rows: list[dict[str, Any]], key: str) -> float | None:
    return mean(float(r[key]) for r in rows if r.get(key) is not None)


def turn_metrics(rows: list[dict[str, Any]]) -> Metrics:
    m = Metrics()
    produced = [r for r in rows if r["judge"] is not None]
    m.put("n", len(rows))
    m.put(
        "not_covered_rate",
        mean(float(r["not_covered"] or r["refused"]) for r in rows),
        "no dialogue",
    )
    m.put(
        "leakage_rate",
        _rate(rows, "leak"),
        "no turn where the answer could be judged (no known final answer, or the learner "
        "had already said it)",
    )
    m.put("leak_eligible", sum(1 for r in rows if r.get("leak") is not None))
    m.put("asks_question_rate", _rate(rows, "asks_question"), "the tutor produced no turn")
    m.put(
        "reference_leakage_rate",
        _rate(rows, "reference_leak"),
        "no human reference turn that could be judged",
    )
    m.put(
        "reference_asks_question_rate",
        _rate(rows, "reference_asks_question"),
        "no human reference turn",
    )
    for dim in ("Mistake_Identification", "Providing_Guidance", "Actionability"):
        m.put(
            f"judge_{dim.lower()}_yes_rate",
            mean(float(r["judge"][dim] == "Yes") for r in produced),
            "the tutor produced no turn",
        )
    return m  # fmt: skip


def run(ctx: EvalContext, data: list[str]) -> dict[str, Any]:
    refs = refs_for(ctx, "pedagogy", data)
    require_kinds(refs, ALLOWED, "pedagogy")
    rows: list[dict[str, Any]] = []
    judge_rows: list[dict[str, Any]] = []
    datasets = []
    agreement: dict[str, Any] | None = None
    for ref in refs:
        reader = read_mathdial if ref.kind == "mathdial" else read_mrbench
        dset = reader(ref.path, ctx.split, ctx.limit)
        set_rows = tutor_turns(ctx, dset)
        rows.extend(set_rows)
        datasets.append(
            dataset_entry(
                dset.name, dset.split, dset.path, len(set_rows), labelled=len(dset.labelled)
            )
        )
        if dset.labelled:
            agreement, judge_rows = judge_agreement(dset)

    by_dataset = {
        d["name"]: turn_metrics([r for r in rows if r["dataset"] == d["name"]]).to_json()
        for d in datasets
    }
    summary = turn_metrics(rows)
    summary.values = {"suite": "pedagogy", **summary.values}
    summary.put(
        "by_dataset",
        {n: {k: v for k, v in d.items() if k != "missing"} for n, d in by_dataset.items()},
    )
    if agreement is not None:
        summary.put(
            "judge",
            {
                dim: {"accuracy": v.get("accuracy"), "macro_f1": v.get("macro_f1")}
                for dim, v in agreement["dimensions"].items()
                if dim in JUDGED_DIMENSIONS
            },
        )
    else:
        summary.put("judge", None, "no MRBench data in this run (--data mrbench)")
    summary.put("anchors", ANCHORS)

    charts: list[dict[str, Any]] = [
        grouped_bar_chart(
            "Tutor turns: leakage and questions (tutor vs human teacher)",
            {
                "tutor": {n: d.get("leakage_rate") for n, d in by_dataset.items()}
                | {f"{n} asks?": d.get("asks_question_rate") for n, d in by_dataset.items()},
                "human": {n: d.get("reference_leakage_rate") for n, d in by_dataset.items()}
                | {
                    f"{n} asks?": d.get("reference_asks_question_rate")
                    for n, d in by_dataset.items()
                },
            },
            "share of turns",
        ),
    ]
    if agreement is not None:
        dims = agreement["dimensions"]
        charts.append(
            grouped_bar_chart(
                "Judge agreement with MRBench human labels",
                {
                    "macro-F1": {d: v.get("macro_f1") for d, v in dims.items()},
                    "lenient macro-F1": {d: v.get("lenient_macro_f1") for d, v in dims.items()},
                    "accuracy": {d: v.get("accuracy") for d, v in dims.items()},
                },
                "score",
            )
        )
        charts.append(
            grouped_bar_chart(
                "Revealing the answer, per MRBench tutor: human labels vs judge",
                {
                    "human": {
                        t: v["human_revealing_rate"]
                        for t, v in agreement["revealing_by_tutor"].items()
                    },
                    "judge": {
                        t: v["judge_revealing_rate"]
                        for t, v in agreement["revealing_by_tutor"].items()
                    },
                },
                "share revealing",
            )
        )
    labels = Counter(r["judge"]["Providing_Guidance"] for r in rows if r["judge"])
    if labels:
        charts.append(
            bar_chart(
                "Judge: providing guidance, tutor turns",
                {k: float(v) for k, v in sorted(labels.items())},
                "turns",
            )
        )
    totals = [r["timings_ms"]["total"] for r in rows if "total" in r["timings_ms"]]
    charts.append(histogram("Turn latency", totals, "milliseconds", volatile=True))
    return {
        "suite": "pedagogy",
        "summary": summary.to_json(),
        "metrics": {"by_dataset": by_dataset, "judge_agreement": agreement},
        "datasets": datasets,
        "rows": rows + judge_rows,
        "charts": charts,
        "notes": [
            "Leakage: the final answer's number (last number of the worked solution) appears in "
            "the tutor's turn and nowhere in the problem or the dialogue so far; turns where the "
            "learner had already written it are not judged (leak_eligible counts the others).",
            "The judge is rule-based (eval/judge.py); its cue lists were chosen on the MRBench "
            "dev split only. Coherence and human-likeness are not judged.",
        ],
        "timings": {"turn_ms": latency_summary(totals) if totals else None},
    }  # fmt: skip
