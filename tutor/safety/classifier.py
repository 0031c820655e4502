"""The semantic classifier: a softmax layer over two views of a message, the sentence
embedding the tutor already computes (all-MiniLM-L6-v2) and its words (TF-IDF of word unigrams
and bigrams, a 5,000-term vocabulary), trained by ``bench/train_safety_classifier.py`` on
examples written for the project and the dev splits of the public safety sets. The words tell
"kill a zombie process" from "kill the man next door" better than the embedding alone, which
mostly sees the topic.

The weights are a small ``.npz`` shipped in the package and evaluated with NumPy. They only
make sense for the embedder they were trained on: with any other embedder (the hashing fake in
tests) the classifier steps aside and says so in a decision, and the rules and the other layers
still run.

What it reads: a message of up to ``WHOLE_CHARS`` characters is embedded whole, which is exactly
the text the retriever embeds next, so the embedder's query cache serves the retriever for free;
when such a message ends with a short paragraph after pasted material (a post, an email, then
"given this, write ..."), that last paragraph is embedded as well, in the same batch, so the
request is not drowned by the material (``final_request``).
A longer message is read as two short windows, its first ``HEAD_CHARS`` and its last
``TAIL_CHARS`` characters (its last paragraph when that is short: the request after pasted
material), embedded in one batch of about 80 tokens in all; the window that looks most harmful
decides. The embedding is most of the filter's time and grows with the tokens read: two windows
of 300 characters cost about twice as much, and one joined window of the same length as much as
these two but lost recall on jailbreaks in cross-validation.

How it decides (thresholds are chosen by the training script on cross-validated dev data):
- on a learner's message, "not benign" at or above ``threshold`` is a finding; its category is
  the most likely harmful one, except that self-harm wins whenever its probability is near the
  top (``SELF_HARM_NEAR_TOP`` of the top one, or ``SELF_HARM_OWN_NEAR_TOP`` when the message
  aims the harm at the learner: "myself", "so it all stops", "someone my size"), or at or above
  ``self_harm_threshold`` on its own: a learner in crisis gets the help reply, never a bare
  refusal; hate has a higher bar (quotes and counter-speech read like hate), except for a
  request to write something ("given this post, write a reply that ...");
- on the tutor's answer (a sentence at a time, then the whole), the probability of the refused
  categories together must reach ``output_threshold``, a level above every course passage kept
  back from training.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.protocols import Embedder
from tutor.safety.contexts import VETO_CEILING, safe_contexts
from tutor.safety.decisions import BLOCKING_ACTIONS, CATEGORIES, Decision, Layer
from tutor.safety.text import WORD_TOKEN, normalise

WEIGHTS = Path(__file__).parent / "weights" / "classifier.npz"
BENIGN = "benign"
SELF_HARM = "self_harm"
MAX_CHARS = 2_000  # the pipeline cuts messages to max_question_chars (2,000) before any check
WHOLE_CHARS = 400  # up to this, the whole message is read (what the retriever embeds too)
HEAD_CHARS = 160  # longer messages: their start ...
TAIL_CHARS = 180  # ... and their end (or last paragraph), two windows in one batch
MIN_REQUEST_CHARS = 12  # a last paragraph this long or longer is the end that is read
_PARAGRAPHS = re.compile(r"\n\s*\n")
SELF_HARM_NEAR_TOP = 0.5  # self-harm wins when its probability is at least half the top one
SELF_HARM_OWN_NEAR_TOP = 0.2  # ... or a fifth of it, when the harm is aimed at the learner
# Harm aimed at the learner ("how many would kill someone my size", "so it all stops"): with
# one of these, a smaller self-harm share is enough for the help reply rather than a refusal.
_OWN_HARM = re.compile(
    r"\b(?:my ?self|me self|my (?:own )?(?:life|wrists?|veins?|arms?|skin|thighs?|body)"
    r"|(?:kill|end|finish|hurt) me|me (?:die|dead)|someone (?:my|of my) (?:size|weight|age)"
    r"|(?:make|let) (?:it|everything|it all|things|the pain) (?:stop|end)|end (?:it all|things"
    r"|everything)|(?:never|not) wake up|sleep forever|(?:for|of) me to (?:die|go|disappear))\b"
)
BLOCKING_NEAR_TOP = 0.5  # so does a refused category over a top "advice" or "cheating"
# Categories the answer check may act on: the ones whose action blocks a learner's message.
OUTPUT_CATEGORIES = frozenset(
    c for c, (action, _) in CATEGORIES.items() if action in BLOCKING_ACTIONS
) - {"prompt_attack", "filter_error"}  # attacks quoted in an answer: the answer rules


def windows(text: str) -> list[str]:
    """The text(s) the classifier embeds for ``text`` (see the module doc)."""
    text = text[:MAX_CHARS]
    if len(text) <= WHOLE_CHARS:
        request = final_request(text)
        return [text, request] if request else [text]
    head = text[:HEAD_CHARS]
    cut = head.rfind(" ", HEAD_CHARS // 2)
    head = head[:cut] if cut > 0 else head
    last = _PARAGRAPHS.split(text.strip())[-1].strip()
    if MIN_REQUEST_CHARS <= len(last) <= TAIL_CHARS:
        tail = last  # pasted material, then the request as its own paragraph
    else:
        tail = text[-TAIL_CHARS:]
        cut = tail.find(" ", 0, TAIL_CHARS // 2)
        tail = tail[cut + 1 :] if cut >= 0 else tail
    return [head.strip(), tail.strip()]


def final_request(text: str) -> str | None:
    """The last paragraph of a short message made of pasted material and a request after it
    ("<a tweet> --- Given this tweet, write ..."), or None. Read on its own as well, the
    request is not drowned by the material before it (the whole message is read too)."""
    parts = [p.strip(" -_*=#\t") for p in _PARAGRAPHS.split(text.strip())]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None
    last = parts[-1]
    if not MIN_REQUEST_CHARS <= len(last) <= TAIL_CHARS or len(last) > len(text) // 2:
        return None
    return last


class WordFeatures:
    """TF-IDF of word unigrams and bigrams as scikit-learn's ``TfidfVectorizer`` computes it
    (lower-cased, ``sublinear_tf``, smooth idf, L2-normalised), for a fixed vocabulary."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.index)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.index)), dtype=np.float32)
        for row, text in enumerate(texts):
            words = WORD_TOKEN.findall(text.lower())
            counts: dict[int, int] = {}
            for term in (*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))):
                column = self.index.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
            values = tf * self.idf[columns]
            out[row, columns] = values / np.linalg.norm(values)
        return out


