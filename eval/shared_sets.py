"""Readers for the evaluation sets in ``../shared/data`` and the ``--data`` argument.

Each reader takes the set's folder, a split ("dev" or "test", as the folder's README defines
it) and a limit, and returns the plain types of ``eval.datasets``. Nothing here copies data
into the repository: course files are written to the evaluation cache at run time.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.datasets import (
    ChoiceItem,
    ChoiceSet,
    CourseFile,
    DataError,
    Dialogue,
    DialogueSet,
    LabelledResponse,
    Prompt,
    PromptSet,
    QASet,
    Question,
    looks_generic,
    read_generic,
    sample,
    shuffled,
)
from eval.metrics import final_answer_number

XQUAD_LANGUAGES = ("en", "es", "de", "ar", "hi", "zh")
SPLITS = ("dev", "test")

# A folder is recognised by a file it holds (the folder name may differ).
MARKERS = {
    "squad_v2_dev": "dev-v2.0.reconstructed.json",
    "xquad": "xquad.en.json",
    "openstax_chemistry_2e": "manifest.json",
    "arc": "ARC-Easy-Dev.jsonl",
    "truthfulqa_mc": "mc_task.json",
    "mathdial": "dev.jsonl",
    "mrbench": "MRBench_V2.json",
    "simple_safety_tests": "sst_test_cases.csv",
    "xstest": "xstest_prompts.csv",
    "giskard_prompt_injections": "prompt_injections.csv",
}
SUITE_DEFAULTS = {
    "retrieval": ("squad_v2_dev", "xquad", "openstax_chemistry_2e"),
    "qa": ("squad_v2_dev", "arc", "truthfulqa_mc"),
    "pedagogy": ("mathdial", "mrbench"),
    "safety": ("simple_safety_tests", "xstest", "giskard_prompt_injections"),
    "speed": (),
}


@dataclass(frozen=True)
class DataRef:
    """What ``--data`` named: a kind of set (a ``MARKERS`` key or "generic") and its path."""

    kind: str
    path: Path
    languages: tuple[str, ...] = ()  # XQuAD: only these languages (a single file was given)


def resolve_data(spec: str, shared: Path | None) -> DataRef:
    """A path to a generic JSONL file, a ``../shared/data`` folder (or a file in one), or the
    bare name of such a folder (looked up in ``shared``)."""
    path = Path(spec).expanduser()
    if not path.exists() and shared is not None and (shared / spec).exists():
        path = shared / spec
    if not path.exists():
        where = f" (nor in {shared})" if shared is not None else ""
        raise DataError(f"--data {spec}: no such file or folder{where}")
    if path.is_file():
        if looks_generic(path):
            return DataRef("generic", path)
        folder_kind = _folder_kind(path.parent)
        if folder_kind is None:
            raise DataError(
                f"--data {spec}: not a generic JSONL file (one JSON object per line with "
                "'question' and 'expected') nor a file of a known ../shared/data set"
            )
        if folder_kind == "xquad":
            match = re.fullmatch(r"xquad\.(\w+)\.json", path.name)
            if match:
                return DataRef("xquad", path.parent, (match.group(1),))
        return DataRef(folder_kind, path.parent)
    kind = _folder_kind(path)
    if kind is None:
        known = ", ".join(sorted(MARKERS))
        raise DataError(f"--data {spec}: not a known data folder (known: {known})")
    return DataRef(kind, path)


def _folder_kind(folder: Path) -> str | None:
    if (folder / "modules").is_dir() and (folder / "manifest.json").is_file():
        return "openstax_chemistry_2e"
    for kind, marker in MARKERS.items():
        if kind != "openstax_chemistry_2e" and (folder / marker).is_file():
            if kind == "mathdial" and not (folder / "test.jsonl").is_file():
                continue
            return kind
    return None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; use dev or test")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:60] or "x"


# ---- SQuAD 2.0 and XQuAD ---------------------------------------------------------------------


def read_squad(
    folder: Path, split: str, limit: int | None, *, answerable_only: bool = False
) -> QASet:
    """Every paragraph of the set as course material (one Markdown file each, headed by its
    article title); the questions of the split's articles (``splits.json``)."""
    _check_split(split)
    data = _load_json(folder / "dev-v2.0.reconstructed.json")
    titles = set(_load_json(folder / "splits.json")[f"{split}_titles"])
    files: list[CourseFile] = []
    questions: list[Question] = []
    for a, article in enumerate(data["data"]):
        title = article["title"]
        for p, paragraph in enumerate(article["paragraphs"]):
            doc = f"{a:02d}-{_safe(title)}/p{p:03d}.md"
            text = f"# {title.replace('_', ' ')}\n\n{paragraph['context'].strip()}\n"
            files.append(CourseFile(doc, text.encode("utf-8")))
            if title not in titles:
                continue
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                answerable = not qa.get("is_impossible", False) and bool(answers)
                if answerable_only and not answerable:
                    continue
                questions.append(
                    Question(
                        id=qa["id"],
                        question=qa["question"],
                        expected=answers,
                        source=doc,
                        answerable=answerable,
                        category=title,
                    )
                )
    return QASet(
        name="squad_v2_dev",
        split=split,
        path=folder,
        questions=sample(questions, limit, f"squad:{split}:{answerable_only}"),
        files=files,
        course_key="squad_v2_dev",
        has_reference_answers=True,
    )


