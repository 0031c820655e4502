"""Metric functions: plain, deterministic, no I/O. Each is tested on hand-computed examples.

Ranking metrics take the 1-based rank of the first relevant item (``None`` when it was not
retrieved); answer metrics follow the official SQuAD evaluation script's normalisation.
"""

from __future__ import annotations

import math
import re
import statistics
import string
from collections import Counter
from collections.abc import Iterable, Sequence

# ---- ranking ------------------------------------------------------------------------------


def first_relevant_rank(ranked: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first item of ``ranked`` that is in ``relevant``; None if none is."""
    gold = set(relevant)
    for i, item in enumerate(ranked, start=1):
        if item in gold:
            return i
    return None


def recall_at_k(rank: int | None, k: int) -> float:
    """1.0 when the (single) gold item is within the top ``k``, else 0.0."""
    return 1.0 if rank is not None and rank <= k else 0.0


def mrr_at_k(rank: int | None, k: int) -> float:
    """Reciprocal rank of the first relevant item, 0.0 beyond ``k``."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Binary-relevance nDCG@k: DCG of the ranking over the DCG of an ideal ranking."""
    gold = set(relevant)
    if not gold:
        raise ValueError("nDCG needs at least one relevant item")
    dcg = sum(1.0 / math.log2(i + 1) for i, item in enumerate(ranked[:k], start=1) if item in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def dedupe(items: Iterable[str]) -> list[str]:
    """Items in order of first appearance (chunks of one document count once)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# ---- answers (official SQuAD v2 normalisation) ----------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse white space."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer."""
    pred = normalize_answer(prediction)
    return 1.0 if any(pred == normalize_answer(g) for g in golds) else 0.0


def _f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:  # SQuAD: both empty is a match
        return float(pred_tokens == gold_tokens)
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1: the best over the gold answers."""
    return max((_f1(prediction, g) for g in golds), default=0.0)


def contains_any(text: str, expected: Sequence[str]) -> bool:
    """Any expected string occurs in ``text`` (case-insensitive, white space collapsed).

    Both sides are compared raw-lower-cased first and then SQuAD-normalised, so "H2O." matches
    "h2o" and "the Rhine" matches "Rhine".
    """
    low = " ".join(text.lower().split())
    norm = f" {normalize_answer(text)} "
    for item in expected:
        item_low = " ".join(item.lower().split())
        if item_low and item_low in low:
            return True
        item_norm = normalize_answer(item)
        if item_norm and f" {item_norm} " in norm:
            return True
    return False


# ---- classification agreement ---------------------------------------------------------------


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if len(gold) != len(predicted) or not gold:
        raise ValueError("accuracy needs two non-empty sequences of the same length")
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-class F1 over the classes seen in gold or predictions.

    (scikit-learn's ``f1_score(average="macro")`` with its default labels.) A class that is
    predicted but never gold, or gold but never predicted, counts with F1 = 0.
    """
    if len(gold) != len(predicted) or not gold:
        raise ValueError("macro-F1 needs two non-empty sequences of the same length")
    labels = sorted(set(gold) | set(predicted))
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


# ---- tutoring turns ------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])[-−]?\$?\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Numbers written in ``text``, normalised ("1,000" → "1000", "$5.00" → "5", "−3" → "-3")."""
    found = set()
    for match in _NUMBER.finditer(text):
        raw = match.group(0).replace("−", "-").replace("$", "").replace(",", "")
        if raw.endswith("."):
            raw = raw[:-1]
        found.add(normalize_number(raw))
    return found


def normalize_number(raw: str) -> str:
    try:
        value = float(raw.replace(",", "").replace("$", "").replace("−", "-"))
    except ValueError:
        return raw.strip()
    if value.is_integer():
        return str(int(value))
    return repr(round(value, 6)).rstrip("0").rstrip(".")


def final_answer_number(solution: str) -> str | None:
    """The final numeric answer of a GSM8K-style worked solution: the last number of its last
    non-empty line (MathDial and MRBench end solutions with a line holding only the answer)."""
    lines = [line for line in solution.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        found = list(_NUMBER.finditer(line))
        if found:
            raw = found[-1].group(0).replace("$", "").replace(",", "").replace("−", "-")
            return normalize_number(raw.rstrip("."))
        break  # the last line has no number: no final answer can be derived
    return None


def reveals_answer(reply: str, answer: str | None, context: Iterable[str] = ()) -> bool | None:
    """Does ``reply`` state the final ``answer`` that the learner has not stated yet?

    True when the answer's number is written in the reply and in none of the ``context`` texts
    (the problem and the dialogue so far); False when the reply does not state it; None when
    it cannot be decided (no known answer, or the number already appears in the context, so
    repeating it reveals nothing new).
    """
    if answer is None:
        return None
    if any(answer in numbers_in(text) for text in context):
        return None
    return answer in numbers_in(reply)


_SENTENCES = re.compile(r"[^.!?\n]+[.!?]*")
_CITATION = re.compile(r"\[\d{1,3}\]")


def asks_question(reply: str) -> bool:
    """The reply puts at least one question to the learner (a sentence ending with '?')."""
    text = _CITATION.sub("", reply)
    return any(s.strip().endswith("?") for s in _SENTENCES.findall(text))


# ---- groundedness ----------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
SUPPORT_THRESHOLD = 0.6  # share of a sentence's content words that must occur in the cited text
MIN_CONTENT_WORDS = 3  # shorter sentences ("Good question!") are not judged


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(text) if s.strip()]


def sentence_supported(sentence: str, evidence: str) -> bool | None:
    """Lexical support: at least 60% of the sentence's content words occur in ``evidence``.

    None for a sentence with fewer than 3 content words (not judged).
    """
    words = content_words(_CITATION.sub("", sentence))
    if len(words) < MIN_CONTENT_WORDS:
        return None
    vocabulary = set(content_words(evidence))
    return sum(w in vocabulary for w in words) / len(words) >= SUPPORT_THRESHOLD


def groundedness(answer: str, evidence_for: dict[int, str], fallback: str) -> float | None:
    """Share of judged answer sentences supported by the text they cite.

    A sentence is checked against the sources its own ``[n]`` markers name (``evidence_for``
    maps a source number to its text); a sentence without markers against ``fallback`` (the
    text of every source the answer cites, or of every source it was given when it cites
    none). None when no sentence could be judged.
    """
    verdicts = []
    for sentence in split_sentences(answer):
        numbers = [int(m.group(0)[1:-1]) for m in _CITATION.finditer(sentence)]
        cited = " ".join(evidence_for[n] for n in numbers if n in evidence_for)
        verdict = sentence_supported(sentence, cited or fallback)
        if verdict is not None:
            verdicts.append(verdict)
    if not verdicts:
        return None
    return sum(verdicts) / len(verdicts)


# ---- aggregation -----------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(ms: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }
