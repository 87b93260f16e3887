"""Company identifiers in a text: INN/KPP/OGRN/OGRNIP taken by their label and check
digits, and the numbers that look like one but must not be taken (bad check digit,
foreign ids, phones, order numbers), each with its reason. `find_requisites` is pure and
works without spaCy; the `requisites` component puts its answer on `Doc._`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from inboxbot.extract.docext import doc_text
from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn

# The component's name in the pipeline.
REQUISITES = "requisites"


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


@Language.component(REQUISITES)
def requisites_component(doc: Doc) -> Doc:
    accepted, rejected = find_requisites(doc_text(doc))
    doc._.requisites = accepted
    doc._.rejected = tuple(r for r in rejected if r.reason != "unlabelled")
    return doc