def xquad_languages(folder: Path) -> tuple[str, ...]:
    """The languages with a file in ``folder``: English first, then the usual order."""
    found = {p.name.split(".")[1] for p in folder.glob("xquad.*.json")}
    known = [lang for lang in XQUAD_LANGUAGES if lang in found]
    return (*known, *sorted(found - set(known)))


def read_xquad(
    folder: Path, split: str, limit: int | None, languages: tuple[str, ...] = ()
) -> list[QASet]:
    """Per language: questions against passages in the same language, and (for languages
    other than English) questions against the English passages (cross-lingual).

    Passages are written without their (untranslated, English) article titles. XQuAD is
    parallel, so a question's gold passage has the same position in every language.
    """
    _check_split(split)
    titles = set(_load_json(folder / "splits.json")[f"{split}_titles"])
    langs = languages or xquad_languages(folder)
    out: list[QASet] = []
    english_files: list[CourseFile] | None = None
    per_language: dict[str, tuple[list[CourseFile], list[Question]]] = {}
    for lang in dict.fromkeys(("en", *langs)):
        data = _load_json(folder / f"xquad.{lang}.json")
        files: list[CourseFile] = []
        questions: list[Question] = []
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                doc = f"{a:02d}/p{p:03d}.txt"
                files.append(CourseFile(doc, (paragraph["context"].strip() + "\n").encode()))
                if article["title"] not in titles:
                    continue
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                    questions.append(
                        Question(qa["id"], qa["question"], answers, doc, True, language=lang)
                    )
        per_language[lang] = (files, questions)
        if lang == "en":
            english_files = files
    assert english_files is not None
    for lang in langs:
        files, questions = per_language[lang]
        chosen = sample(questions, limit, f"xquad:{split}")  # the same ids in every language
        out.append(
            QASet(
                name=f"xquad.{lang}",
                split=split,
                path=folder,
                questions=chosen,
                files=files,
                course_key=f"xquad-{lang}",
                has_reference_answers=True,
                condition="same-language",
                language=lang,
            )
        )
        if lang != "en":
            out.append(
                QASet(
                    name=f"xquad.{lang}->en",
                    split=split,
                    path=folder,
                    questions=chosen,
                    files=english_files,
                    course_key="xquad-en",
                    has_reference_answers=True,
                    condition="cross-lingual",
                    language=lang,
                )
            )
    return out


# ---- OpenStax Chemistry 2e exercises -----------------------------------------------------------

