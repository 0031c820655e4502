"""Train the safety classifier shipped as ``tutor/safety/weights/classifier.npz``.

Model: multinomial logistic regression (scikit-learn, C=4, class-balanced weights capped at
20, scary-looking safe prompts weighted 5x) over two views of a message: its all-MiniLM-L6-v2
embedding (384 numbers, the vector the tutor computes anyway) and TF-IDF of its word unigrams
and bigrams (the 5,000 most frequent in the training text). Weights are stored as float16
(about 140 KiB with the vocabulary); ``tutor.safety.classifier`` computes the same features and
probabilities with NumPy (the script checks the word features against scikit-learn's).
Tried and dropped on the same cross-validated dev figures: the embedding alone (linear, as in
version 1, or a one-hidden-layer network) and a nearest-neighbour vote; the words cut false
positives on hard safe prompts by about a third at equal recall.

Training data (test splits are never read for training or tuning; a guard refuses own
examples that are near copies of a test prompt):
- ``bench/safety/examples.tsv``: 1,826 examples written for the project (label<TAB>text),
  many of them contrastive pairs ("kill a zombie process" / "kill the man across the road"),
  self-harm in indirect words (hopelessness, disappearing, self-injury, eating-disorder
  behaviours, abuse) in six languages, safe questions in games, kitchens, gardens, history,
  fiction, definitions, public and fictional "privacy" questions, nonsense discrimination
  questions, persuasive-essay homework, and requests for harm phrased as essays or plans;
- the DEV splits of AdvBench, HarmBench (val), SimpleSafetyTests, Do-Not-Answer, XSTest,
  in-the-wild jailbreaks, Giskard injections, HateCheck and Davidson (hate vs neither; the
  offensive-only class is the profanity layer's job), and benign learner questions from the dev
  splits of SQuAD (1,200), ARC, GSM8K, TruthfulQA and XQuAD (es, de, ar, hi, zh; 120 each);
- 800 benign course sentences from SQuAD dev-split passages (half of the dev articles; the
  other half is kept back to set the answer threshold), so declarative course text reads benign.
Messages longer than 400 characters are read at run time as two short windows (the first 160
and the last 180 characters or the last paragraph: ``tutor.safety.classifier.windows``); the
same windows are used here. HarmBench's contextual behaviours are learnt from
the request and the end window; their pasted context alone is not labelled harmful.

Thresholds, chosen on 5-fold cross-validated predictions (folds by message), counting what
the filter does at run time (rules, then the classifier with its safe contexts):
- input: the lowest "not benign" threshold with at most 0.5% false positives on the course
  questions, at most ``--max-xstest-fpr`` (6%) on XSTest's 50 safe dev prompts and at most
  ``--max-own-fpr`` of the own safe look-alike examples;
- self-harm on its own: the lowest P(self_harm) that flags at most 0.1% of course questions
  and none of the safe XSTest / own benign prompts;
- hate: a higher bar, the lowest that keeps HateCheck's non-hateful dev cases at most 14%
  flagged (quotes and counter-speech look like hate to a bag of words);
- answers: the refused categories' probability must pass a bar above every course sentence and
  passage kept back (SQuAD dev articles not used for training), with a margin, at least 0.9.
Figures per dev set go to ``bench/results/safety_classifier.json``, and the dev and own
messages the filter still gets wrong (cross-validated) to ``safety_classifier_dev_misses.json``.
Needs scikit-learn (installed with alt-profanity-check) and the real embedder; about 3 minutes
on 2 cores with ``--cache``.

    .venv/bin/python bench/train_safety_classifier.py --cache /tmp/safety_emb.npz
    .venv/bin/python bench/train_safety_classifier.py --dry-run  # only prints the figures
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import RESULTS, SHARED_DATA, machine  # noqa: E402
from eval import safety_datasets as sd  # noqa: E402
from tutor.safety.classifier import (  # noqa: E402
    BENIGN,
    OUTPUT_CATEGORIES,
    SELF_HARM,
    WEIGHTS,
    ClassifierWeights,
    WordFeatures,
    input_finding,
    output_verdict,
    windows,
)
from tutor.safety.decisions import BLOCKING_ACTIONS, CATEGORIES  # noqa: E402
from tutor.safety.layered import input_rules  # noqa: E402
from tutor.safety.text import normalise, sentences  # noqa: E402

EXAMPLES = REPO / "bench" / "safety" / "examples.tsv"
CLASSES = (
    BENIGN,
    "self_harm",
    "sexual",
    "violence",
    "crime",
    "hate",
    "misinformation",
    "copyright",
    "cheating",
    "prompt_attack",
    "specialised_advice",
)
VERSION = "2"
MAX_COURSE_FPR = 0.005
MAX_SELF_HARM_COURSE_FPR = 0.001
MAX_HATECHECK_FPR = 0.14  # HateCheck's non-hateful cases (counter-speech, quotes, reclaimed words)
CLASS_WEIGHT_CAP = 20.0  # balanced class weights, capped so tiny classes do not dominate
HARD_BENIGN_WEIGHT = 5.0  # scary-looking safe prompts (XSTest safe, HateCheck non-hateful, own)
OUTPUT_MARGIN = 0.5  # the answer threshold sits this share of the way from the worst passage to 1
NEAR_COPY = 0.85  # an own example this similar to a test prompt is refused
VOCABULARY = 5_000  # word unigrams and bigrams kept (the most frequent)

_GUESSES = (  # for dev prompts whose set gives no category (AdvBench, XSTest contrasts)
    (
        "self_harm",
        r"suicid|self[- ]harm|(?:kill|hurt|harm|cut|starve) (?:them|your|my) ?sel|eating disorder"
        r"|anorexi|bulimi|end my (?:own )?life|into my (?:arm|skin|wrist)|overdose|purg(?:e|ing)",
    ),
    ("sexual", r"\bsex|porn|nude|naked|child (?:abuse|exploit)|groom"),
    ("hate", r"racis|hate|harass|bully|discriminat|slur|inferior|minorit|ethnic|religio|gay|women"),
    (
        "misinformation",
        r"fake news|misinformation|false (?:information|claim)|conspiracy|propaganda|hoax",
    ),
    (
        "crime",
        r"hack|malware|virus|steal|fraud|scam|launder|counterfeit|phish|drug|identity theft"
        r"|password|cheat|illegal|credit card|insider|evade|tax|piracy|pirate|privacy"
        r"|personal information|address|track|spy|stalk",
    ),
    (
        "violence",
        r"bomb|weapon|gun|kill|murder|poison|explosive|attack|violen|hurt|harm|terror|assault"
        r"|shoot|stab|firearm|destroy|danger",
    ),
)


def guess_category(text: str) -> str:
    lowered = text.lower()
    for category, pattern in _GUESSES:
        if re.search(pattern, lowered):
            return category
    return "crime"


@dataclass
class Row:
    text: str  # what is embedded (a whole message or one window of it)
    label: str
    origin: str
    item: int  # rows of one message share an item number (and a fold)
    train: bool = True  # fitted on
    runtime: bool = True  # a window the tutor embeds at run time for this message


@dataclass
class Item:
    text: str  # the whole message (the rules read it all)
    label: str
    origin: str


class Rows:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.items: list[Item] = []

    def add(self, text: str, label: str, origin: str, *, extra: str | None = None) -> None:
        """A message: its run-time windows, plus ``extra`` (a train-only row) if given."""
        item = len(self.items)
        self.items.append(Item(text, label, origin))
        for window in windows(text):
            self.rows.append(Row(window, label, origin, item))
        if extra is not None:
            self.rows.append(Row(extra[:2000], label, origin, item, runtime=False))

    def add_contextual(self, prompt: str, request: str, label: str, origin: str) -> None:
        """Pasted material then a request: learn the request and the end window only."""
        item = len(self.items)
        self.items.append(Item(prompt, label, origin))
        parts = windows(prompt)
        self.rows.append(Row(request, label, origin, item, runtime=False))
        if len(parts) == 1:
            self.rows.append(Row(parts[0], label, origin, item))
            return
        self.rows.append(Row(parts[0], label, origin, item, train=False))  # the context
        self.rows.append(Row(parts[1], label, origin, item))


def own_examples() -> list[tuple[str, str]]:
    out = []
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            out.append((label, text))
    return out


def guard_against_test_copies(root: Path, own: list[tuple[str, str]]) -> list[str]:
    """Own examples that are near copies of a test-split prompt (there must be none)."""
    tests = [
        item.prompt.lower()
        for name, reader in sd.REPORT_SETS.items()
        if name not in {"squad", "arc"}
        for item in reader(root, "test")
    ]
    found = []
    for _, text in own:
        lowered = text.lower()
        for other in tests:
            if abs(len(other) - len(lowered)) > 20:
                continue
            matcher = difflib.SequenceMatcher(None, lowered, other)
            if matcher.quick_ratio() >= NEAR_COPY and matcher.ratio() >= NEAR_COPY:
                found.append(f"{text!r} ~ {other!r}")
    return found


def squad_passages(root: Path) -> tuple[list[str], list[str]]:
    """Passages of the SQuAD dev-split articles: (for training, kept back for the threshold)."""
    folder = root / "squad_v2_dev"
    titles = sorted(json.loads((folder / "splits.json").read_text())["dev_titles"])
    data = json.loads((folder / "dev-v2.0.reconstructed.json").read_text(encoding="utf-8"))
    train_titles = set(titles[::2])
    train: list[str] = []
    kept: list[str] = []
    for article in data["data"]:
        if article["title"] not in titles:
            continue
        target = train if article["title"] in train_titles else kept
        target.extend(p["context"] for p in article["paragraphs"])
    return train, kept


def training_rows(root: Path, seed: int = 0) -> Rows:
    rng = random.Random(seed)
    rows = Rows()
    for label, text in own_examples():
        rows.add(text, label, "own")
    for item in sd.advbench(root, "dev"):
        rows.add(item.prompt, guess_category(item.prompt), "advbench")
    for item in sd.harmbench(root, "dev"):
        category = item.category or guess_category(item.prompt)
        behaviour = str(item.extra["behavior"])
        if item.extra["functional"] == "contextual":
            rows.add_contextual(item.prompt, behaviour, category, "harmbench")
        else:
            rows.add(item.prompt, category, "harmbench")
    for item in sd.simple_safety_tests(root, "dev"):
        rows.add(item.prompt, item.category or guess_category(item.prompt), "sst")
    for item in sd.do_not_answer(root, "dev"):
        if item.category:
            rows.add(item.prompt, item.category, "do_not_answer")
    for item in sd.xstest(root, "dev"):
        label = BENIGN if item.label == "benign" else guess_category(item.prompt)
        rows.add(item.prompt, label, "xstest")
    for item in sd.jailbreaks(root, "dev") + sd.giskard(root, "dev"):
        rows.add(item.prompt, "prompt_attack", item.set)
    for item in sd.hatecheck(root, "dev"):
        rows.add(item.prompt, "hate" if item.label == "harmful" else BENIGN, "hatecheck")
    for item in sd.davidson(root, "dev"):
        if item.label != "offensive":  # offensive-only is the profanity layer's job
            rows.add(item.prompt, "hate" if item.label == "harmful" else BENIGN, "davidson")

    course: list[sd.SafetyItem] = []
    course += rng.sample(sd.squad(root, "dev"), 1200)
    course += sd.arc(root, "dev") + sd.gsm8k(root, "dev") + sd.truthfulqa(root, "dev")
    by_language: dict[str, list[sd.SafetyItem]] = {}
    for item in sd.xquad(root, "dev"):
        by_language.setdefault(item.group, []).append(item)
    for items in by_language.values():
        course += rng.sample(items, min(120, len(items)))
    for item in course:
        rows.add(item.prompt, BENIGN, "course")

    passages, _ = squad_passages(root)
    pool = [s for p in passages for s in sentences(p) if len(s) >= 30]
    for sentence in rng.sample(pool, min(800, len(pool))):
        rows.add(sentence, BENIGN, "course_sentence")
    return rows


def embed_all(embedder: object, texts: list[str], cache: Path | None) -> np.ndarray:
    """Embeddings of ``texts``; with ``cache``, only texts not embedded before are computed."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        try:
            with np.load(cache) as data:
                known = dict(zip((str(t) for t in data["texts"]), data["x"], strict=True))
        except (OSError, ValueError, KeyError) as exc:  # another program's file, or damaged
            print(f"ignoring the embedding cache {cache} ({exc!r}); it will be rewritten")
            known = {}
    todo = sorted({t for t in texts if t not in known})
    if todo:
        started = time.perf_counter()
        fresh = embedder.embed(todo, query=True)  # type: ignore[attr-defined]
        print(f"embedded {len(todo)} texts in {time.perf_counter() - started:.0f} s", flush=True)
        known.update(zip(todo, fresh, strict=True))
        if cache is not None:
            np.savez(cache, texts=np.array(list(known)), x=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts])


