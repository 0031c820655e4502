"""``tutor eval retrieval``: recall@1/5/10, MRR@10 and nDCG@10 of the gold passage.

Each question is asked of its course three times, with dense only, BM25 only and the hybrid
(the configured retriever, reciprocal-rank fusion of both). Ranks are counted over distinct
documents (chunks of one document count once) among the ``candidates`` (default 20) chunks the
retriever returns, so a rank beyond that is a miss at every k.
"""

from __future__ import annotations

import time
from typing import Any

from eval.context import EvalContext
from eval.datasets import QASet
from eval.metrics import (
    dedupe,
    first_relevant_rank,
    latency_summary,
    mean,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from eval.results import Metrics
from eval.shared_sets import read_openstax, read_squad, read_xquad
from eval.suites.common import (
    bar_chart,
    course_for,
    dataset_entry,
    gold_documents,
    grouped_bar_chart,
    histogram,
    refs_for,
    require_kinds,
)
from retrieval.retriever import Method

METHODS: tuple[Method, ...] = ("dense", "bm25", "hybrid")
CONFIGURED: Method = "hybrid"
RANK_METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ALLOWED = {"squad_v2_dev", "xquad", "openstax_chemistry_2e", "generic"}


def load_sets(ctx: EvalContext, data: list[str]) -> list[QASet]:
    from eval.shared_sets import read_generic_set

    refs = refs_for(ctx, "retrieval", data)
    require_kinds(refs, ALLOWED, "retrieval")
    sets: list[QASet] = []
    for ref in refs:
        if ref.kind == "squad_v2_dev":
            sets.append(read_squad(ref.path, ctx.split, ctx.limit, answerable_only=True))
        elif ref.kind == "xquad":
            sets.extend(read_xquad(ref.path, ctx.split, ctx.limit, ref.languages))
        elif ref.kind == "openstax_chemistry_2e":
            sets.append(read_openstax(ref.path, ctx.split, ctx.limit))
        else:
            generic = read_generic_set(ref)
            generic.questions = [q for q in generic.questions if q.answerable and q.source]
            generic.questions = generic.questions[: ctx.limit] if ctx.limit else generic.questions
            sets.append(generic)
    return sets


def rank_scores(rank: int | None, ranked: list[str], gold: set[str]) -> dict[str, float]:
    return {
        "recall@1": recall_at_k(rank, 1),
        "recall@5": recall_at_k(rank, 5),
        "recall@10": recall_at_k(rank, 10),
        "mrr@10": mrr_at_k(rank, 10),
        "ndcg@10": ndcg_at_k(ranked, gold, 10),
    }


def aggregate(rows: list[dict[str, Any]], method: str) -> dict[str, float | None]:
    return {m: mean(r["scores"][method][m] for r in rows) for m in RANK_METRICS}


def _round(values: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (round(v, 4) if v is not None else None) for k, v in values.items()}


def run(ctx: EvalContext, data: list[str]) -> dict[str, Any]:
    sets = load_sets(ctx, data)
    k = max(ctx.settings.candidates, 10)
    rows: list[dict[str, Any]] = []
    datasets = []
    notes: list[str] = []
    latencies: dict[str, list[float]] = {m: [] for m in METHODS}
    for qaset in sets:
        handle = course_for(ctx, qaset)
        documents = handle.documents
        skipped = 0
        set_rows = []
        for q in ctx.track(qaset.questions, len(qaset.questions), f"retrieval {qaset.name}"):
            gold = gold_documents(q, documents)
            if not gold:
                skipped += 1
                continue
            row: dict[str, Any] = {
                "dataset": qaset.name,
                "id": q.id,
                "question": q.question,
                "gold": sorted(gold),
                "language": qaset.language,
                "condition": qaset.condition or None,
                "category": q.category,
                "ranks": {},
                "top3": {},
                "scores": {},
                "timings_ms": {},
            }
            for method in METHODS:
                started = time.perf_counter()
                found = handle.retriever.retrieve(q.question, handle.name, k=k, method=method)
                elapsed = (time.perf_counter() - started) * 1000
                ranked = dedupe(hit.chunk.document for hit in found.results)[:10]
                rank = first_relevant_rank(ranked, gold)
                row["ranks"][method] = rank
                row["top3"][method] = ranked[:3]
                row["scores"][method] = rank_scores(rank, ranked, gold)
                row["timings_ms"][method] = round(elapsed, 2)
                latencies[method].append(elapsed)
            set_rows.append(row)
        if skipped:
            notes.append(
                f"{qaset.name}: {skipped} question(s) skipped: their source is not a document "
                "of the course"
            )
        rows.extend(set_rows)
        datasets.append(
            dataset_entry(
                qaset.name,
                qaset.split,
                qaset.path,
                len(set_rows),
                course=handle.name,
                documents=len(documents),
                condition=qaset.condition or None,
            )
        )

    by_dataset: dict[str, Any] = {}
    for entry in datasets:
        name = entry["name"]
        mine = [r for r in rows if r["dataset"] == name]
        metrics = Metrics()
        metrics.put("n", len(mine))
        for m, v in (aggregate(mine, CONFIGURED) if mine else {}).items():
            metrics.put(m, v, "no question with a gold document")
        metrics.put(
            "by_method", {meth: _round(aggregate(mine, meth)) for meth in METHODS} if mine else None
        )
        by_dataset[name] = metrics.to_json()

    # The summary is for the first data set given (XQuAD: every same-language set together).
    primary_rows: list[dict[str, Any]] = []
    primary_name = ""
    if sets:
        first = sets[0]
        if first.name.startswith("xquad"):
            primary_rows = [r for r in rows if r["condition"] == "same-language"]
            primary_name = "xquad (same-language, all languages)"
        else:
            primary_rows = [r for r in rows if r["dataset"] == first.name]
            primary_name = first.name
    summary = Metrics()
    summary.put("suite", "retrieval")
    summary.put("n", len(primary_rows))
    summary.put("dataset", primary_name)
    overall = aggregate(primary_rows, CONFIGURED) if primary_rows else {}
    for m in RANK_METRICS:
        summary.put(m, overall.get(m), "no question with a gold document in the course")
    summary.put("by_method", {m: _round(aggregate(primary_rows, m)) for m in METHODS})
    by_language: dict[str, dict[str, float | None]] = {}
    cross_lingual: dict[str, dict[str, float | None]] = {}
    for entry in datasets:
        mine = [r for r in rows if r["dataset"] == entry["name"]]
        if not mine or not entry["name"].startswith("xquad"):
            continue
        scores = aggregate(mine, CONFIGURED)
        short = _round({"recall@5": scores["recall@5"], "mrr@10": scores["mrr@10"]})
        lang = mine[0]["language"]
        (cross_lingual if entry["condition"] == "cross-lingual" else by_language)[lang] = short
    if by_language:
        summary.put("by_language", by_language)
    if cross_lingual:
        summary.put("cross_lingual", cross_lingual)
    summary.put(
        "by_dataset",
        {n: {m: v.get(m) for m in ("n", *RANK_METRICS)} for n, v in by_dataset.items()},
    )

    charts: list[dict[str, Any]] = [
        grouped_bar_chart(
            f"Recall@5 and MRR@10 per method ({primary_name})",
            {
                m: {meth: summary.values["by_method"][meth][m] for meth in METHODS}
                for m in ("recall@5", "mrr@10")
            },
            "score",
        ),
        grouped_bar_chart(
            "Recall@5 per data set and method",
            {
                meth: {
                    n: v["by_method"][meth]["recall@5"]
                    for n, v in by_dataset.items()
                    if v.get("by_method")
                }
                for meth in METHODS
            },
            "recall@5",
        ),
        histogram(
            "Rank of the gold passage, hybrid (11 = not in the top 10)",
            [float(r["ranks"][CONFIGURED] or 11) for r in rows],
            "rank",
            bins=11,
        ),
        histogram(
            "Retrieval latency, hybrid", latencies[CONFIGURED], "milliseconds", volatile=True
        ),
    ]
    if by_language:
        charts.insert(
            2,
            bar_chart(
                "XQuAD recall@5 per language (same-language)",
                {k: v["recall@5"] for k, v in by_language.items()},
                "recall@5",
            ),
        )
    timings = {m: latency_summary(v) for m, v in latencies.items() if v}
    return {
        "suite": "retrieval",
        "summary": summary.to_json(),
        "metrics": {"by_dataset": by_dataset, "configured_method": CONFIGURED, "k_chunks": k},
        "datasets": datasets,
        "rows": rows,
        "charts": charts,
        "notes": [
            "Ranks are over distinct documents among the top "
            f"{k} chunks; hybrid is the configured retriever (dense + BM25, reciprocal-rank "
            "fusion). The summary figures are for the first data set given.",
            *notes,
        ],
        "timings": {"retrieval_ms": timings},
    }