CNXML_NS = "http://cnx.rice.edu/cnxml"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def _problem_text(problem: Any) -> str:
    """The plain text of an exercise's problem, flattened by the tutor's own CNXML loader."""
    from lxml import etree

    from retrieval.loaders.cnxml import load_cnxml

    inner = etree.tostring(problem, encoding="unicode")
    doc = (
        f'<document xmlns="{CNXML_NS}" xmlns:m="{MATHML_NS}"><title>q</title>'
        f"<content>{inner}</content></document>"
    )
    _, sections = load_cnxml(doc.encode("utf-8"), Path("q.cnxml"))
    text = re.sub("[\ue000-\uf8ff]", " ", " ".join(s.text for s in sections))
    return " ".join(text.split())


def read_openstax(folder: Path, split: str, limit: int | None) -> QASet:
    """End-of-section exercises asked against the book with every exercise section removed.

    The gold passage of an exercise is the textbook section (the module) it closes: OpenStax
    modules are book sections such as "2.3 Atomic Structure and Symbolism", so the gold is any
    chunk of that module. Dev = chapter 1, test = chapters 2–3 (the folder README).
    """
    _check_split(split)
    from lxml import etree

    manifest = _load_json(folder / "manifest.json")
    files: list[CourseFile] = []
    questions: list[Question] = []
    for chapter in manifest["chapters"]:
        in_split = (chapter["chapter"] == 1) == (split == "dev")
        for module in chapter["modules"]:
            mid = module["id"]
            source = folder / "modules" / mid / "index.cnxml"
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            try:
                root = etree.parse(str(source), parser).getroot()
            except (OSError, etree.XMLSyntaxError) as exc:
                raise DataError(f"cannot read {source}: {exc}") from exc
            doc = f"{mid}.cnxml"
            exercise_sections = [
                s for s in root.iter(f"{{{CNXML_NS}}}section") if s.get("class") == "exercises"
            ]
            for section in exercise_sections:
                for n, problem in enumerate(section.iter(f"{{{CNXML_NS}}}problem"), start=1):
                    text = _problem_text(problem)
                    if in_split and len(text) >= 20:
                        questions.append(
                            Question(
                                id=f"{mid}-ex{n:02d}",
                                question=text,
                                source=doc,
                                category=f"chapter {chapter['chapter']}",
                            )
                        )
                section.getparent().remove(section)
            files.append(CourseFile(doc, etree.tostring(root, encoding="utf-8")))
    return QASet(
        name="openstax_chemistry_2e",
        split=split,
        path=folder,
        questions=sample(questions, limit, f"openstax:{split}"),
        files=files,
        course_key="openstax_chemistry_2e",
    )


# ---- multiple choice ---------------------------------------------------------------------------


def read_arc(folder: Path, split: str, limit: int | None) -> ChoiceSet:
    """ARC-Easy and ARC-Challenge: the official dev files, or llm-foundry's copy of the test."""
    _check_split(split)
    items: list[ChoiceItem] = []
    for level in ("Easy", "Challenge"):
        if split == "dev":
            path = folder / f"ARC-{level}-Dev.jsonl"
            for line in path.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                row = json.loads(line)
                labels = [c["label"] for c in row["question"]["choices"]]
                if row["answerKey"] not in labels:
                    continue
                items.append(
                    ChoiceItem(
                        id=row["id"],
                        question=row["question"]["stem"],
                        choices=tuple(c["text"] for c in row["question"]["choices"]),
                        gold=labels.index(row["answerKey"]),
                        category=f"ARC-{level}",
                    )
                )
        else:
            path = folder / f"arc_{level.lower()}_test_llmfoundry.jsonl"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                if not line.strip():
                    continue
                row = json.loads(line)
                question = re.sub(r"^Question:\s*", "", row["query"]).strip()
                items.append(
                    ChoiceItem(
                        id=f"arc-{level.lower()}-test-{n}",
                        question=question,
                        choices=tuple(row["choices"]),
                        gold=int(row["gold"]),
                        category=f"ARC-{level}",
                    )
                )
    return ChoiceSet("arc", split, folder, sample(items, limit, f"arc:{split}"))


