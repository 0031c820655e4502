"""``tutor eval qa``: the whole tutor answers (``Pipeline.ask``, explain mode) and is scored.

- answer_accuracy: answerable questions whose answer contains an expected string (SQuAD
  normalisation on both sides) and does not decline; for multiple choice, the right choice.
- exact_match / f1: the official SQuAD metrics of the whole answer (citation markers removed)
  against the reference answers; only for sets with reference answers (SQuAD, XQuAD). A
  sentence-long tutor answer rarely matches a span exactly: read f1, not exact_match.
- abstention_accuracy: unanswerable questions on which the tutor declined (not covered,
  refused, or a reply saying the material does not cover it).
- citation_accuracy: answered answerable questions whose first cited source ([n] in the answer)
  is from the gold document; an answer without a citation marker counts as wrong.
- gold_in_sources_rate: answerable questions past the relevance gate whose gold document was
  among the sources the model was given (retrieval inside the pipeline, for reading the rest).
- groundedness: share of answer sentences supported by the text they cite (lexical support:
  at least 60% of a sentence's content words occur in the cited chunks; see
  ``eval.metrics.groundedness``), averaged over answered questions.
- multiple choice (ARC, TruthfulQA MC1): closed-book; the tutor's language model gets the
  question and lettered choices with a fixed instruction and the first letter it names is its
  choice. There is no course material for these sets, so the retrieval gate is not involved.
"""

from __future__ import annotations

import hashlib
import re
import string
import time
from typing import Any

from eval.context import EvalContext
from eval.datasets import ChoiceItem, ChoiceSet, QASet
from eval.metrics import (
    contains_any,
    exact_match,
    groundedness,
    latency_summary,
    mean,
    token_f1,
)
from eval.results import Metrics
from eval.shared_sets import read_arc, read_generic_set, read_squad, read_truthfulqa, read_xquad
from eval.suites.common import (
    abstains,
    bar_chart,
    course_for,
    dataset_entry,
    gold_documents,
    histogram,
    refs_for,
    require_kinds,
)
from tutor.citations import cited_numbers
from tutor.pipeline import Pipeline
from tutor.protocols import generate

ALLOWED = {"squad_v2_dev", "xquad", "generic", "arc", "truthfulqa_mc"}
MC_MAX_NEW_TOKENS = 24
LETTERS = string.ascii_uppercase  # TruthfulQA MC1 has up to 13 choices
MC_SYSTEM = (
    "You are a patient, friendly tutor. Answer the multiple-choice question with the letter of "
    "the correct choice first, then at most one short sentence of explanation."
)
MC_PROMPT_HASH = hashlib.sha256(MC_SYSTEM.encode()).hexdigest()[:12]
_MARKERS = re.compile(r"\[\d{1,3}\]")


def load_sets(ctx: EvalContext, data: list[str]) -> tuple[list[QASet], list[ChoiceSet]]:
    refs = refs_for(ctx, "qa", data)
    require_kinds(refs, ALLOWED, "qa")
    open_sets: list[QASet] = []
    choice_sets: list[ChoiceSet] = []
    for ref in refs:
        if ref.kind == "squad_v2_dev":
            open_sets.append(read_squad(ref.path, ctx.split, ctx.limit))
        elif ref.kind == "xquad":
            chosen = read_xquad(ref.path, ctx.split, ctx.limit, ref.languages)
            open_sets.extend(s for s in chosen if s.condition == "same-language")
        elif ref.kind == "arc":
            choice_sets.append(read_arc(ref.path, ctx.split, ctx.limit))
        elif ref.kind == "truthfulqa_mc":
            choice_sets.append(read_truthfulqa(ref.path, ctx.split, ctx.limit))
        else:
            generic = read_generic_set(ref)
            generic.questions = generic.questions[: ctx.limit] if ctx.limit else generic.questions
            open_sets.append(generic)
    return open_sets, choice_sets


def _evidence(by_id: dict[str, str], answer: Any) -> tuple[dict[int, str], str, str]:
    """(full chunk text per source number, text of the cited sources, text of all sources)."""
    texts = {s.n: by_id.get(s.chunk_id, s.text) for s in answer.sources}
    cited = cited_numbers(answer.answer, len(answer.sources))
    cited_text = " ".join(texts[n] for n in cited if n in texts)
    return texts, cited_text, " ".join(texts.values())


