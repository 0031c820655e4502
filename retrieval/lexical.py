"""Word tokens for lexical (BM25) ranking in every language the tutor is measured on.

One function, :func:`lexical_tokens`, serves documents and questions alike, so whatever it
folds together matches. It does not guess the language: each rule below applies to its own script.

- All scripts: NFKC, case folding (German "ß" becomes "ss"), decimal digits of any script become
  ASCII digits, invisible joiners and soft hyphens are dropped.
- Latin, Greek and Cyrillic: accents are folded ("canción" = "cancion", "Größe" = "grosse").
- Devanagari (and the other scripts that write vowels as combining marks): a word keeps its vowel
  signs and virama (Python's ``\\w`` alone does not match them and would cut "क्वथनांक" apart);
  chandrabindu is written as anusvara, and a light stemmer removes Hindi inflection endings.
- Arabic: short vowels (tashkeel) and tatweel are removed, alef with hamza or madda becomes bare
  alef, alef maqsura becomes yeh, taa marbuta becomes heh, and a light stemmer removes the
  article and common clitics and suffixes ("والكتاب" and "كتاب" match).
- Chinese and Japanese: runs of Han or kana characters, which have no spaces, become overlapping
  character bigrams (a one-character run stays as it is); Latin text mixed in stays a word.
- Frequent function words of English, Spanish, German, Arabic and Hindi are dropped.

Changing anything here changes the tokens stored in BM25 indexes: raise :data:`LEXICAL_VERSION`,
so that indexes built before are re-tokenised (see ``retrieval.course_index``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

LEXICAL_VERSION = 2


# Blocks that may hold combining marks: every plane in use less the big blocks of letters
# (CJK ideographs, Hangul syllables, private use), plus the variation selectors.
_MARK_SCAN = (
    (0x0000, 0x3400),
    (0xA000, 0xAC00),
    (0xD7B0, 0xE000),
    (0xF900, 0x20000),
    (0xE0100, 0xE01F0),
)


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """A word: letters, digits and underscore (``\\w``) with the combining marks (Mn, Mc, Me)
    inside them. Built on first use from the running Python's Unicode tables."""
    ranges: list[tuple[int, int]] = []
    for code in itertools.chain.from_iterable(range(a, b) for a, b in _MARK_SCAN):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    marks = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile(f"[\\w{marks}]+")


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script


def _fold_table() -> dict[int, int | str | None]:
    table: dict[int, int | str | None] = {}
    drop = [
        (0x0300, 0x036F),  # combining diacritics of Latin, Greek and Cyrillic: accents
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x20D0, 0x20FF),
        (0xFE20, 0xFE2F),
        (0x0610, 0x061A),  # Arabic: honorifics and Quranic marks
        (0x064B, 0x065F),  # Arabic: tashkeel (short vowels, shadda, sukun, hamza above/below)
        (0x0670, 0x0670),  # Arabic: superscript alef
        (0x06D6, 0x06ED),  # Arabic: Quranic annotation marks
        (0x0640, 0x0640),  # Arabic: tatweel
        (0x200B, 0x200D),  # zero-width space, non-joiner, joiner
        (0x2060, 0x2060),  # word joiner
        (0x00AD, 0x00AD),  # soft hyphen
        (0xFEFF, 0xFEFF),  # byte-order mark
    ]
    for start, end in drop:
        for code in range(start, end + 1):
            table[code] = None
    table.update(
        {
            0x0622: "\u0627",  # آ (when not decomposed) -> ا
            0x0623: "\u0627",  # أ -> ا
            0x0625: "\u0627",  # إ -> ا
            0x0671: "\u0627",  # ٱ alef wasla -> ا
            0x0624: "\u0648",  # ؤ -> و
            0x0626: "\u064a",  # ئ -> ي
            0x0649: "\u064a",  # ى alef maqsura -> ي
            0x0629: "\u0647",  # ة taa marbuta -> ه
            0x06A9: "\u0643",  # Persian keheh -> ك
            0x06CC: "\u064a",  # Persian yeh -> ي
            0x0901: "\u0902",  # Devanagari chandrabindu -> anusvara
        }
    )
    return table