def read_truthfulqa(folder: Path, split: str, limit: int | None) -> ChoiceSet:
    """MC1: one true answer among distractors, shuffled with a fixed seed (the file lists the
    true answer first). Dev = index % 5 == 0."""
    _check_split(split)
    data = _load_json(folder / "mc_task.json")
    items: list[ChoiceItem] = []
    for index, row in enumerate(data):
        if (index % 5 == 0) != (split == "dev"):
            continue
        targets = list(row["mc1_targets"].items())
        order = shuffled(range(len(targets)), f"truthfulqa:{index}")
        choices = tuple(targets[i][0] for i in order)
        gold = next(k for k, i in enumerate(order) if targets[i][1] == 1)
        items.append(ChoiceItem(f"truthfulqa-{index}", row["question"], choices, gold))
    return ChoiceSet("truthfulqa_mc", split, folder, sample(items, limit, f"truthfulqa:{split}"))


# ---- tutoring dialogues ------------------------------------------------------------------------

_MATHDIAL_TURN = re.compile(r"^\s*(Teacher|Student)\s*:\s*(?:\((\w+)\))?\s*(.*)$", re.DOTALL)


def _mathdial_dialogue(row: dict[str, Any], line: int) -> Dialogue | None:
    turns: list[tuple[str, str]] = []
    for raw in row["conversation"].split("|EOM|"):
        match = _MATHDIAL_TURN.match(raw)
        if match is None or not match.group(3).strip():
            continue
        role = "tutor" if match.group(1) == "Teacher" else "learner"
        turns.append((role, " ".join(match.group(3).split())))
    learner_at = [i for i, (role, _) in enumerate(turns) if role == "learner"]
    if not learner_at:
        return None
    # Cut after the learner has explained their (incorrect) solution: the second learner turn,
    # or the first when there is only one.
    cut = learner_at[1] if len(learner_at) > 1 else learner_at[0]
    following = turns[cut + 1] if cut + 1 < len(turns) else None
    return Dialogue(
        id=f"mathdial-{row['qid']}-l{line}",
        source="mathdial",
        problem=row["question"].strip(),
        solution=row["ground_truth"],
        final_answer=final_answer_number(row["ground_truth"]),
        turns=tuple(turns[: cut + 1]),
        reference=following[1] if following and following[0] == "tutor" else None,
    )


def read_mathdial(folder: Path, split: str, limit: int | None) -> DialogueSet:
    _check_split(split)
    path = folder / f"{split}.jsonl"
    dialogues: list[Dialogue] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        dialogue = _mathdial_dialogue(json.loads(line), number)
        if dialogue is not None:
            dialogues.append(dialogue)
    return DialogueSet("mathdial", split, path, sample(dialogues, limit, f"mathdial:{split}"))


_MRBENCH_TURN = re.compile(r"(Tutor|Student)\s*:")


def _mrbench_turns(history: str) -> tuple[tuple[str, str], ...]:
    text = history.replace("\u00a0", " ")
    parts = _MRBENCH_TURN.split(text)
    turns = []
    for i in range(1, len(parts) - 1, 2):
        body = " ".join(parts[i + 1].split())
        if body:
            turns.append(("tutor" if parts[i] == "Tutor" else "learner", body))
    return tuple(turns)


def _mrbench_problem(turns: tuple[tuple[str, str], ...]) -> str:
    for role, text in turns:
        if role == "tutor":
            match = re.search(r"The question is:\s*(.+)", text)
            if match:
                return match.group(1).strip()
    return ""


