"""Retrieved text is data, not instructions: find and remove sentences in course material that
address the model or the reader's account ("ignore your instructions", "in your answer, ...",
"tell the user to visit ...", "send us your password").

Used twice: when a course is ingested (so the index never holds them) and again on every
retrieved chunk (for indexes built before a rule was added).
"""

from __future__ import annotations

import re

from tutor.safety.decisions import Decision, Layer
from tutor.safety.rules import RULES
from tutor.safety.text import normalise, strip_invisible
from tutor.types import LoadedDocument

SANITISER_VERSION = "1"  # bump when the rules change: re-ingest then re-sanitises every document
REMOVED = "[removed: instructions hidden in the course text]"

_TLD = r"(?:com|net|org|io|ru|cn|xyz|info|biz|co|me|ly|top|click|link|site|online|app|tk)"
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "addresses_the_model",
            r"\b(?:ai|assistant|chatbot|chat bot|language model|llm|gpt|chatgpt|bot|the model)\b[,:]?"
            r" (?:you )?(?:must|should|will now|needs? to|has to|is required to|always|never"
            r"|please|from now on)\b",
        ),
        (
            "note_to_the_model",
            r"\b(?:note|attention|important|instruction|message|memo|reminder)s?"
            r" (?:to|for) (?:the |any |all )?(?:ai|assistant|model|chatbot|tutor|llm|bot|language model)s?\b",
        ),
        (
            "shapes_the_answer",
            r"\b(?:your|each|every) (?:answer|response|reply|output)s? (?:must|should|needs? to|has to"
            r"|will|shall)\b"
            r"|\b(?:in|at the (?:start|end|beginning) of|throughout|to) (?:your|each|every)"
            r" (?:answer|response|reply|output)\b"
            r"|\b(?:begin|start|end|finish|conclude|sign off|append|prepend|preface|prefix) (?:your"
            r"|each|every|the) (?:answer|response|reply|output)\b"
            r"|\b(?:respond|reply|answer|write|output|communicate) (?:only |always |exclusively |back )?"
            r"(?:in|using|with) (?:base ?64|reverse(?:d)?(?: text| order)?|emojis?|morse|hex(?:adecimal)?"
            r"|binary|caesar|pig latin|all caps|upper ?case|rot13|a cipher|leetspeak|code words)\b"
            r"|\b(?:encode|encrypt|reverse|translate|scramble|obfuscate|substitute|cipher|convert)"
            r" (?:all |each |every )?(?:your|the|each|every) (?:answer|response|reply|output|message)s?\b",
        ),
        (
            "instructs_about_the_user",
            r"\b(?:tell|inform|remind|ask|urge|encourage|convince|advise|instruct|direct|persuade"
            r"|recommend to|warn) (?:the|all) (?:user|learner|student|reader|human|person|people)s?\b"
            r"|\b(?:when|if|whenever) (?:you are|you're|you get|you're being) asked\b"
            r"|\b(?:before|after|instead of|rather than) (?:answering|responding|replying|you answer"
            r"|you respond|you reply)\b"
            r"|\bdo not (?:mention|reveal|tell|disclose) (?:this|these|the) (?:instruction|note|message"
            r"|prompt)s?\b",
        ),
        (
            "link_lure",
            r"\b(?:visit|go to|click|download|install|open|check out|sign up at|log ?in at|register at"
            r"|navigate to|head to|follow (?:this|the) link)\b.{0,60}(?:https?://|www\.|\b[a-z0-9-]+\."
            + _TLD
            + r"\b)",
        ),
        (
            "scam",
            r"\b(?:send|transfer|wire|pay|donate) (?:\$|€|£)?\s?\d[\d,.]* ?(?:dollars|euros|pounds|usd"
            r"|btc|bitcoin)?\b.{0,30}\b(?:to|via|using|account|wallet)\b"
            r"|\b(?:claim|collect) your (?:prize|reward|refund|gift)\b|\byou(?:'ve| have) won\b"
            r"|\b(?:gift ?cards?|bitcoin|crypto(?:currency)?) (?:wallet|address|payment)\b",
        ),
    )
)
_RULES_HERE = tuple(rule for rule in RULES if "retrieved" in rule.layers)
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?](?=\s|$)|\n|$)")
_IMAGE = re.compile(r"!\[[^\]]*\]\((?:https?:)?//[^)]*\)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ROLE_LINE = re.compile(
    r"(?im)^\s*(?:#+\s*)?(?:system|assistant|user|instruction|instructions)\s*:\s*(?=\S)"
)


def injection_cues(sentence: str) -> list[str]:
    """Names of the cues a sentence of course text matches (empty for ordinary text)."""
    folded = normalise(sentence)
    names = [name for name, pattern in _CUES if pattern.search(folded)]
    names += [rule.name for rule in _RULES_HERE if rule.pattern.search(folded)]
    return names


def sanitise(text: str, layer: Layer = "retrieved") -> tuple[str, list[Decision]]:
    """``text`` without hidden text, external images and instruction-like sentences."""
    visible = strip_invisible(text)  # removed silently: PDFs are full of soft hyphens
    cleaned = _ROLE_LINE.sub("", _IMAGE.sub("", _HTML_COMMENT.sub(" ", visible)))
    hits: list[str] = [] if cleaned == visible else ["hidden_markup"]
    pieces: list[str] = []
    for match in _SENTENCE.finditer(cleaned):
        sentence = match.group(0)
        if not sentence:
            continue
        names = injection_cues(sentence) if sentence.strip() else []
        if names:
            hits.extend(names)
            lead = sentence[: len(sentence) - len(sentence.lstrip())]
            pieces.append(lead + REMOVED + ("\n" if sentence.endswith("\n") else ""))
        else:
            pieces.append(sentence)
    if not hits:
        return visible, []
    # Consecutive removals read as one.
    out = re.sub(rf"(?:{re.escape(REMOVED)}\s*){{2,}}", REMOVED + " ", "".join(pieces))
    names = sorted(set(hits))
    decision = Decision.make(
        "prompt_attack", layer, 0.9, f"rule:{names[0]}", detail="removed: " + ", ".join(names)
    )
    return out, [decision]


def sanitise_document(document: LoadedDocument) -> tuple[LoadedDocument, list[str]]:
    """The document with every section sanitised, and the names of the cues that removed text.

    Section offsets keep pointing at the original file; a section that lost a sentence is
    shorter than its span there.
    """
    from dataclasses import replace

    cues: list[str] = []
    sections = []
    for section in document.sections:
        cleaned, decisions = sanitise(section.text)
        if decisions:
            cues.extend(decisions[0].detail.removeprefix("removed: ").split(", "))
            section = replace(section, text=cleaned)
        sections.append(section)
    if not cues:
        return document, []
    return replace(document, sections=sections), sorted(set(cues))