@dataclass(frozen=True)
class ClassifierWeights:
    classes: tuple[str, ...]
    weight: np.ndarray  # (classes, embedding dimension)
    bias: np.ndarray  # (classes,)
    threshold: float  # 1 - P(benign) at or above this: not benign (a learner's message)
    self_harm_threshold: float  # P(self_harm) at or above this: the help reply on its own
    output_threshold: float  # 1 - P(benign) at or above this: an answer is replaced
    embedder: str  # model id the weights were trained on
    version: str
    words: WordFeatures | None = None
    word_weight: np.ndarray | None = None  # (classes, vocabulary)
    # A higher bar for some categories (hate: quoting or condemning a slur is not hate speech;
    # a request to write something is held to the ordinary threshold, see ``writing_request``).
    category_thresholds: tuple[tuple[str, float], ...] = ()

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> ClassifierWeights:
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
            words = None
            word_weight = None
            if "vocabulary" in names:
                vocabulary = str(data["vocabulary"]).split("\n")
                words = WordFeatures(vocabulary, data["idf"])
                word_weight = data["word_weight"].astype(np.float32)

            def optional(name: str) -> float:
                return float(data[name]) if name in names else 1.0

            bars: tuple[tuple[str, float], ...] = ()
            if "bar_categories" in names:
                bars = tuple(
                    (str(c), float(t))
                    for c, t in zip(data["bar_categories"], data["bar_thresholds"], strict=True)
                )

            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                weight=data["weight"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                threshold=float(data["threshold"]),
                self_harm_threshold=optional("self_harm_threshold"),
                output_threshold=optional("output_threshold"),
                embedder=str(data["embedder"]),
                version=str(data["version"]),
                words=words,
                word_weight=word_weight,
                category_thresholds=bars,
            )

    def forward(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities, one row per embedding row (``texts``: the embedded texts)."""
        logits = np.asarray(vectors, dtype=np.float32) @ self.weight.T + self.bias
        if self.words is not None and self.word_weight is not None and texts is not None:
            logits = logits + self.words.transform(texts) @ self.word_weight.T
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True))


_GENTLE = frozenset(c for c, (action, _) in CATEGORIES.items() if action not in BLOCKING_ACTIONS)


def harm_of(probs: dict[str, float]) -> float:
    return 1.0 - probs.get(BENIGN, 0.0)


# A request to produce writing ("write a reply that ...", "given this post, compose ..."):
# the higher hate bar is for statements, which may be quotes or counter-speech; a request to
# write hateful text is no quote, so it meets the ordinary threshold.
_WRITING_REQUEST = re.compile(
    r"(?:^|[.!?:\n]\s*|\bgiven (?:this|the|these|that)\b[^.?!\n]{0,120},\s*)(?:please |now |can"
    r" you |could you |help me |i want you to )?(?:write|compose|draft|generate|create|produce"
    r"|make up|come up with|give me|rewrite|reply|respond)\b"
)


def writing_request(normalised: str) -> bool:
    """True when the message asks for a piece of writing (see ``_WRITING_REQUEST``)."""
    return bool(_WRITING_REQUEST.search(normalised))


def aimed_at_self(normalised: str) -> bool:
    """True when the harm a message names is aimed at the learner (see ``_OWN_HARM``)."""
    return bool(_OWN_HARM.search(normalised))


# Round six: a message refused for another harm (by a rule or the classifier's top category)
# that also reads as the learner's own crisis gets the help reply instead of a bare refusal:
# both are non-answers, and the help reply is the one a learner in crisis needs. The sign is
# harm aimed at the learner (``_OWN_HARM``) together with a harm, death or body word. A
# moderate self-harm probability as a second sign (under the self-harm threshold) was tried
# and dropped: in cross-validation it moved no crisis and turned refusals of other harm into
# help replies (0.2: 2 messages; 0.15: 1 crisis for 11 others and 2 safe ones).
_HARM_WORDS = re.compile(
    r"\b(?:kill\w*|die|dying|dead|death|suicid\w*|hurt\w*|harm\w*|cut\w*|overdos\w*|pills?"
    r"|tablets?|starv\w*|hang\w*|jump\w*|burn\w*|bleed\w*|poison\w*|throw(?:ing)? up|purg\w*"
    r"|stop|end|wake|sleep|disappear|gone|wrists?|veins?|scars?)\b"
)


def crisis_signal(normalised: str) -> str | None:
    """Why a refused message should get the help reply instead, or None (see above)."""
    if aimed_at_self(normalised) and _HARM_WORDS.search(normalised):
        return "harm aimed at the learner"
    return None


def input_category(
    probs: dict[str, float], self_harm_threshold: float = 1.0, normalised: str = ""
) -> str:
    """The category a harmful message gets (self-harm when near the top, or nearer it when the
    harm is aimed at the learner: ``normalised`` is the message; see the module doc)."""
    harmful = {c: p for c, p in probs.items() if c != BENIGN and c in CATEGORIES}
    top = max(harmful, key=harmful.__getitem__)
    self_harm = harmful.get(SELF_HARM, 0.0)
    near = SELF_HARM_OWN_NEAR_TOP if aimed_at_self(normalised) else SELF_HARM_NEAR_TOP
    if self_harm >= near * harmful[top] or self_harm >= self_harm_threshold:
        return SELF_HARM
    if top in _GENTLE:  # "should I bring a gun on a plane": advice in form, harm in substance
        blocking = max((c for c in harmful if c not in _GENTLE), key=harmful.__getitem__)
        if harmful[blocking] >= BLOCKING_NEAR_TOP * harmful[top]:
            return blocking
    return top


def input_verdict(
    probs: dict[str, float], w: ClassifierWeights, normalised: str = ""
) -> str | None:
    """The category of a learner's message (``normalised``), or None when it is benign."""
    if probs.get(SELF_HARM, 0.0) >= w.self_harm_threshold:
        return SELF_HARM
    harm = harm_of(probs)
    if harm < w.threshold:
        return None
    category = input_category(probs, w.self_harm_threshold, normalised)
    if harm < dict(w.category_thresholds).get(category, 0.0) and not (
        category == "hate" and writing_request(normalised)
    ):
        return None
    return category


def input_finding(
    probs: dict[str, float], w: ClassifierWeights, normalised: str
) -> tuple[str | None, list[str]]:
    """``input_verdict`` with safe contexts: (category or None, the contexts that set it aside)."""
    category = input_verdict(probs, w, normalised)
    if category in (None, "prompt_attack") or harm_of(probs) >= VETO_CEILING:
        return category, []
    if len(normalised) > WHOLE_CHARS:  # contexts are about short questions, not pasted text
        return category, []
    if category == SELF_HARM and probs.get(SELF_HARM, 0.0) >= w.self_harm_threshold:
        return category, []
    contexts = safe_contexts(normalised)
    return (None, contexts) if contexts else (category, [])


def output_verdict(probs: dict[str, float], w: ClassifierWeights) -> str | None:
    """The category of an answer (or sentence) to replace, or None to let it through."""
    blocking = {c: p for c, p in probs.items() if c in OUTPUT_CATEGORIES}
    if not blocking or sum(blocking.values()) < w.output_threshold:
        return None  # advice or homework help is never a reason to replace an answer
    return max(blocking, key=blocking.__getitem__)


class SafetyClassifier:
    def __init__(self, embedder: Embedder, path: Path = WEIGHTS) -> None:
        self.embedder = embedder
        self.path = path
        self._weights: ClassifierWeights | None = None

    @property
    def weights(self) -> ClassifierWeights:
        if self._weights is None:
            self._weights = ClassifierWeights.load(self.path)
        return self._weights

    @property
    def source(self) -> str:
        return f"model:safety-classifier-{self.weights.version}"

    @property
    def active(self) -> bool:
        """True when the configured embedder is the one the weights were trained on."""
        return self.path.is_file() and self.embedder.model_id == self.weights.embedder

    def probabilities(self, text: str) -> dict[str, float]:
        """Class probabilities of the most harmful-looking window of ``text``."""
        return self.probabilities_of(windows(text))

    def probabilities_of(self, texts: Sequence[str]) -> dict[str, float]:
        w = self.weights
        probs = w.forward(self.embedder.embed(list(texts), query=True), texts)
        row = probs[int(np.argmin(probs[:, w.classes.index(BENIGN)]))]
        return {c: float(p) for c, p in zip(w.classes, row, strict=True)}

    def decide(self, text: str, layer: Layer) -> list[Decision]:
        """One decision for the message's harmful category, or a note that it stepped aside
        (no embedder it knows, or a safe context such as a game or a process to kill)."""
        return self.assess(text, layer)[0]

    def assess(self, text: str, layer: Layer) -> tuple[list[Decision], dict[str, float] | None]:
        """``decide``'s decisions and the class probabilities behind them (None when the
        classifier stepped aside for an embedder it does not know)."""
        if not self.active:
            detail = f"skipped: the weights need embedder {self._trained_on()}"
            note = Decision("none", layer, "allow", 0.0, "model:safety-classifier", "low", detail)
            return [note], None
        probs = self.probabilities(text)
        return self._decisions(probs, text, layer), probs

    def _decisions(self, probs: dict[str, float], text: str, layer: Layer) -> list[Decision]:
        w = self.weights
        contexts: list[str] = []
        if layer == "output":
            category = output_verdict(probs, w)
        else:
            category, contexts = input_finding(probs, w, normalise(text))
        if contexts:
            detail = f"set aside: safe context ({', '.join(contexts)}), harm={harm_of(probs):.2f}"
            return [Decision("none", layer, "allow", harm_of(probs), self.source, "low", detail)]
        if category is None:
            return []
        detail = f"p={probs[category]:.2f}"
        return [Decision.make(category, layer, harm_of(probs), self.source, detail=detail)]

    def _trained_on(self) -> str:
        try:
            return self.weights.embedder
        except (OSError, KeyError, ValueError):
            return "(no weights file)"