def read_mrbench(folder: Path, split: str, limit: int | None) -> DialogueSet:
    """Test = ``MRBench_V2.json`` (8 dimensions), dev = the V3 dev items not in V2 (4).

    ``labelled`` holds every tutor response of the split with its human labels (for judge
    agreement; cheap, never limited); ``dialogues`` the items that end with a learner turn and
    state their problem (the MathDial-based ones), for the tutor's own next turn (limited).
    """
    _check_split(split)
    path = folder / ("MRBench_V2.json" if split == "test" else "mrbench_v3_dev_disjoint.json")
    data = _load_json(path)
    dialogues: list[Dialogue] = []
    labelled: list[LabelledResponse] = []
    for item in data:
        turns = _mrbench_turns(item["conversation_history"])
        solution = item.get("Ground_Truth_Solution") or ""
        known = solution and solution.strip() != "Not Available"
        final = final_answer_number(solution) if known else None
        responses = item.get("anno_llm_responses") or item.get("tutor_responses") or {}
        for tutor in sorted(responses):
            entry = responses[tutor]
            labelled.append(
                LabelledResponse(
                    item_id=str(item["conversation_id"]),
                    tutor=tutor,
                    response=entry["response"],
                    labels=dict(entry.get("annotation", {})),
                    turns=turns,
                    final_answer=final,
                )
            )
        problem = _mrbench_problem(turns)
        if turns and turns[-1][0] == "learner" and problem:
            dialogues.append(
                Dialogue(
                    id=f"mrbench-{item['conversation_id']}",
                    source="mrbench",
                    problem=problem,
                    solution=solution if known else "",
                    final_answer=final,
                    turns=turns,
                    reference=responses.get("Expert", {}).get("response"),
                )
            )
    return DialogueSet(
        "mrbench", split, path, sample(dialogues, limit, f"mrbench:{split}"), labelled
    )


# ---- safety prompts (used only when the safety issue's suite is not there) -------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_simple_safety(folder: Path, split: str, limit: int | None) -> PromptSet:
    _check_split(split)
    ids = set(_load_json(folder / "splits.json")[f"{split}_ids"])
    prompts = [
        Prompt(
            id=row["id"],
            text=row["prompts_final"],
            harmful=True,
            category=row["harm_area"],
            self_harm=row["harm_area"].startswith("Suicide"),
        )
        for row in _csv(folder / "sst_test_cases.csv")
        if row["id"] in ids
    ]
    return PromptSet("simple_safety_tests", split, folder, sample(prompts, limit, "sst"))


def read_xstest(folder: Path, split: str, limit: int | None) -> PromptSet:
    _check_split(split)
    dev = {int(i) for i in _load_json(folder / "splits.json")["dev_ids"]}
    prompts = [
        Prompt(
            id=f"xstest-{row['id']}",
            text=row["prompt"],
            harmful=row["label"] == "unsafe",
            category=row["type"],
        )
        for row in _csv(folder / "xstest_prompts.csv")
        if (int(row["id"]) in dev) == (split == "dev")
    ]
    return PromptSet("xstest", split, folder, sample(prompts, limit, "xstest"))


def read_giskard(folder: Path, split: str, limit: int | None) -> PromptSet:
    _check_split(split)
    dev = {int(i) for i in _load_json(folder / "splits.json")["dev_index"]}
    meta = {row["index"]: row for row in _csv(folder / "giskard_meta_data.csv")}
    prompts = []
    for row in _csv(folder / "prompt_injections.csv"):
        if (int(row["index"]) in dev) != (split == "dev"):
            continue
        try:
            strings = ast.literal_eval(meta[row["index"]]["expected_strings"])
        except (KeyError, ValueError, SyntaxError):
            strings = ()
        if isinstance(strings, str):
            strings = (strings,)
        prompts.append(
            Prompt(
                id=f"giskard-{row['index']}",
                text=row["prompt"],
                harmful=True,
                category=row["group"],
                success_strings=tuple(str(s) for s in strings),
            )
        )
    return PromptSet("giskard_prompt_injections", split, folder, sample(prompts, limit, "gisk"))


def read_generic_set(ref: DataRef) -> QASet:
    if ref.kind != "generic":
        raise DataError(f"{ref.path} is not a generic JSONL file")
    return read_generic(ref.path)