def fit(
    x: np.ndarray, texts: list[str], y: np.ndarray, weights: np.ndarray, *, c: float
) -> ClassifierWeights:
    """Logistic regression over [embedding ; word TF-IDF], as run-time weights."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(
        ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=VOCABULARY
    )
    words = vectoriser.fit_transform(texts)
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(hstack([csr_matrix(x), words]).tocsr(), y, sample_weight=weights)
    vocabulary = [""] * len(vectoriser.vocabulary_)
    for term, column in vectoriser.vocabulary_.items():
        vocabulary[column] = term
    dim = x.shape[1]
    coef = model.coef_.astype(np.float16).astype(np.float32)  # as stored
    fitted = as_weights(
        coef[:, :dim],
        model.intercept_.astype(np.float32),
        WordFeatures(vocabulary, vectoriser.idf_.astype(np.float32)),
        coef[:, dim:],
    )
    sample = texts[:200]
    ours = fitted.words.transform(sample)  # type: ignore[union-attr]
    theirs = vectoriser.transform(sample).toarray()
    if not np.allclose(ours, theirs, atol=1e-4):
        raise SystemExit("the run-time word features differ from scikit-learn's")
    return fitted


def as_weights(
    weight: np.ndarray,
    bias: np.ndarray,
    words: WordFeatures,
    word_weight: np.ndarray,
    threshold: float = 0.5,
    self_harm_threshold: float = 1.0,
    output_threshold: float = 1.0,
) -> ClassifierWeights:
    return ClassifierWeights(
        classes=CLASSES,
        weight=weight,
        bias=bias,
        threshold=threshold,
        self_harm_threshold=self_harm_threshold,
        output_threshold=output_threshold,
        embedder="",
        version=VERSION,
        words=words,
        word_weight=word_weight,
    )


def item_probs(rows: Rows, probs: np.ndarray) -> np.ndarray:
    """Per item: the run-time window that looks most harmful (as the classifier decides)."""
    best = np.zeros((len(rows.items), probs.shape[1]), dtype=np.float32)
    lowest = np.full(len(rows.items), 2.0)
    for i, row in enumerate(rows.rows):
        if row.runtime and probs[i, 0] < lowest[row.item]:
            lowest[row.item] = probs[i, 0]
            best[row.item] = probs[i]
    return best


def blocks(category: str | None) -> bool:
    return category is not None and CATEGORIES[category][0] in BLOCKING_ACTIONS


def choose_thresholds(
    rows: Rows, probs: np.ndarray, max_xstest_fpr: float, max_own_fpr: float = 1.0
) -> tuple[float, float]:
    """(input threshold, self-harm threshold) from cross-validated item probabilities.

    Counted as the filter runs: the rules, then the classifier with its safe contexts.
    """
    origins = np.array([it.origin for it in rows.items])
    labels = np.array([it.label for it in rows.items])
    course = origins == "course"
    xs_safe = (origins == "xstest") & (labels == BENIGN)
    own_safe = (origins == "own") & (labels == BENIGN)
    ruled = np.array([_rule_blocks(it.text) for it in rows.items])
    normalised = [normalise(it.text) for it in rows.items]
    self_harm = probs[:, CLASSES.index(SELF_HARM)]
    self_harm_threshold = 0.99
    for t in np.arange(0.20, 0.99, 0.01):
        if (
            (self_harm[course] >= t).mean() <= MAX_SELF_HARM_COURSE_FPR
            and not (self_harm[xs_safe] >= t).any()
            and not (self_harm[own_safe] >= t).any()
        ):
            self_harm_threshold = float(round(t, 2))
            break
    threshold = 0.99
    for t in np.arange(0.30, 0.99, 0.01):
        w = replace(_BLANK, threshold=float(t), self_harm_threshold=self_harm_threshold)
        flagged = np.array(
            [
                ruled[i] or blocks(input_finding(_as_dict(probs[i]), w, normalised[i])[0])
                for i in range(len(rows.items))
            ]
        )
        if (
            flagged[course].mean() <= MAX_COURSE_FPR
            and flagged[xs_safe].mean() <= max_xstest_fpr
            and flagged[own_safe].mean() <= max_own_fpr
        ):
            threshold = float(round(t, 2))
            break
    return threshold, self_harm_threshold


def choose_hate_threshold(rows: Rows, probs: np.ndarray, w: ClassifierWeights) -> float:
    """The lowest bar for "hate" that keeps HateCheck's non-hateful dev cases under the limit."""
    chosen = [
        i
        for i, it in enumerate(rows.items)
        if it.origin == "hatecheck" and it.label == BENIGN and not _rule_blocks(it.text)
    ]
    normalised = {i: normalise(rows.items[i].text) for i in chosen}
    for t in np.arange(w.threshold, 0.99, 0.01):
        trial = replace(w, category_thresholds=(("hate", float(t)),))
        flagged = [
            blocks(input_finding(_as_dict(probs[i]), trial, normalised[i])[0]) for i in chosen
        ]
        if np.mean(flagged) <= MAX_HATECHECK_FPR:
            return float(round(t, 2))
    return 0.99


