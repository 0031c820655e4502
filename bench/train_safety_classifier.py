"""Train the safety classifier shipped as ``tutor/safety/weights/classifier.npz``.

A multinomial logistic regression over all-MiniLM-L6-v2 sentence embeddings, one class per
safety category plus "benign", trained on the examples in ``bench/safety/examples.tsv`` (written
for the project) and on the DEV splits of the sets in ``../shared/data``; test splits are never
read. The "not benign" threshold is chosen on 5-fold cross-validated dev predictions so that at
most 0.5% of ordinary learner questions would be refused, and at most 15% of XSTest's 45 safe
dev prompts (5% there halves the recall on harmful prompts; the test figure is in the README).
Needs scikit-learn (installed with alt-profanity-check) and the real embedder.

    .venv/bin/python bench/train_safety_classifier.py            # writes the weights
    .venv/bin/python bench/train_safety_classifier.py --dry-run  # only prints the figures
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import RESULTS, SHARED_DATA, machine  # noqa: E402
from eval import safety_datasets as sd  # noqa: E402
from tutor.safety.classifier import BENIGN, WEIGHTS  # noqa: E402

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
VERSION = "1"
MAX_COURSE_FPR = 0.005
MAX_XSTEST_FPR = 0.15  # on 45 dev prompts; 0.05 costs half the recall on harmful sets
CLASS_WEIGHT_CAP = 20.0  # balanced class weights, capped so tiny classes do not dominate
HARD_BENIGN_WEIGHT = 5.0  # scary-looking safe prompts (XSTest safe, HateCheck non-hateful, own)

_GUESSES = (  # for dev prompts whose set gives no category (AdvBench, XSTest contrasts)
    ("self_harm", r"suicid|self[- ]harm|kill (?:them|your|my)sel|eating disorder|anorexi|bulimi"),
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
        r"bomb|weapon|gun|kill|murder|poison|explosive|attack|violen|hurt|harm|terror|assault|shoot|stab|firearm|destroy|danger",
    ),
)


def guess_category(text: str) -> str:
    lowered = text.lower()
    for category, pattern in _GUESSES:
        if re.search(pattern, lowered):
            return category
    return "crime"


def training_rows(root: Path, seed: int = 0) -> list[tuple[str, str, str]]:
    """(text, class, origin) rows: own examples plus dev splits."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str]] = []
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((text, label, "own"))

    for item in sd.advbench(root, "dev"):
        rows.append((item.prompt, guess_category(item.prompt), "advbench"))
    for item in sd.harmbench(root, "dev"):
        category = item.category or guess_category(item.prompt)
        rows.append((str(item.extra["behavior"]), category, "harmbench"))
        if item.extra["functional"] == "contextual":
            rows.append((item.prompt, category, "harmbench"))
    for item in sd.simple_safety_tests(root, "dev"):
        rows.append((item.prompt, item.category or guess_category(item.prompt), "sst"))
    for item in sd.do_not_answer(root, "dev"):
        if item.category:
            rows.append((item.prompt, item.category, "do_not_answer"))
    for item in sd.xstest(root, "dev"):
        label = BENIGN if item.label == "benign" else guess_category(item.prompt)
        rows.append((item.prompt, label, "xstest"))
    for item in sd.jailbreaks(root, "dev") + sd.giskard(root, "dev"):
        rows.append((item.prompt, "prompt_attack", item.set))
    for item in sd.hatecheck(root, "dev"):
        rows.append((item.prompt, "hate" if item.label == "harmful" else BENIGN, "hatecheck"))
    for item in sd.davidson(root, "dev"):
        if item.label != "offensive":  # offensive-only is the profanity layer's job
            rows.append((item.prompt, "hate" if item.label == "harmful" else BENIGN, "davidson"))

    course: list[sd.SafetyItem] = []
    course += rng.sample(sd.squad(root, "dev"), 1200)
    course += sd.arc(root, "dev") + sd.gsm8k(root, "dev") + sd.truthfulqa(root, "dev")
    by_language: dict[str, list[sd.SafetyItem]] = {}
    for item in sd.xquad(root, "dev"):
        by_language.setdefault(item.group, []).append(item)
    for items in by_language.values():
        course += rng.sample(items, min(120, len(items)))
    rows += [(item.prompt, BENIGN, "course") for item in course]
    return rows


