"""Personal-data redaction: emails, phone numbers, card and bank numbers, ID numbers, addresses,
postcodes, names the learner gives, passwords and dates of birth.

Patterns plus Google's libphonenumber (``phonenumbers``); no named-entity model. A detector has
to be either checksum-validated (cards: Luhn; IBAN: mod 97), shaped unmistakably (emails, UK
postcodes, ``+44 ...`` numbers) or introduced by a personal cue ("my number is", "I live at",
"my name is"), so that lesson words (Newton, Germany, Paris, 1914, 6.02e23, 3.14159) are never
touched. Each finding becomes a placeholder such as ``[phone]``; the decision records the kind,
never the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.safety.decisions import Decision, Layer

# Regions whose number formats are tried; a number in international form (+NN ...) is found
# whatever the region list.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "GB", "US", "IE", "AU", "NZ", "CA", "IN", "ZA", "NG", "KE",
    "DE", "FR", "ES", "IT", "PT", "NL", "BR", "MX",
)  # fmt: skip

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_UK_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")
_PHONE_LIKE = re.compile(r"(?<![\w.,/])(?:\+|00)?\(?\d[\d ().\-/]{5,20}\d(?![\w/])")
_PHONE_CUE = re.compile(
    r"(?i)(?:phone|mobile|cell|my (?:\w+ )?number|call me|ring me|text me|reach me|contact me"
    r"|whatsapp|telegram|tel\b|handy|telefon|teléfono|telefono|móvil|movil|numéro|numero"
    r"|portable|nummer|número|celular)"
)
_ID_CUE = re.compile(
    r"(?i)\b(?:passport|id card|identity card|identity number|id number|social security"
    r"|national insurance|student (?:id|number)|licen[cs]e|nhs|aadhaar|dni|nie|nif|cpf|curp"
    r"|personalausweis|ausweis|sécurité sociale|codice fiscale|tax (?:id|number)|pupil number"
    r"|account number|sort code|routing number)(?: (?:number|no\.?|num|nummer|numéro))?"
    r"(?: is|:|=| ist| es| est)?\s*#?\s*([A-Z0-9][A-Z0-9 \-/]{3,24}[A-Z0-9])"
)
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|close|court|ct|place|pl"
    r"|crescent|terrace|grove|gardens|square|sq|parkway|highway|hwy|row|mews|walk|hill|park"
)
_STREET = re.compile(
    r"(?i)\b\d{1,5}[a-z]?,? (?:[A-Za-zÀ-ÿ'\-]+ ){1,4}(?:" + _STREET_WORDS + r")\b\.?"
    r"(?:,? (?:apt|flat|unit|suite) ?\w+)?"
)
_STREET_FOREIGN = re.compile(
    r"(?i)\b(?:calle|c/|avenida|av\.|plaza|paseo|rua|travessa|via|viale|piazza|corso)"
    r" (?:[\wÀ-ÿ'\-]+ ){1,4}\d{1,4}\b"
    r"|\b[\wÀ-ÿ\-]{2,30}(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm) \d{1,4}[a-z]?\b"
    r"|\b\d{1,4},? (?:rue|avenue|boulevard|bd|chemin|allée|place|impasse|quai) (?:[\wÀ-ÿ'\-]+ ){1,5}"
)
_LIVE_AT = re.compile(
    r"(?i)\b(?:i live at|i(?:'m| am) living at|i stay at|we live at|my (?:home )?address is"
    r"|our address is|vivo en la calle|mi dirección es|j'habite (?:au|à l'adresse)|mon adresse est"
    r"|ich wohne in der|meine adresse ist|moro na rua|meu endereço é)\s+([^.!?\n]{3,80})"
)
_NAME_CUE = re.compile(
    r"\b(?:[Mm]y (?:full |real |first |last )?name is|[Mm]y name's|I'm called|I am called|[Cc]all me"
    r"|[Jj]e m'appelle|[Mm]e llamo|[Mm]i nombre es|[Ii]ch heiße|[Ii]ch heisse|[Mm]ein [Nn]ame ist"
    r"|[Mm]i chiamo|[Mm]eu nome é|[Mm]e chamo)\s+((?:[A-ZÀ-ÖØ-Þ][\w'\-]+)(?:\s+[A-ZÀ-ÖØ-Þ][\w'\-]+){0,3})"
)
_SCHOOL_CUE = re.compile(
    r"\b(?:I go to|I attend|I'm at|my school is|I study at)\s+((?:[A-Z][\w'\-]+\s+){1,5}"
    r"(?:School|Academy|College|High|Primary|Elementary|Gymnasium|Lycée|Colegio|Instituto|Schule))\b"
)
_PASSWORD = re.compile(
    r"(?i)\b(?:password|passcode|passwort|kennwort|contraseña|contrasena|mot de passe|senha"
    r"|pin(?: code)?)(?: is|:|=| ist| es| est| é)\s*[\"']?(\S{3,64}?)[\"']?(?=[\s.,!?]|$)"
)
_DATE = r"(?:\d{1,2}(?:st|nd|rd|th)?[ ./-](?:\d{1,2}|[A-Za-zé]{3,9})[ ./-]\d{2,4}|\d{4}-\d{2}-\d{2}|[A-Za-z]{3,9} \d{1,2}(?:st|nd|rd|th)?,? \d{4})"
_BIRTH = re.compile(
    r"(?i)\b(?:I was born on|I was born|my birthday is|my date of birth is|my dob is|dob:?"
    r"|date of birth:?|nací el|je suis née? le|ich bin am|ich wurde am)\s+(" + _DATE + r")"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "email", "phone", ...
    start: int
    end: int
    score: float
    source: str


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


class PiiRedactor:
    """Finds personal data in a text and replaces it with ``[kind]`` placeholders."""

    def __init__(self, phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> None:
        self.phone_regions = tuple(phone_regions)

    def find(self, text: str) -> list[Finding]:
        found: list[Finding] = []
        add = found.append
        for m in _EMAIL.finditer(text):
            add(Finding("email", m.start(), m.end(), 0.99, "rule:email"))
        for m in _IBAN.finditer(text):
            if iban_valid(m.group(0)):
                add(Finding("bank account", m.start(), m.end(), 0.99, "rule:iban_mod97"))
        for m in _CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
                add(Finding("card number", m.start(), m.end(), 0.97, "rule:card_luhn"))
        for m in _SSN.finditer(text):
            add(Finding("ID number", m.start(), m.end(), 0.9, "rule:us_ssn"))
        for m in _UK_NINO.finditer(text):
            add(Finding("ID number", m.start(), m.end(), 0.9, "rule:uk_nino"))
        for m in _ID_CUE.finditer(text):
            if any(ch.isdigit() for ch in m.group(1)):
                add(Finding("ID number", m.start(1), m.end(1), 0.9, "rule:id_cue"))
        for m in _IPV4.finditer(text):
            add(Finding("IP address", m.start(), m.end(), 0.85, "rule:ipv4"))
        for m in _UK_POSTCODE.finditer(text):
            add(Finding("postcode", m.start(), m.end(), 0.85, "rule:uk_postcode"))
        for pattern in (_STREET, _STREET_FOREIGN):
            for m in pattern.finditer(text):
                add(Finding("address", m.start(), m.end(), 0.85, "rule:street"))
        for m in _LIVE_AT.finditer(text):
            add(Finding("address", m.start(1), m.end(1), 0.9, "rule:address_cue"))
        for m in _NAME_CUE.finditer(text):
            add(Finding("name", m.start(1), m.end(1), 0.8, "rule:name_cue"))
        for m in _SCHOOL_CUE.finditer(text):
            add(Finding("school", m.start(1), m.end(1), 0.8, "rule:school_cue"))
        for m in _PASSWORD.finditer(text):
            add(Finding("password", m.start(1), m.end(1), 0.95, "rule:password_cue"))
        for m in _BIRTH.finditer(text):
            add(Finding("date of birth", m.start(1), m.end(1), 0.9, "rule:birth_cue"))
        found.extend(self._phones(text, found))
        return _without_overlaps(found)

    def _phones(self, text: str, taken: list[Finding]) -> list[Finding]:
        if sum(ch.isdigit() for ch in text) < 7:
            return []
        out: list[Finding] = []
        spans: set[tuple[int, int]] = set()
        try:
            import phonenumbers
        except ImportError:  # pragma: no cover - a declared dependency; patterns still run
            phonenumbers = None  # type: ignore[assignment]
        if phonenumbers is not None:
            # libphonenumber only reads the stretches that could hold a number: a long message
            # with a few digits costs one window per candidate, not a full scan per region.
            for lo, hi in _candidate_windows(text):
                window = text[lo:hi]
                for region in self.phone_regions:
                    matcher = phonenumbers.PhoneNumberMatcher(
                        window, region, leniency=phonenumbers.Leniency.VALID
                    )
                    for match in matcher:
                        span = (lo + match.start, lo + match.end)
                        if span not in spans and not _looks_like_date_or_year(match.raw_string):
                            spans.add(span)
                            out.append(Finding("phone", *span, 0.9, "lib:phonenumbers"))
        for m in _PHONE_LIKE.finditer(text):
            raw = m.group(0)
            digits = sum(ch.isdigit() for ch in raw)
            if not 7 <= digits <= 15 or _looks_like_date_or_year(raw):
                continue
            cue = _PHONE_CUE.search(text[max(0, m.start() - 40) : m.start()]) is not None
            grouped = raw.startswith(("+", "00", "0", "(")) and digits >= 9
            if cue or grouped:
                out.append(Finding("phone", m.start(), m.end(), 0.8, "rule:phone_shape"))
        return out

    def redact(self, text: str, layer: Layer = "input") -> tuple[str, list[Decision]]:
        """``text`` with personal data replaced by placeholders, and one decision per kind."""
        findings = self.find(text)
        if not findings:
            return text, []
        pieces: list[str] = []
        cursor = 0
        for f in sorted(findings, key=lambda f: f.start):
            pieces.append(text[cursor : f.start])
            pieces.append(f"[{f.kind}]")
            cursor = f.end
        pieces.append(text[cursor:])
        decisions: dict[str, Decision] = {}
        for f in findings:
            best = decisions.get(f.kind)
            if best is None or f.score > best.score:
                decisions[f.kind] = Decision.make(
                    "personal_data", layer, f.score, f.source, detail=f.kind
                )
        return "".join(pieces), list(decisions.values())


_DIGIT_RUN = re.compile(r"[+(]?\d[\d\s().\-/\u2010-\u2015]*")
_WINDOW_MARGIN = 12


def _candidate_windows(text: str) -> list[tuple[int, int]]:
    """Merged stretches of ``text`` around digit runs long enough to be a phone number."""
    windows: list[tuple[int, int]] = []
    for m in _DIGIT_RUN.finditer(text):
        if sum(ch.isdigit() for ch in m.group(0)) < 5:
            continue
        lo, hi = max(0, m.start() - _WINDOW_MARGIN), min(len(text), m.end() + _WINDOW_MARGIN)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _looks_like_date_or_year(raw: str) -> bool:
    """Year ranges (1914-1918), dates (12/05/2011, 2011-05-12) and clock times are not phones."""
    compact = raw.strip("() ")
    if re.fullmatch(r"\d{4}\s*[-–/]\s*\d{2,4}", compact):
        return True
    if re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", compact):
        return True
    return bool(re.fullmatch(r"(1\d|20)\d\d", compact))


def _without_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the longest (then most certain) finding where findings overlap."""
    chosen: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-(f.end - f.start), -f.score)):
        if all(f.end <= c.start or f.start >= c.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)
