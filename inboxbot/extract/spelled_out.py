"""An organisation abbreviated in one place and spelled out in another: the signature
signs «АО „СТК“», «ГАУЗ „ГБ № 9“», «ФГБОУ ВО СибГТУПП», and the body opens with «АО
„Свердловская теплосетевая компания“ осуществляет закупку…». The long name is the one
the manager and the client base know; the abbreviation's identifiers stay with it.

An abbreviation is read as segments — a capital letter, a capital followed by small
letters («Сиб»), a number, or a whole word («Кашинская») — and it spells out a name when
its segments match the name's words in order: a letter the word's first letter, a short
segment the word's beginning, a number the same number. Small words («и», «по», «№»)
may be skipped; a town may follow the name («… № 9 г. Казани»).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

_SEGMENT = re.compile(r"\d+|[A-ZА-ЯЁ][a-zа-яё]*|[a-zа-яё]+")
_WORD = re.compile(r"\d+|[A-Za-zА-Яа-яЁё]+\.?")
_SMALL = frozenset({"и", "по", "при", "в", "на", "для", "с", "им", "имени"})
_TOWN = frozenset({"г.", "г", "города", "пос.", "с.", "д."})
_ACRONYM = re.compile(r"[A-ZА-ЯЁ][a-zа-яё]{0,3}[A-ZА-ЯЁ]|\b[A-ZА-ЯЁ]{2,}\b")

T = TypeVar("T")


def is_abbreviated(core: str) -> bool:
    """A core with an acronym in it («СТК», «ГБ № 9», «СибГТУПП», «Кашинская ЦРБ»)."""
    return bool(_ACRONYM.search(core))


def spells_out(short: str, long: str) -> bool:
    """True when the long name is the abbreviated one written in full (module docstring);
    a qualifier before the abbreviation («ВО СибГТУПП») need not be in the long name."""
    words = short.split()
    return any(_spells_out(" ".join(words[i:]), long) for i in range(len(words)) if is_abbreviated(" ".join(words[i:])))


def _spells_out(short: str, long: str) -> bool:
    segments = _segments(short)
    words = _WORD.findall(long)
    if len(segments) < 2 or len(words) <= len(segments) - 1:
        return False
    i = j = 0
    while i < len(segments) and j < len(words):
        seg, word = segments[i], words[j].rstrip(".")
        if _matches(seg, word):
            i, j = i + 1, j + 1
        elif word.lower() in _SMALL or word == "№":
            j += 1
        else:
            return False
    if i < len(segments):
        return False
    tail = words[j:]
    return not tail or (tail[0].lower() in _TOWN and len(tail) <= 3)


def spelled_out(core: str, names: Iterable[tuple[str, T]]) -> T | None:
    """The one of `names` (long core, item) that spells `core` out, if exactly one does."""
    if not is_abbreviated(core):
        return None
    found = {long: item for long, item in names if long != core and spells_out(core, long)}
    return next(iter(found.values())) if len(found) == 1 else None


def _segments(short: str) -> list[str]:
    """«СибГТУПП» → Сиб Г Т У П П; «ГБ № 9» → Г Б 9; «Кашинская ЦРБ» → Кашинская Ц Р Б."""
    out: list[str] = []
    for word in re.findall(r"[A-Za-zА-Яа-яЁё]+|\d+", short):
        if word.isdigit() or (len(word) > 4 and word[1:].islower()):
            out.append(word)  # a number or a whole word
        else:
            out.extend(_SEGMENT.findall(word))
    return out


def _matches(segment: str, word: str) -> bool:
    if segment.isdigit() or word.isdigit():
        return segment == word
    if len(segment) > 4:  # a whole word: the same word, in any case ending
        return word.lower()[:4] == segment.lower()[:4]
    return word.lower().startswith(segment.lower())
