"""The spaCy pipeline that reads a mail's text: who and which organisations it names,
and the company identifiers (INN/KPP/OGRN) it contains.

No spaCy Russian model is installable here, so the pipeline is `spacy.blank("ru")` with
registered components:

* ``natasha_ner``   — natasha's Slovnet NER (PER/LOC/ORG; weights ship inside the wheel)
  mapped onto `doc.ents`; the only statistical and the only slow stage (~3 ms per short
  mail), so callers run it on the new text and signature only (`analyse(..., ner=False)`
  for quotes and attachments);
* ``legal_orgs``    — a `Matcher` over legal forms (ООО … ФГБОУ, full forms, LLC/GmbH …),
  each anchor extended over the name that follows (quoted, with nested quotes, or bare
  capitalised words) → `doc.spans["orgs"]` with `Span._.legal_form`, `Span._.core_name`;
* ``quoted_names``  — every other quoted proper name («Алтайских сыров», „Мираторга“) →
  `doc.spans["quoted"]`;
* ``requisites``    — INN/KPP/OGRN/OGRNIP by label and check digits → `Doc._.requisites`;
  numbers that look like one but must not be taken (bad check digit, foreign ids, phones,
  order numbers) → `Doc._.rejected`, each with its reason.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn

log = logging.getLogger(__name__)

# --- legal forms (patterns as data) ----------------------------------------------------

# Abbreviations, matched case-sensitively: «АО» is a form, «ао» is not.
ABBREVIATIONS = ["ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "ТОО", "ОДО", "ЧУП", "УП", "АНО", "ЧОУ", "ЧУЗ", "НКО", "НОУ", "КФХ", "ПК", "СПК", "ТСЖ", "СНТ", "ГБУ", "ГАУ", "ГКУ", "ФГБУ", "ФГАУ", "ФКУ", "ФГКУ", "ГБУЗ", "ГАУЗ", "ГКУЗ", "ФГБУЗ", "ФГБОУ", "ФГАОУ", "ФГОУ", "ГБОУ", "ГАОУ", "ГКОУ", "ГБПОУ", "ГАПОУ", "ГБДОУ", "ГУ", "МУ", "МБУ", "МАУ", "МКУ", "МБОУ", "МАОУ", "МКОУ", "МОУ", "МАДОУ", "МБДОУ", "МКДОУ", "МДОУ", "МБУЗ", "МБУК", "МАУК", "МБУДО", "МАУДО", "ГБУК", "ГАУК", "ГБУСО", "ГАУСО", "ГКУСО", "ФГУП", "ГУП", "МУП", "МП", "ГП", "ОГБУ", "ОГАУ", "ОГКУ", "КГБУ", "КГАУ", "КГКУ"]
# Latin forms: the first list follows the name ("Samarkand Textile LLC"), OOO precedes it.
FOREIGN_SUFFIXES = ("LLC", "Ltd", "LTD", "Limited", "GmbH", "JSC", "Inc", "LLP", "PLC", "Corp", "AG", "SA", "BV", "Oy", "AB", "Srl", "SRL", "SIA", "Co")
LATIN_PREFIXES = ("OOO", "OAO", "ZAO", "PAO", "AO", "LLC", "JSC", "IP")
# Group and brand words: not legal forms, but they open a company name the same way.
BRAND_WORDS = ("ТД", "ГК", "ПГ", "ТК", "ПКФ", "НПО", "НПП", "НПФ", "ПФ", "ТПК", "ПКП")
FULL_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ООО", ("общество", "с", "ограниченной", "ответственностью")),
    ("ПАО", ("публичное", "акционерное", "общество")),
    ("НАО", ("непубличное", "акционерное", "общество")),
    ("ЗАО", ("закрытое", "акционерное", "общество")),
    ("ОАО", ("открытое", "акционерное", "общество")),
    ("АО", ("акционерное", "общество")),
    ("ИП", ("индивидуальный", "предприниматель")),
    ("АНО", ("автономная", "некоммерческая", "организация")),
    ("КФХ", ("крестьянское", "фермерское", "хозяйство")),
    ("КФХ", ("крестьянское", "(", "фермерское", ")", "хозяйство")),
    ("LLC", ("limited", "liability", "company")),
    ("JSC", ("joint", "stock", "company")),
    ("JSC", ("joint-stock", "company")),
)
# Spelled-out state and municipal forms: «Государственное бюджетное учреждение
# здравоохранения …», «Муниципальное автономное дошкольное образовательное учреждение …».
_PUBLIC_LETTERS = {
    "федеральное": "Ф", "федеральный": "Ф", "государственное": "Г", "государственный": "Г",
    "муниципальное": "М", "муниципальный": "М", "областное": "О", "краевое": "К",
    "бюджетное": "Б", "автономное": "А", "казенное": "К", "казённое": "К", "унитарное": "У",
    "дошкольное": "Д", "общеобразовательное": "О", "образовательное": "О",
    "профессиональное": "П", "учреждение": "У", "предприятие": "П", "здравоохранения": "З",
    "культуры": "К", "высшего": "В", "образования": "О", "социального": "С",
    "обслуживания": "О", "дополнительного": "Д",
}  # fmt: skip
_PUBLIC_OPENERS = ["федеральное", "государственное", "муниципальное", "областное", "краевое"]

# Public-sector forms (scenario §5): state and municipal institutions and unitary
# enterprises. Not АНО, ЧОУ, ЧУЗ, nor commercial АО/ПАО with state shares.
_PUBLIC_FORM = re.compile(r"^(?:ФГ|Ф|Г|М|О|К|КГ|ОГ)[А-ЯЁ]*(?:У|УП|П)[А-ЯЁ]*$")
_NOT_PUBLIC = frozenset({"ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "АНО", "ЧОУ", "ЧУЗ", "ЧУП", "УП", "ОДО", "ТОО", "НКО", "НОУ", "КФХ", "ПК", "СПК", "ТСЖ", "СНТ"})


def is_public_form(form: str | None) -> bool:
    """True for a state or municipal institution or unitary enterprise (ГБУЗ, МАДОУ, ФГУП …)."""
    return bool(form) and form not in _NOT_PUBLIC and bool(_PUBLIC_FORM.match(form or ""))


# --- value objects ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberHit:
    """A company identifier found in the text, or a number rejected as one.
    kind: inn | kpp | ogrn | ogrnip; for rejected hits `reason` says why."""

    kind: str
    value: str
    start: int
    end: int
    labelled: bool
    label: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrgMention:
    """An organisation named in the text: [start, end) of the whole name as written."""

    text: str
    start: int
    end: int
    legal_form: str | None
    core: str
    quoted: bool
    source: str  # legal | quoted | ner


# --- extensions ------------------------------------------------------------------------

for _name, _default in (("requisites", ()), ("rejected", ()), ("notes", ()), ("ner_ranges", ())):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)
for _name in ("legal_form", "core_name"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)
if not Span.has_extension("quoted"):
    Span.set_extension("quoted", default=False)


# --- quotes ----------------------------------------------------------------------------

_OPENERS = "«„“\"'"
_OPENER_RE = re.compile("[«„“\"']")
_MAX_QUOTED = 120


def match_quote(text: str, i: int) -> tuple[int, str] | None:
    """The quoted span opening at text[i]: (offset after the closing quote, innermost
    quoted text). Handles « » nesting, „ “ and “ ” pairs, and nested straight quotes
    ("ТД "Северный Картон""): a straight quote after a space opens, any other closes."""
    opener = text[i]
    limit = min(len(text), i + _MAX_QUOTED)
    if opener == "«":
        depth = 0
        inner_start, inner = i + 1, ""
        for j in range(i, limit):
            ch = text[j]
            if ch == "\n":
                return None
            if ch in "«„":
                depth += ch == "«"
                inner_start = j + 1
            elif ch in "»“" and j > i:
                if ch == "“" and "„" not in text[i:j]:
                    continue
                inner = inner or text[inner_start:j]
                if ch == "»":
                    depth -= 1
                    if depth == 0:
                        return j + 1, inner.strip()
        return None
    if opener in "„“":
        closers = "“”" if opener == "„" else "”"
        for j in range(i + 1, limit):
            if text[j] == "\n":
                return None
            if text[j] in closers:
                return j + 1, text[i + 1 : j].strip()
        return None
    if opener in "\"'":
        if i + 1 >= len(text) or not (text[i + 1].isalnum() or text[i + 1] in "«„\"'"):
            return None
        if opener == "'" and i > 0 and text[i - 1].isalpha():  # an apostrophe: O'Neil
            return None
        depth = 0
        inner_start, inner = i + 1, ""
        for j in range(i, limit):
            ch = text[j]
            if ch == "\n":
                return None
            if ch != opener:
                continue
            opening = j == i or (text[j - 1] in " \t(«„“" and j + 1 < len(text) and text[j + 1].isalnum())
            if opening:
                depth += 1
                inner_start = j + 1
            else:
                inner = inner or text[inner_start:j]
                depth -= 1
                if depth == 0:
                    return j + 1, inner.strip()
        return None
    return None


# --- org extension ---------------------------------------------------------------------

_QUALIFIER = re.compile(
    # «ГБУ РС(Я) «…»»: Республика Саха (Якутия) is abbreviated with its bracket.
    r"(?:[ \t]+(?:[А-ЯЁ]{2,3}\([А-ЯЁ]\)|[А-ЯЁA-Z][А-ЯЁа-яёA-Za-z-]*|г\.|им\.|города|городского|округа|района|"
    r"области|края|республики|№\s*\d+|\d+)){0,5}?[ \t]*(?=[«„“\"'])"
)
_BARE_WORD = re.compile(r"[ \t]+((?:[А-ЯЁA-Z0-9][\w&+.-]*|и|and|&)(?=[\s,;:!?()]|$))")
_STOP_WORDS = frozenset(
    ["ИНН", "КПП", "ОГРН", "ОГРНИП", "БИК", "Тел", "Тел.", "Телефон", "Адрес", "Email", "E-mail", "Моб", "С", "Спасибо", "Добрый", "Здравствуйте", "Прошу", "Просим", "Нужны", "Нужно", "Нам", "Мы", "Для", "В", "На", "По", "Из", "И"]
)
_INITIALS = re.compile(r"[ \t]+([А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)[ \t]+([А-ЯЁ]\.[ \t]?[А-ЯЁ]\.?|[А-ЯЁ][а-яё]+[ \t]+[А-ЯЁ][а-яё]+(?:вич|вна|ична|чна|оглы|кызы))")


# An unquoted name of a state or municipal institution: «МБДОУ детский сад № 5»,
# «МБОУ СОШ № 12» — lower-case words allowed, up to punctuation or a verb.
_PUBLIC_BARE = re.compile(
    r"(?:[ \t]+(?!(?:просит|просим|направляет|сообщает|планирует|проводит|приглашает|г\.|ИНН|КПП)\b)"
    r"(?:№[ \t]*\d+|[А-ЯЁа-яё][А-ЯЁа-яё-]*|\d+)){1,6}"
)


def _extend_name(text: str, start: int, anchor_end: int, form: str | None) -> tuple[int, str, bool] | None:
    """From a legal-form anchor, find where the name ends: (end, core name, quoted)."""
    if form == "ИП":
        m = _INITIALS.match(text, anchor_end)
        if m:
            return m.end(), f"{m.group(1)} {m.group(2)}", False
    m = _QUALIFIER.match(text, anchor_end)
    if m:
        q = match_quote(text, m.end())
        if q and q[1] and (q[1][0].isalnum()):
            return q[0], q[1], True
    if is_public_form(form):
        bare = _PUBLIC_BARE.match(text, anchor_end)
        if bare:
            return bare.end(), bare.group(0).strip(), False
    # Unquoted: capitalised words up to punctuation («ООО Ромашка, ИНН …»).
    end = anchor_end
    words: list[str] = []
    while len(words) < 4:
        w = _BARE_WORD.match(text, end)
        if not w or w.group(1) in _STOP_WORDS or w.group(1).rstrip(".") in _STOP_WORDS:
            break
        words.append(w.group(1))
        end = w.end()
    while words and words[-1] in ("и", "and", "&"):
        words.pop()
    if not words:
        return None
    core = " ".join(words).rstrip(".")
    end = text.index(words[-1], anchor_end) + len(words[-1])
    if core.endswith(".") and not re.search(r"\b[А-ЯЁ]\.$", core):
        end -= 1
    return end, core, False


_LATIN_NAME_BEFORE = re.compile(
    r"((?:[A-ZÀ-ÖØ-Þ0-9][\w&'.-]*[ \t]+(?:(?:&|and|of|de|und)[ \t]+)?){1,5})$"
)


def _extend_left(text: str, anchor_start: int) -> tuple[int, str] | None:
    """For a suffix form ("Samarkand Textile LLC", "Müller Verpackung GmbH"): the
    capitalised Latin words right before it."""
    window_start = max(0, anchor_start - 80)
    m = _LATIN_NAME_BEFORE.search(text, window_start, anchor_start)
    if not m:
        return None
    core = m.group(1).strip(" ,")
    if not re.search(r"[A-Za-zÀ-ÿ]", core):
        return None
    return m.start(1), core


_PUBLIC_PHRASE = re.compile(
    r"[А-ЯЁа-яё]+(?:[ \t]+[а-яё-]+(?:ое|ый))*[ \t]+(?:учреждение|предприятие)(?:[ \t]+[а-яё]+(?:ия|ы|и|его|ого|ой|ей))*",
    re.IGNORECASE,
)


def _public_form(words: list[str]) -> str:
    return "".join(_PUBLIC_LETTERS.get(w.lower(), "") for w in words)


@Language.factory("legal_orgs")
class LegalOrgs:
    """Organisations anchored by a legal form → `doc.spans["orgs"]`."""

    def __init__(self, nlp: Language, name: str) -> None:
        # PhraseMatchers hash each token once; a token Matcher with IN/REGEX predicates
        # cost 3 µs per token (1.5 ms for a 2 kB mail) for the same anchors.
        self.forms = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        make = nlp.make_doc
        self.forms.add("ABBR", [make(f) for f in sorted(set(ABBREVIATIONS) | set(BRAND_WORDS))])
        self.forms.add("LATIN_PREFIX", [make(f) for f in LATIN_PREFIXES])
        self.forms.add("SUFFIX", [make(f) for f in FOREIGN_SUFFIXES])
        for form, words in FULL_FORMS:
            self.phrases.add(f"FULL_{form}", [make(" ".join(words))])
        self.phrases.add("PUBLIC", [make(w) for w in _PUBLIC_OPENERS])

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        found: list[Span] = []
        for match_id, s, e in [*self.forms(doc), *self.phrases(doc)]:
            rule = doc.vocab.strings[match_id]
            span = doc[s:e]
            start = span.start_char
            form: str | None
            if rule == "PUBLIC":
                # «Федеральное государственное бюджетное … учреждение высшего образования»:
                # adjectives, the institution noun, its genitive tail.
                public = _PUBLIC_PHRASE.match(text, start)
                if public is None:
                    continue
                span = doc.char_span(start, public.end(), alignment_mode="expand") or span
            if rule == "SUFFIX":
                left = _extend_left(text, start)
                if left is None:
                    continue
                name_start, core = left
                form = span[0].text.rstrip(".")
                org = doc.char_span(name_start, start + len(form), label="ORG", alignment_mode="expand")
                quoted = False
            else:
                anchor_end = span.end_char
                if rule.startswith("FULL_"):
                    form = rule[5:]
                elif rule == "PUBLIC":
                    form = _public_form([t.text for t in span]) or None
                else:
                    form = span.text
                ext = _extend_name(text, start, anchor_end, form)
                if ext is None:
                    continue
                end, core, quoted = ext
                org = doc.char_span(start, end, label="ORG", alignment_mode="expand")
                if form in BRAND_WORDS or (form in LATIN_PREFIXES and rule == "LATIN_PREFIX"):
                    # «ТД „Север“», «ГК …» are names, not legal forms; OOO → ООО.
                    form = {"OOO": "ООО", "OAO": "ОАО", "ZAO": "ЗАО", "PAO": "ПАО", "AO": "АО", "IP": "ИП"}.get(form or "", None if form in BRAND_WORDS else form)
            if org is None:
                continue
            org._.legal_form = form
            org._.core_name = core
            org._.quoted = quoted
            found.append(org)
        doc.spans["orgs"] = _longest_first(found)
        return doc


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans inside a longer one; keep text order. «ООО „ТД «Север»“» wins over
    the ТД anchor inside it."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end_char - s.start_char), s.start_char)):
        if any(span.start_char >= k.start_char and span.end_char <= k.end_char for k in kept):
            continue
        if any(span.start_char < k.end_char and k.start_char < span.end_char for k in kept):
            continue
        kept.append(span)
    return sorted(kept, key=lambda s: s.start_char)


@Language.component("quoted_names")
def quoted_names(doc: Doc) -> Doc:
    """Quoted proper names not already inside an org span → `doc.spans["quoted"]`."""
    text = doc_text(doc)
    orgs = list(doc.spans["orgs"]) if "orgs" in doc.spans else []
    found: list[Span] = []
    i = 0
    while True:
        opener = _OPENER_RE.search(text, i)
        if opener is None:
            break
        i = opener.start()
        q = match_quote(text, i)
        if q and q[1] and q[1][0].isalnum() and q[1][0] == q[1][0].upper():
            end, core = q
            if not any(o.start_char <= i < o.end_char for o in orgs):
                span = doc.char_span(i, end, label="ORG", alignment_mode="expand")
                if span is not None:
                    span._.core_name = core
                    span._.quoted = True
                    found.append(span)
            i = end
        else:
            i += 1
    doc.spans["quoted"] = found
    return doc


def quoted_cores(text: str) -> tuple[str, ...]:
    """Innermost quoted names of a text without running the pipeline (for our own quoted
    letters, where only our company's name is wanted)."""
    cores: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in _OPENERS:
            q = match_quote(text, i)
            if q and q[1]:
                cores.append(q[1])
                i = q[0]
                continue
        i += 1
    return tuple(cores)


# --- requisites ------------------------------------------------------------------------

_LABEL = re.compile(
    r"(?<![А-Яа-яЁёA-Za-z])(?P<label>ИНН\s*/\s*КПП|ИНН|КПП|ОГРНИП|ОГРН|INN|TIN|KPP|OGRN|ИИН|БИН|BIN|IIN|УНП|UNP|STIR|СТИР|"
    r"VAT(?:\s*(?:No|number|ID))?|ЕГРПОУ|РНН|ОКПО|ОКТМО|ОКАТО|ОКВЭД|ОКОГУ|ОКФС|ОКОПФ|БИК|BIC|SWIFT|"
    r"IBAN|р/с|р/сч|р\.с\.|к/с|к/сч|кор\.?\s*сч(?:[её]т)?|корр?\.?\s*сч(?:[её]т)?|расч[её]тный\s+сч[её]т|"
    r"сч[её]т(?:а|у|е|ом)?|заказ(?:а|у|е|ом)?|заявк[аиуе]|договор(?:а|у|е)?|накладн\w*|"
    r"order|invoice|PO|тел\.?|телефон|моб\.?|факс|phone|tel\.?|mob\.?|fax|№|N|No\.?|#)"
    r"(?![А-Яа-яЁёA-Za-z])",
    re.IGNORECASE,
)
_POSITIVE = {"инн": "inn", "inn": "inn", "tin": "inn", "кпп": "kpp", "kpp": "kpp", "огрн": "ogrn", "ogrn": "ogrn", "огрнип": "ogrnip"}
_FOREIGN_LABELS = re.compile(r"^(?:ИИН|БИН|BIN|IIN|УНП|UNP|STIR|СТИР|VAT.*|ЕГРПОУ|РНН)$", re.IGNORECASE)
_FOREIGN_CONTEXT = re.compile(
    r"Казахстан|Kazakhstan|Беларус|Belarus|Узбекистан|Uzbekistan|Кыргызстан|Kyrgyz|Армени|Armenia|"
    r"Азербайджан|Azerbaijan|Таджикистан|Tajikistan|Туркменистан|Грузи[яи]|Georgia|Tashkent|Ташкент|"
    r"Алматы|Almaty|Астана|Astana|Минск|Minsk|Бишкек|Bishkek|Ереван|Yerevan|Баку|Baku|Душанбе|"
    r"\bРК\b(?=.{0,20}(?:БИН|ИИН))",
    re.IGNORECASE,
)
# A number glued to its label («ИНН7707083893») counts too; any other letter before it
# makes it part of a code (an article, a tracking id).
_GLUED = r"(?<=ИНН)|(?<=Инн)|(?<=КПП)|(?<=ОГРН)|(?<=INN)|(?<=KPP)"
_NUMBER = re.compile(
    rf"(?:(?<![\d\w/.,-])|{_GLUED})(\d{{9,15}})(?![\d\w]|[.,]\d|-\d)|(?:(?<![\d\w])|{_GLUED})(\d{{4}}[\dA-Z]{{2}}\d{{3}})(?![\d\w])"
)
_PAIR = re.compile(
    r"(?P<label>ИНН\s*/\s*КПП|INN\s*/\s*KPP)[\s:.№-]*(?P<inn>\d{10}|\d{12})\s*/\s*(?P<kpp>\d{4}[\dA-Z]{2}\d{3})(?!\d)",
    re.IGNORECASE,
)
_REQUISITE_BLOCK = re.compile(r"\b(?:ИНН|КПП|ОГРН|ОГРНИП|БИК|р/с|к/с|Реквизиты|ОКПО|ОКВЭД)\b", re.IGNORECASE)
# How far back a label may stand from its number: «ИНН: 7707083893», «ИНН (организации) 77…».
_LABEL_GAP = re.compile(r"^[\s:№#.=\-–—]*(?:\([^)\n]{0,20}\)[\s:.\-–—]*)?(?:(?:организации|предприятия|покупателя|плательщика|получателя|компании|ИП|юр\.?\s*лица)[\s:.\-–—]*)?$", re.IGNORECASE)


def _label_before(text: str, start: int) -> tuple[str, int] | None:
    """The label standing right before a number on its line, or at the end of the
    previous line (a table: "ИНН\\n7707083893"), with its start offset."""
    line_start = text.rfind("\n", 0, start) + 1
    window_start = max(line_start, start - 60)
    best: tuple[str, int] | None = None
    for m in _LABEL.finditer(text, window_start, start):
        if _LABEL_GAP.match(text[m.end() : start]):
            best = (m.group("label"), m.start())
    if best is None and not text[line_start:start].strip() and line_start > 0:
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        prev = text[prev_start : line_start - 1]
        tail = re.search(r"(?:ИНН|КПП|ОГРНИП|ОГРН)[\s:]*$", prev)
        if tail:
            best = (tail.group(0).strip(" :\t"), prev_start + tail.start())
    return best


def _requisite_block(text: str, start: int) -> bool:
    """True when the lines around `start` (two up, two down) carry requisites labels: an
    unlabelled valid number there is read as an identifier of the card."""
    a = start
    for _ in range(3):
        a = text.rfind("\n", 0, max(a - 1, 0)) + 1 if a > 0 else 0
    b = start
    for _ in range(3):
        nb = text.find("\n", b + 1)
        b = len(text) if nb < 0 else nb
    return len({m.group(0).lower() for m in _REQUISITE_BLOCK.finditer(text, a, b)}) >= 2


def find_requisites(text: str) -> tuple[tuple[NumberHit, ...], tuple[NumberHit, ...]]:
    """(accepted, rejected) identifiers in text order. Pure; the regex core of the
    `requisites` component, usable without spaCy on quotes and attachments."""
    accepted: list[NumberHit] = []
    rejected: list[NumberHit] = []
    taken: set[int] = set()
    for m in _PAIR.finditer(text):
        inn, kpp = m.group("inn"), m.group("kpp")
        label = m.group("label")
        if _foreign_context(text, m.start()):
            rejected.append(NumberHit("inn", inn, m.start("inn"), m.end("inn"), True, label, "foreign"))
        elif is_valid_inn(inn):
            accepted.append(NumberHit("inn", inn, m.start("inn"), m.end("inn"), True, label))
            if is_valid_kpp(kpp):
                accepted.append(NumberHit("kpp", kpp, m.start("kpp"), m.end("kpp"), True, label))
        else:
            rejected.append(NumberHit("inn", inn, m.start("inn"), m.end("inn"), True, label, "checksum"))
        taken.update((m.start("inn"), m.start("kpp")))
    for m in _NUMBER.finditer(text):
        value = m.group(1) or m.group(2)
        start = m.start(1) if m.group(1) else m.start(2)
        end = start + len(value)
        if start in taken:
            continue
        found = _label_before(text, start)
        label = found[0] if found else ""
        key = re.sub(r"\s+", "", label).lower().rstrip(".")
        if key in ("инн/кпп",):
            key = "инн" if len(value) in (10, 12) else "кпп"
        if m.group(2) and not m.group(1):  # KPP with letters
            if key == "кпп" and is_valid_kpp(value):
                accepted.append(NumberHit("kpp", value, start, end, True, label))
            continue
        hit = _judge(text, value, start, end, label, key)
        (rejected if hit.reason else accepted).append(hit)
    accepted.sort(key=lambda h: h.start)
    rejected.sort(key=lambda h: h.start)
    return tuple(accepted), tuple(rejected)


def _foreign_context(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[max(line_start, start - 120) : line_end if line_end >= 0 else len(text)]
    return bool(_FOREIGN_CONTEXT.search(line))


def _judge(text: str, value: str, start: int, end: int, label: str, key: str) -> NumberHit:
    """Accept or reject one number; a rejected hit carries the reason."""
    n = len(value)
    if _FOREIGN_LABELS.match(label.strip()):
        return NumberHit("inn", value, start, end, True, label, "foreign")
    if key in _POSITIVE:
        kind = _POSITIVE[key]
        if kind == "inn":
            if n not in (10, 12):
                reason = "foreign" if _foreign_context(text, start) else "length"
                return NumberHit("inn", value, start, end, True, label, reason)
            if _foreign_context(text, start):
                return NumberHit("inn", value, start, end, True, label, "foreign")
            ok = is_valid_inn(value)
            return NumberHit("inn", value, start, end, True, label, "" if ok else "checksum")
        if kind == "kpp":
            ok = n == 9 and is_valid_kpp(value)
            return NumberHit("kpp", value, start, end, True, label, "" if ok else "format")
        kind = "ogrnip" if n == 15 else "ogrn"
        ok = n in (13, 15) and is_valid_ogrn(value)
        return NumberHit(kind, value, start, end, True, label, "" if ok else "checksum")
    if label:
        # Any other label (№, счёт, тел, р/с, БИК, ОКПО …) makes the number not an identifier.
        return NumberHit("inn", value, start, end, False, label, "context")
    # Unlabelled: only inside a requisites block, and never phone-like.
    before = text[max(0, start - 4) : start]
    if re.search(r"[+(]\s*$|\b[78][\s(-]*$", before):
        return NumberHit("inn", value, start, end, False, "", "phone")
    if n in (10, 12) and is_valid_inn(value) and _requisite_block(text, start):
        if _foreign_context(text, start):
            return NumberHit("inn", value, start, end, False, "", "foreign")
        return NumberHit("inn", value, start, end, False)
    if n in (13, 15) and is_valid_ogrn(value) and _requisite_block(text, start):
        return NumberHit("ogrnip" if n == 15 else "ogrn", value, start, end, False)
    return NumberHit("inn", value, start, end, False, "", "unlabelled")


@Language.component("requisites")
def requisites_component(doc: Doc) -> Doc:
    accepted, rejected = find_requisites(doc_text(doc))
    doc._.requisites = accepted
    doc._.rejected = tuple(r for r in rejected if r.reason != "unlabelled")
    return doc


# --- natasha ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


@lru_cache(maxsize=1)
def natasha_tagger() -> Any:
    """natasha's news NER: embeddings and weights come inside the wheels, nothing is
    downloaded. Loaded once per process (~0.8 s)."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


# Slovnet's NER is trained on news sentences; on a whole mail of thousands of characters
# it only gets slower, and what we need from it (names) lives in the new text and signature.
MAX_NER_CHARS = 6_000


@Language.factory("natasha_ner")
class NatashaNER:
    """natasha/Slovnet NER (PER, LOC, ORG) as a spaCy component: its character spans are
    mapped onto the Doc's tokens with alignment_mode="expand"."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.tagger = natasha_tagger()

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        # The ranges are read in one tagger call (its fixed cost is ~3 ms): their texts
        # joined by blank lines, each found span mapped back through `pieces`.
        pieces: list[tuple[int, int, int]] = []  # (offset in joined, offset in text, length)
        joined: list[str] = []
        size = 0
        for start, end in doc._.ner_ranges or ((0, len(text)),):
            end = min(end, len(text), start + MAX_NER_CHARS - size)
            if end <= start or not text[start:end].strip():
                continue
            pieces.append((size, start, end - start))
            joined.append(text[start:end])
            size += end - start + 2
        if not pieces:
            return doc
        try:
            # Slovnet multiplies tiny matrices: with BLAS's thread pool on a busy machine
            # one short mail took 100 ms instead of 3 ms. One thread, only around the call.
            with _blas().limit(limits=1, user_api="blas"):
                markup = self.tagger("\n\n".join(joined))
        except Exception as exc:
            log.warning("natasha NER failed: %s: %s", type(exc).__name__, exc)
            doc._.notes = (*doc._.notes, f"NER не сработал: {type(exc).__name__}")
            return doc
        spans: list[Span] = []
        for found in markup.spans:
            for joined_at, text_at, length in pieces:
                if joined_at <= found.start and found.stop <= joined_at + length:
                    shift = text_at - joined_at
                    span = doc.char_span(found.start + shift, found.stop + shift, label=found.type, alignment_mode="expand")
                    if span is not None:
                        spans.append(span)
                    break
        doc.ents = spacy.util.filter_spans(spans)
        return doc


# --- tokenizer -------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+|\s+|[^\w\s]|_")


class FastTokenizer:
    """Words, digit runs, single punctuation marks and whitespace runs. The components
    match legal forms and read names on the character level, so they need no more than
    this; spaCy's rule-based Russian tokenizer costs 1.5 ms per kB of mail, this one a
    fifth of it. «ООО«Ромашка»» comes out as ООО « Ромашка », "Ltd." as Ltd .
    """

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        for m in _TOKEN.finditer(text):
            tok = m.group()
            if tok[0].isspace():
                if tok[0] == " " and words and not spaces[-1] and not words[-1].isspace():
                    spaces[-1] = True
                    tok = tok[1:]
                if not tok:
                    continue
            words.append(tok)
            spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy serialises a pipeline's tokenizer; this one has no state worth saving.
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> FastTokenizer:
        return self


# --- pipeline --------------------------------------------------------------------------


def build_pipeline() -> Language:
    """A fresh pipeline: blank Russian tokenizer + natasha_ner, legal_orgs, quoted_names,
    requisites."""
    nlp = spacy.blank("ru")
    nlp.tokenizer = FastTokenizer(nlp.vocab)
    nlp.add_pipe("natasha_ner")
    nlp.add_pipe("legal_orgs")
    nlp.add_pipe("quoted_names")
    nlp.add_pipe("requisites")
    return nlp


@lru_cache(maxsize=1)
def get_pipeline() -> Language:
    """The process-wide pipeline, built on first use."""
    return build_pipeline()


def doc_text(doc: Doc) -> str:
    """The Doc's text. `Doc.text` joins every token on each access (a millisecond for a
    3 kB mail, and each component needs it), so `analyse` keeps the original string."""
    text = doc.user_data.get("text")
    return text if isinstance(text, str) else doc.text


def analyse(
    text: str,
    *,
    ner: bool = True,
    ner_ranges: Sequence[tuple[int, int]] = (),
    nlp: Language | None = None,
) -> Doc:
    """Run the pipeline on text; `ner=False` skips natasha (for quotes and attachments,
    where only legal forms and requisites are looked for); `ner_ranges` limits the NER to
    those character ranges (a greeting and a signature, not a 100-line order list)."""
    nlp = nlp or get_pipeline()
    # The stages cap what they hand over (message.MAX_TEXT_CHARS, MAX_HEADER_CHARS), so
    # this only guards against a new caller: past spaCy's limit make_doc raises (E088)
    # and the mail would lose all its facts instead of the tail of one text.
    text = text[: nlp.max_length]
    doc = nlp.make_doc(text)
    doc.user_data["text"] = text
    doc._.ner_ranges = tuple(ner_ranges)
    for name, proc in nlp.pipeline:
        if name == "natasha_ner" and not ner:
            continue
        doc = proc(doc)
    return doc


def org_mentions(doc: Doc) -> tuple[OrgMention, ...]:
    """Legal-form and quoted organisations of a processed Doc, in text order."""
    result: list[OrgMention] = []
    for group, source in (("orgs", "legal"), ("quoted", "quoted")):
        if group not in doc.spans:
            continue
        for span in doc.spans[group]:
            result.append(
                OrgMention(
                    text=span.text,
                    start=span.start_char,
                    end=span.end_char,
                    legal_form=span._.legal_form,
                    core=span._.core_name or span.text,
                    quoted=bool(span._.quoted),
                    source=source,
                )
            )
    result.sort(key=lambda o: o.start)
    return tuple(result)