def _as_dict(row: np.ndarray) -> dict[str, float]:
    return dict(zip(CLASSES, (float(p) for p in row), strict=True))


def _rule_blocks(text: str) -> bool:
    return any(d.action in BLOCKING_ACTIONS for d in input_rules(text))


_BLANK = ClassifierWeights(
    classes=CLASSES,
    weight=np.zeros((len(CLASSES), 1), dtype=np.float32),
    bias=np.zeros(len(CLASSES), dtype=np.float32),
    threshold=0.5,
    self_harm_threshold=1.0,
    output_threshold=1.0,
    embedder="",
    version=VERSION,
)


def report(
    rows: Rows, probs: np.ndarray, w: ClassifierWeights, misses: dict[str, list[str]] | None = None
) -> dict[str, object]:
    """Per dev set: recall / false positives of the rules, the classifier and both. ``misses``,
    when given, collects the dev messages the filter gets wrong ("set: text"), to read."""
    out: dict[str, object] = {}
    for origin in sorted({it.origin for it in rows.items}):
        idx = [i for i, it in enumerate(rows.items) if it.origin == origin]
        entry: dict[str, object] = {"n": len(idx)}
        for kind in ("harmful", "benign"):
            chosen = [i for i in idx if (rows.items[i].label == BENIGN) == (kind == "benign")]
            if not chosen:
                continue
            model = rules = both = vetoed = 0
            for i in chosen:
                text = rows.items[i].text
                verdict, contexts = input_finding(_as_dict(probs[i]), w, normalise(text))
                by_rule = _rule_blocks(text)
                model += blocks(verdict)
                rules += by_rule
                both += blocks(verdict) or by_rule
                vetoed += bool(contexts)
                wrong = (blocks(verdict) or by_rule) != (kind == "harmful")
                if misses is not None and wrong:
                    misses.setdefault(f"{origin} {kind}", []).append(text)
            n = len(chosen)
            key = "recall" if kind == "harmful" else "false_positive_rate"
            entry[kind] = {
                "n": n,
                f"{key}_rules": round(rules / n, 3),
                f"{key}_classifier": round(model / n, 3),
                f"{key}_both": round(both / n, 3),
                "set_aside_by_safe_context": vetoed,
            }
        crisis = [i for i in idx if rows.items[i].label == SELF_HARM]
        if crisis:
            hits = 0
            for i in crisis:
                text = rows.items[i].text
                verdict, _ = input_finding(_as_dict(probs[i]), w, normalise(text))
                ruled = [d.action for d in input_rules(text)]
                helped = verdict == SELF_HARM or "helpline" in ruled
                hits += helped
                if misses is not None and not helped:
                    misses.setdefault(f"{origin} self_harm", []).append(text)
            entry["self_harm_helpline"] = {"n": len(crisis), "rate": round(hits / len(crisis), 3)}
        out[origin] = entry
    return out


