"""The one requisites normaliser: the digits of a labelled identifier as people write them
— grouped by spaces («ИНН 7456 972 710»), by dashes («7456-972-710»), or broken across a
line by a mail client's wrapping («ИНН 74569⏎72710», quote marks included). Every source
comes here the same way: the plain body, HTML turned into text (table cells become
«ИНН: 7707083893»), and attachments' text. Pure.

Only numbers standing right after an identifier label are joined: a phone number is
written in groups too, and joining unlabelled groups would invent identifiers. A joined
number is proposed at the lengths its label allows, cut only at a group boundary, and the
caller still checks its digits: nothing is accepted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn

# The lengths each label allows, longest-standing form first (an INN is 10 digits for an
# organisation, 12 for a person).
_LENGTHS = {"инн": (10, 12), "inn": (10, 12), "кпп": (9,), "kpp": (9,), "огрн": (13, 15), "ogrn": (13, 15), "огрнип": (15,), "ogrnip": (15,)}
# A qualifier between the label and the number: «ИНН организации», «ИНН (покупателя)».
QUALIFIER = (
    r"(?:\([^)\n]{0,20}\)[\s:.\-–—|*]*)?"
    r"(?:(?:организации|предприятия|учреждения|покупателя|плательщика|получателя|компании|клиента|фирмы|"
    r"общества|ИП|юр\.?\s*лица)[\s:.\-–—|*]*)?"
)
_SEP = r"(?:[ \t\u00a0]*[-–—][ \t\u00a0]*|[ \t\u00a0]*\n(?:[ \t\u00a0]*>)*[ \t\u00a0]*|[ \t\u00a0]{1,2})"
_WRITTEN = re.compile(
    r"(?<![А-Яа-яЁёA-Za-z])(?P<label>ОГРНИП|ОГРН|ИНН|КПП|OGRNIP|OGRN|INN|KPP)(?![А-Яа-яЁёA-Za-z])"
    rf"[\s:№#.=\-–—|*]*{QUALIFIER}"
    rf"(?P<number>\d{{1,12}}(?:{_SEP}\d{{1,12}}){{1,6}})(?![\d\w])",
    re.IGNORECASE,
)
_DIGIT_GROUP = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Written:
    """A labelled identifier written with separators: `value` its digits, [start, end)
    the span in the text from the first digit to the last one taken."""

    label: str
    key: str
    value: str
    start: int
    end: int


def _valid(key: str, value: str) -> bool:
    if key in ("инн", "inn"):
        return is_valid_inn(value)
    if key in ("кпп", "kpp"):
        return is_valid_kpp(value)
    return is_valid_ogrn(value)


def written_identifiers(text: str) -> tuple[Written, ...]:
    """Labelled identifiers whose digits are split by spaces, dashes or a line break, in
    text order. The first group alone of full length is not split (that is «ИНН
    7707083893 770701001», two numbers); otherwise the groups are joined up to a length
    the label allows, the first length whose digits hold winning, else the first length
    met (so a wrong one is still reported)."""
    result: list[Written] = []
    for m in _WRITTEN.finditer(text):
        key = m.group("label").lower()
        lengths = _LENGTHS[key]
        groups = list(_DIGIT_GROUP.finditer(text, m.start("number"), m.end("number")))
        if len(groups[0].group()) in lengths:
            continue
        digits = ""
        cuts: list[tuple[str, int]] = []
        for g in groups:
            digits += g.group()
            if len(digits) in lengths:
                cuts.append((digits, g.end()))
            if len(digits) >= max(lengths):
                break
        if not cuts:
            continue
        value, end = next(((v, e) for v, e in cuts if _valid(key, v)), cuts[0])
        result.append(Written(m.group("label"), key, value, m.start("number"), end))
    return tuple(result)