def answer_open(ctx: EvalContext, qaset: QASet) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    handle = course_for(ctx, qaset)
    documents = handle.documents
    pipeline = Pipeline(handle.services)
    by_id = {c.id: c.text for c in handle.retriever.index(handle.name).chunks}
    rows = []
    for q in ctx.track(qaset.questions, len(qaset.questions), f"qa {qaset.name}"):
        answer = pipeline.ask(q.question, course=handle.name, mode="explain")
        text = _MARKERS.sub("", answer.answer).strip()
        declined = abstains(answer)
        gold = gold_documents(q, documents)
        numbers = cited_numbers(answer.answer, len(answer.sources))
        cited_docs = [answer.sources[n - 1].document for n in numbers]
        texts, cited_text, all_text = _evidence(by_id, answer)
        row: dict[str, Any] = {
            "dataset": qaset.name,
            "id": q.id,
            "question": q.question,
            "answerable": q.answerable,
            "expected": list(q.expected),
            "answer": answer.answer,
            "not_covered": answer.not_covered,
            "refused": answer.refused,
            "declined": declined,
            "safety_action": getattr(answer, "safety_action", None),
            "sources": [s.document for s in answer.sources],
            "cited": cited_docs,
            "gold": sorted(gold),
            "category": q.category,
            "completion_tokens": answer.completion_tokens,
            "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        }
        if q.answerable:
            row["correct"] = (not declined) and contains_any(text, q.expected)
            if qaset.has_reference_answers:
                row["exact_match"] = exact_match(text, q.expected)
                row["f1"] = round(token_f1(text, q.expected), 4)
            if gold and not answer.not_covered:
                row["gold_in_sources"] = any(s.document in gold for s in answer.sources)
            if not declined and gold:
                row["citation_correct"] = bool(cited_docs) and cited_docs[0] in gold
        else:
            row["abstained"] = declined
        if not declined:
            value = groundedness(answer.answer, texts, cited_text or all_text)
            row["groundedness"] = round(value, 4) if value is not None else None
        if q.must_not_contain:
            row["must_not_contain_violation"] = contains_any(text, q.must_not_contain)
        rows.append(row)
    info = dataset_entry(qaset.name, qaset.split, qaset.path, len(rows), course=handle.name)
    return rows, info


def parse_choice(reply: str, choices: tuple[str, ...]) -> int | None:
    """The choice a reply names: a leading letter ("B", "(B)", "B."), "answer is B", or else
    the only choice whose text it contains."""
    letters = LETTERS[: len(choices)]
    text = reply.strip()
    patterns = (  # a bare leading letter must be closed ("A." / "(A)"), so "A fish" is not A
        rf"^\W*\(([{letters}])\)",
        rf"^\W*([{letters}])(?:[.):,]|\s*$|\s*\n)",
        rf"\b(?i:answer|choice|option)\s*(?:is|:)?\s*\(?([{letters}])\b",
        rf"\(([{letters}])\)",
        rf"(?:^|\n)\s*([{letters}])[.)](?=\s|$)",
    )
    for pattern in patterns:
        match = re.search(pattern, text)
        if match:
            return letters.index(match.group(1))
    low = " ".join(text.lower().split())
    contained = [i for i, c in enumerate(choices) if c.strip() and c.lower().strip(" .") in low]
    return contained[0] if len(contained) == 1 else None


def answer_choices(
    ctx: EvalContext, cset: ChoiceSet
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    llm = ctx.services.llm
    rows = []
    for item in ctx.track(cset.items, len(cset.items), f"qa {cset.name}"):
        messages = [
            {"role": "system", "content": MC_SYSTEM},
            {"role": "user", "content": mc_prompt(item)},
        ]
        started = time.perf_counter()
        reply = generate(llm, messages, max_new_tokens=MC_MAX_NEW_TOKENS).strip()
        elapsed = (time.perf_counter() - started) * 1000
        choice = parse_choice(reply, item.choices)
        rows.append(
            {
                "dataset": cset.name,
                "id": item.id,
                "question": item.question,
                "answerable": True,
                "choices": list(item.choices),
                "gold_choice": LETTERS[item.gold],
                "answer": reply,
                "choice": LETTERS[choice] if choice is not None else None,
                "correct": choice == item.gold,
                "category": item.category,
                "timings_ms": {"total": round(elapsed, 1)},
            }
        )
    return rows, dataset_entry(
        cset.name,
        cset.split,
        cset.path,
        len(rows),
        chance=round(mean(1 / len(i.choices) for i in cset.items) or 0, 4),
    )


def mc_prompt(item: ChoiceItem) -> str:
    lines = [f"Question: {item.question}", ""]
    lines += [f"{LETTERS[i]}. {choice}" for i, choice in enumerate(item.choices)]
    lines += ["", "Answer with the letter of the correct choice."]
    return "\n".join(lines)


def _share(rows: list[dict[str, Any]], key: str) -> float | None:
    return mean(float(r[key]) for r in rows if r.get(key) is not None)


def summarise(rows: list[dict[str, Any]], metrics: Metrics, reason: str) -> None:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    metrics.put("n", len(rows))
    metrics.put(
        "answer_accuracy", _share(answerable, "correct"), "no answerable question in the data"
    )
    metrics.put(
        "abstention_accuracy",
        _share(unanswerable, "abstained"),
        "no unanswerable question in the data",
    )
    metrics.put(
        "citation_accuracy",
        _share(answerable, "citation_correct"),
        "no answered question with a gold source in the course (multiple-choice sets are "
        "closed-book and cite nothing)",
    )
    metrics.put(
        "groundedness",
        mean(r.get("groundedness") for r in rows),
        "no answered question with a sentence long enough to judge",
    )
    metrics.put(
        "gold_in_sources_rate",
        _share(answerable, "gold_in_sources"),
        "no answerable question with a gold source that passed the relevance gate",
    )
    metrics.put(
        "must_not_contain_violations",
        sum(1 for r in rows if r.get("must_not_contain_violation")),
    )
    metrics.put("exact_match", _share(answerable, "exact_match"), reason)
    metrics.put("f1", _share(answerable, "f1"), reason)


def em_reason(open_sets: list[QASet]) -> str:
    if not open_sets:
        return "multiple-choice sets are scored by the choice, not by EM/F1"
    if not any(s.has_reference_answers for s in open_sets):
        return "the data has no reference answers (generic expected strings are containment checks)"
    return "no answerable question with reference answers"


def run(ctx: EvalContext, data: list[str]) -> dict[str, Any]:
    open_sets, choice_sets = load_sets(ctx, data)
    rows: list[dict[str, Any]] = []
    datasets = []
    for qaset in open_sets:
        set_rows, info = answer_open(ctx, qaset)
        rows.extend(set_rows)
        datasets.append(info)
    for cset in choice_sets:
        set_rows, info = answer_choices(ctx, cset)
        rows.extend(set_rows)
        datasets.append(info)

    summary = Metrics()
    summary.put("suite", "qa")
    summarise(rows, summary, em_reason(open_sets))
    by_dataset: dict[str, Any] = {}
    for info in datasets:
        mine = [r for r in rows if r["dataset"] == info["name"]]
        m = Metrics()
        summarise(mine, m, em_reason([s for s in open_sets if s.name == info["name"]]))
        m.put(
            "declined_rate", _share(mine, "declined"), "multiple choice: the tutor always answers"
        )
        by_dataset[info["name"]] = m.to_json()
    summary.put(
        "by_dataset",
        {n: {k: v for k, v in d.items() if k != "missing"} for n, d in by_dataset.items()},
    )
    if choice_sets:
        summary.put(
            "multiple_choice",
            {c.name: by_dataset[c.name]["answer_accuracy"] for c in choice_sets},
        )

    totals = [r["timings_ms"].get("total") for r in rows if r.get("timings_ms", {}).get("total")]
    charts: list[dict[str, Any]] = [
        bar_chart(
            "Answer accuracy per data set",
            {n: d.get("answer_accuracy") for n, d in by_dataset.items()},
            "share correct",
        ),
        histogram(
            "Token F1 of answers (answerable, reference answers)",
            [r["f1"] for r in rows if r.get("f1") is not None],
            "F1",
            bins=10,
        ),
        histogram(
            "Groundedness of answers",
            [r["groundedness"] for r in rows if r.get("groundedness") is not None],
            "share of supported sentences",
            bins=10,
        ),
        histogram("Answer latency", [float(t) for t in totals], "milliseconds", volatile=True),
    ]
    return {
        "suite": "qa",
        "summary": summary.to_json(),
        "metrics": {"by_dataset": by_dataset, "mc_prompt_hash": MC_PROMPT_HASH},
        "datasets": datasets,
        "rows": rows,
        "charts": charts,
        "notes": [
            "Open questions go through the whole tutor (retrieval, prompt, model, citations) in "
            "explain mode. Multiple-choice sets are closed-book: the model answers the lettered "
            "choices with a fixed instruction (hash in metrics.mc_prompt_hash).",
            "Groundedness method: an answer sentence is supported when at least 60% of its "
            "content words (stop words removed, lower-cased) occur in the chunks it cites "
            "(its own [n] markers, else every cited chunk, else every source given); sentences "
            "with fewer than 3 content words are not judged.",
        ],
        "timings": {"answer_ms": latency_summary(totals) if totals else None},
    }