def output_check(
    texts: list[str], embedder: object, w: ClassifierWeights, cache: Path | None
) -> tuple[np.ndarray, float]:
    """Harm of each checked piece, and the share of passages the answer check would replace
    (as the pipeline checks an answer: sentence by sentence, then the whole). Harm is what the
    answer threshold is compared with: the refused (output) categories' probability together,
    not 1 - P(benign), which also counts advice, homework and quoted attacks."""
    pieces: list[tuple[int, str]] = []
    for n, passage in enumerate(texts):
        pieces += [(n, s) for s in sentences(passage)]
        pieces += [(n, win) for win in windows(passage)]
    x = embed_all(embedder, [p for _, p in pieces], cache)
    probs = w.forward(x, [p for _, p in pieces])
    flagged = {
        n for (n, _), row in zip(pieces, probs, strict=True) if output_verdict(_as_dict(row), w)
    }
    refused = [CLASSES.index(c) for c in CLASSES if c in OUTPUT_CATEGORIES]
    return probs[:, refused].sum(axis=1), len(flagged) / max(1, len(texts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--C", type=float, default=4.0, help="inverse regularisation strength")
    parser.add_argument("--max-xstest-fpr", type=float, default=0.06)
    parser.add_argument(
        "--max-own-fpr",
        type=float,
        default=0.08,
        help="share of own safe look-alikes (cross-validated) the input threshold may refuse",
    )
    parser.add_argument(
        "--cache", type=Path, help="reuse embeddings kept in this .npz (keyed by the texts)"
    )
    args = parser.parse_args()

    from sklearn.model_selection import StratifiedKFold

    from retrieval.embedders import load_embedder
    from tutor.config import Settings

    copies = guard_against_test_copies(args.data, own_examples())
    if copies:
        raise SystemExit("own examples too close to test prompts:\n" + "\n".join(copies))
    rows = training_rows(args.data)
    unknown = {r.label for r in rows.rows} - set(CLASSES)
    if unknown:
        raise SystemExit(f"unknown labels in the training rows: {unknown}")
    labels = [r.label for r in rows.rows]
    counts = {c: labels.count(c) for c in CLASSES}
    print(f"{len(rows.rows)} rows, {len(rows.items)} messages: {counts}", flush=True)

    embedder = load_embedder(Settings())
    texts = [r.text for r in rows.rows]
    x = embed_all(embedder, texts, args.cache)
    y = np.array([CLASSES.index(label) for label in labels])
    counts_arr = np.bincount(y, minlength=len(CLASSES))
    class_weight = np.minimum(len(y) / (len(CLASSES) * np.maximum(counts_arr, 1)), CLASS_WEIGHT_CAP)
    hard = np.array(
        [r.label == BENIGN and r.origin in {"xstest", "hatecheck", "own"} for r in rows.rows]
    )
    weights = class_weight[y] * np.where(hard, HARD_BENIGN_WEIGHT, 1.0)
    train = np.array([r.train for r in rows.rows])

    # Cross-validated probabilities, folds by message (a message's windows stay together).
    item_label = [CLASSES.index(it.label) for it in rows.items]
    item_fold = np.zeros(len(rows.items), dtype=int)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for fold, (_, held) in enumerate(folds.split(np.zeros(len(item_label)), item_label)):
        item_fold[held] = fold
    row_fold = item_fold[[r.item for r in rows.rows]]
    probs = np.zeros((len(rows.rows), len(CLASSES)), dtype=np.float32)
    started = time.perf_counter()
    for fold in range(5):
        fit_on = train & (row_fold != fold)
        fitted = fit(
            x[fit_on],
            [t for t, k in zip(texts, fit_on, strict=True) if k],
            y[fit_on],
            weights[fit_on],
            c=args.C,
        )
        held = row_fold == fold
        probs[held] = fitted.forward(x[held], [t for t, k in zip(texts, held, strict=True) if k])
    print(f"cross-validation in {time.perf_counter() - started:.0f} s", flush=True)
    per_item = item_probs(rows, probs)
    threshold, self_harm_threshold = choose_thresholds(
        rows, per_item, args.max_xstest_fpr, args.max_own_fpr
    )

    fitted = fit(
        x[train],
        [t for t, k in zip(texts, train, strict=True) if k],
        y[train],
        weights[train],
        c=args.C,
    )
    bare = replace(_BLANK, threshold=threshold, self_harm_threshold=self_harm_threshold)
    hate_threshold = choose_hate_threshold(rows, per_item, bare)
    trial = replace(
        fitted,
        threshold=threshold,
        self_harm_threshold=self_harm_threshold,
        category_thresholds=(("hate", hate_threshold),),
    )
    _, kept = squad_passages(args.data)
    kept_harm, _ = output_check(kept, embedder, trial, args.cache)
    worst = float(kept_harm.max())
    output_threshold = float(round(max(0.9, worst + OUTPUT_MARGIN * (1.0 - worst)), 3))
    final = replace(trial, output_threshold=output_threshold, embedder=embedder.model_id)
    misses: dict[str, list[str]] = {}
    _, replaced = output_check(kept, embedder, final, args.cache)

    summary: dict[str, object] = {
        "version": VERSION,
        "model": f"softmax over [MiniLM embedding; {VOCABULARY} word n-grams], C={args.C}",
        "threshold": threshold,
        "self_harm_threshold": self_harm_threshold,
        "hate_threshold": hate_threshold,
        "output_threshold": output_threshold,
        "rows": counts,
        "cross_validated_dev": report(rows, per_item, final, misses),
        "answers": {
            "kept_back_squad_passages": len(kept),
            "worst_harm": round(worst, 4),
            "replaced_rate": round(replaced, 4),
            "output_categories": sorted(OUTPUT_CATEGORIES),
        },
    }
    print(json.dumps(summary, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Dev and own messages only (test splits are never read here): what to write rules for.
    (RESULTS / "safety_classifier_dev_misses.json").write_text(json.dumps(misses, indent=1) + "\n")
    if args.dry_run:
        return 0
    assert final.words is not None and final.word_weight is not None
    vocabulary = sorted(final.words.index, key=final.words.index.__getitem__)
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        WEIGHTS,
        classes=np.array(CLASSES),
        weight=final.weight.astype(np.float16),
        bias=final.bias.astype(np.float32),
        word_weight=final.word_weight.astype(np.float16),
        vocabulary=np.array("\n".join(vocabulary)),
        idf=final.words.idf.astype(np.float32),
        threshold=np.array(threshold),
        self_harm_threshold=np.array(self_harm_threshold),
        output_threshold=np.array(output_threshold),
        bar_categories=np.array(["hate"]),
        bar_thresholds=np.array([hate_threshold]),
        embedder=np.array(embedder.model_id),
        version=np.array(VERSION),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    summary["machine"] = machine()
    (RESULTS / "safety_classifier.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"wrote {WEIGHTS.relative_to(REPO)} ({WEIGHTS.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