_FOLD = _fold_table()


def normalise(text: str) -> str:
    """The folded form in which words are compared (see the module's description)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Decompose so that accents and hamza become separate marks, drop them, recompose.
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_FOLD))
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.digit(m.group())), text)


# ---- Arabic light stemming (after Larkey, Ballesteros and Connell's "light10") -------------
_AR_PREFIXES = tuple(normalise(p) for p in ("وال", "بال", "كال", "فال", "لل", "ال"))
_AR_SUFFIXES = tuple(normalise(s) for s in ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"))


def arabic_stem(word: str) -> str:
    """Remove a leading "و" (and), the article with its clitics, and common suffixes, keeping
    at least two letters; ``word`` is already normalised."""
    if len(word) > 3 and word.startswith("\u0648"):
        word = word[1:]
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    for suffix in _AR_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


# ---- Hindi light stemming (after Ramanathan and Rao's suffix list) --------------------------
_HI_SUFFIXES = tuple(
    sorted(
        {
            normalise(s)
            for s in """ो े ू ु ी ि ा कर ाओ िए ाई ाए ने नी ना ते ीं ती ता ाँ ां ों ें ाकर ाइए ाईं
            ाया ेगी ेगा ोगी ोगे ाने ाना ाते ाती ाता तीं ाओं ाएं ुओं ुएं ुआं ाएगी ाएगा ाओगी ाओगे
            एंगी ेंगी एंगे ेंगे ूंगी ूंगा ातीं नाओं नाएं ताओं ताएं ियाँ ियों ियां ाएंगी ाएंगे ाऊंगी
            ाऊंगा ाइयाँ ाइयों ाइयां""".split()
        },
        key=len,
        reverse=True,
    )
)


def hindi_stem(word: str) -> str:
    """Remove the longest inflectional suffix that leaves at least three code points."""
    for suffix in _HI_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


# ---- function words ------------------------------------------------------------------------
# Words that are also English content words once folded ("un" = UN, "für" = fur, "die", "war",
# "son", "era") are left out: BM25's inverse document frequency discounts them anyway.
_STOPWORD_TEXT = {
    "en": """a an and are as at be but by for from has have how i if in into is it its of on or
        so that the their then there these this to was were what when where which who why will
        with you your do does did can""",
    "es": """el la los las una unos unas y o de del al en con por para que qué cuál cuáles
        cuándo dónde quién quiénes cómo cuánto cuántos es fue fueron se su sus lo le les
        como más pero este esta estos estas ese esa""",
    "de": """der das den dem des ein eine einer eines einem einen und oder in im ist sind waren
        wurde wurden zu zum zur von vom auf bei aus nach wer wie wo wann welche
        welcher welches warum sich es er sie auch nicht""",
    "ar": """في من على الى إلى عن أن إن ما ماذا متى أين كيف كم هل التي الذي الذين هذا هذه ذلك
        تلك كان كانت هو هي مع أو ثم قد لم لا بين""",
    "hi": """का के की को में से पर है हैं था थे थी और या एक यह वह ये वे किस किसने किसे किसको
        क्या कौन कब कहाँ कहां कैसे कितने कितना कितनी ने भी तो ही""",
}
STOPWORDS = frozenset(normalise(w) for words in _STOPWORD_TEXT.values() for w in words.split())


def lexical_tokens(text: str) -> list[str]:
    """The BM25 tokens of ``text``, for a document and a question alike."""
    tokens: list[str] = []
    for word in _word_pattern().findall(normalise(text)):
        if _CJK.search(word):
            tokens.extend(_split_cjk(word))
        elif word in STOPWORDS:
            continue
        elif _ARABIC_LETTER.search(word):
            tokens.append(arabic_stem(word))
        elif _DEVANAGARI.search(word):
            tokens.append(hindi_stem(word))
        else:
            tokens.append(word)
    return tokens


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    pos = 0
    for match in _CJK.finditer(word):
        if match.start() > pos:
            out.append(word[pos : match.start()])
        run = match.group()
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        pos = match.end()
    if pos < len(word):
        out.append(word[pos:])
    return out