def choose_threshold(harm: np.ndarray, origins: list[str], labels: list[str]) -> float:
    """The lowest threshold that keeps both false-refusal limits on the dev predictions."""
    course = np.array([o in {"course"} for o in origins])
    xs_safe = np.array(
        [o == "xstest" and lab == BENIGN for o, lab in zip(origins, labels, strict=True)]
    )
    for t in np.arange(0.30, 0.99, 0.01):
        if (harm[course] >= t).mean() <= MAX_COURSE_FPR and (
            harm[xs_safe] >= t
        ).mean() <= MAX_XSTEST_FPR:
            return float(round(t, 2))
    return 0.99


def _embeddings(embedder: object, texts: list[str], cache: Path | None) -> np.ndarray:
    """Embeddings of ``texts``; with ``cache``, only texts not embedded before are computed."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            known = dict(zip((str(t) for t in data["texts"]), data["x"], strict=True))
    todo = sorted({t for t in texts if t not in known})
    if todo:
        started = time.perf_counter()
        # The classifier reads what the tutor embeds at run time: the first 2,000 characters.
        fresh = embedder.embed([t[:2000] for t in todo], query=True)  # type: ignore[attr-defined]
        print(f"embedded {len(todo)} texts in {time.perf_counter() - started:.0f} s", flush=True)
        known.update(zip(todo, fresh, strict=True))
        if cache is not None:
            np.savez(cache, texts=np.array(list(known)), x=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--C", type=float, default=4.0, help="inverse regularisation strength")
    parser.add_argument(
        "--cache", type=Path, help="reuse embeddings kept in this .npz (keyed by the texts)"
    )
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from retrieval.embedders import load_embedder
    from tutor.config import Settings

    rows = training_rows(args.data)
    texts = [r[0] for r in rows]
    labels = [r[1] for r in rows]
    origins = [r[2] for r in rows]
    unknown = set(labels) - set(CLASSES)
    if unknown:
        raise SystemExit(f"unknown labels in the training rows: {unknown}")
    counts = {c: labels.count(c) for c in CLASSES}
    print(f"{len(rows)} training rows: {counts}", flush=True)

    embedder = load_embedder(Settings())
    x = _embeddings(embedder, texts, args.cache)
    y = np.array([CLASSES.index(label) for label in labels])

    counts_arr = np.bincount(y, minlength=len(CLASSES))
    class_weight = np.minimum(len(y) / (len(CLASSES) * np.maximum(counts_arr, 1)), CLASS_WEIGHT_CAP)
    hard = np.array(
        [
            lab == BENIGN and o in {"xstest", "hatecheck", "own"}
            for lab, o in zip(labels, origins, strict=True)
        ]
    )
    weights = class_weight[y] * np.where(hard, HARD_BENIGN_WEIGHT, 1.0)
    model = LogisticRegression(C=args.C, max_iter=3000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    probs = cross_val_predict(
        model, x, y, cv=folds, method="predict_proba", params={"sample_weight": weights}
    )
    harm = 1.0 - probs[:, 0]
    threshold = choose_threshold(harm, origins, labels)
    flagged = harm >= threshold
    report: dict[str, object] = {"threshold": threshold, "C": args.C, "rows": counts}
    per_origin: dict[str, dict[str, float]] = {}
    for origin in sorted(set(origins)):
        idx = [i for i, o in enumerate(origins) if o == origin]
        harmful = [i for i in idx if labels[i] != BENIGN]
        benign = [i for i in idx if labels[i] == BENIGN]
        per_origin[origin] = {
            "n": len(idx),
            "recall": round(float(flagged[harmful].mean()), 3) if harmful else None,  # type: ignore[dict-item]
            "false_positive_rate": round(float(flagged[benign].mean()), 3) if benign else None,  # type: ignore[dict-item]
        }
    report["cross_validated_dev"] = per_origin
    print(json.dumps(report, indent=1))

    model.fit(x, y, sample_weight=weights)
    if args.dry_run:
        return 0
    WEIGHTS.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        WEIGHTS,
        classes=np.array(CLASSES),
        weight=model.coef_.astype(np.float32),
        bias=model.intercept_.astype(np.float32),
        threshold=np.array(threshold),
        embedder=np.array(embedder.model_id),
        version=np.array(VERSION),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    report["machine"] = machine()
    (RESULTS / "safety_classifier.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {WEIGHTS.relative_to(REPO)} ({WEIGHTS.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
