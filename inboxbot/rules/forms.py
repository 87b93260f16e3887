"""Manager name forms: the ways people address a manager (first name, diminutives, Latin
spellings) and their case forms, folded into tokens that greetings and signatures match."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from inboxbot.directory.names import morph

# First name → common diminutives (forms people use when they write to a manager).
DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "александр": ("Саша", "Шура"), "александра": ("Саша",), "алексей": ("Лёша", "Алёша"),
    "анастасия": ("Настя",), "анатолий": ("Толя",), "андрей": ("Андрюша",), "анна": ("Аня",),
    "антон": ("Антоша",), "борис": ("Боря",), "валентина": ("Валя",), "валерий": ("Валера",),
    "василий": ("Вася",), "виктор": ("Витя",), "виктория": ("Вика",), "владимир": ("Володя", "Вова"),
    "владислав": ("Влад",), "галина": ("Галя",), "георгий": ("Жора",), "григорий": ("Гриша",),
    "дарья": ("Даша",), "денис": ("Дэн",), "дмитрий": ("Дима", "Митя"), "евгений": ("Женя",),
    "евгения": ("Женя",), "екатерина": ("Катя",), "елена": ("Лена",), "елизавета": ("Лиза",),
    "иван": ("Ваня",), "игорь": ("Игорёк",), "ирина": ("Ира",), "константин": ("Костя",),
    "ксения": ("Ксюша",), "людмила": ("Люда",), "максим": ("Макс",), "мария": ("Маша",),
    "михаил": ("Миша",), "надежда": ("Надя",), "наталья": ("Наташа",), "наталия": ("Наташа",),
    "николай": ("Коля",), "ольга": ("Оля",), "павел": ("Паша",), "пётр": ("Петя",), "петр": ("Петя",),
    "роман": ("Рома",), "сергей": ("Серёжа",), "светлана": ("Света",), "станислав": ("Стас",),
    "татьяна": ("Таня",), "юлия": ("Юля",), "юрий": ("Юра",), "ярослав": ("Слава",),
}  # fmt: skip

_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


def _latin_variants(word: str) -> set[str]:
    """«Дмитрий» → dmitriy, dmitry, dmitrii; «Алексей» → aleksey, alexey, aleksei…"""
    low = word.lower()
    base = low.translate(_LATIN)
    out = {base}
    if low.endswith("ий"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "iy", stem + "y", stem + "ii", stem + "i"}
    if low.endswith("ей"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "ey", stem + "ei"}
    if low.endswith("ья"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "ia", stem + "ya"}
    out |= {v.replace("ks", "x") for v in out}
    out |= {v.replace("kh", "h") for v in out}
    return {v.capitalize() for v in out}


def derive_forms(full_name: str) -> tuple[str, ...]:
    """The usual ways to address a person named «Фамилия Имя Отчество»: first name,
    first name + patronymic, first name + surname, surname + first name, surname,
    diminutives, and Latin spellings (Dmitry Petrov, Mr. Petrov)."""
    parts = full_name.split()
    if len(parts) < 2:
        return tuple(parts)
    surname, first = parts[0], parts[1]
    patronymic = parts[2] if len(parts) > 2 else ""
    forms = [first, surname, f"{first} {surname}", f"{surname} {first}"]
    if patronymic:
        forms += [f"{first} {patronymic}", f"{surname} {first} {patronymic}", f"{first} {patronymic} {surname}"]
    forms += DIMINUTIVES.get(first.lower().replace("ё", "е"), DIMINUTIVES.get(first.lower(), ()))
    female = surname.lower().endswith(("а", "я"))
    for latin_first in sorted(_latin_variants(first)):
        for latin_surname in sorted(_latin_variants(surname)):
            forms.append(f"{latin_first} {latin_surname}")
    for latin_surname in sorted(_latin_variants(surname)):
        titles = ("Ms.", "Mrs.", "Ms", "Mrs") if female else ("Mr.", "Mr")
        forms += [f"{t} {latin_surname}" for t in titles]
    return tuple(dict.fromkeys(forms))


_NAME_TOKEN = re.compile(r"[A-Za-zА-Яа-яЁё]+")


def fold(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=4096)
def inflections(word: str) -> frozenset[str]:
    """All case forms of a person's name part («Дмитрий» → дмитрия, дмитрию…), folded.
    Only name-like parses (Name, Surn, Patr) are inflected, in the gender written."""
    folded = fold(word)
    out = {folded}
    if not re.search(r"[а-яё]", word.lower()):
        return frozenset(out)
    analyzer: Any = morph()
    for parse in analyzer.parse(word.lower()):
        grammemes = parse.tag.grammemes
        if not ({"Name", "Surn", "Patr"} & grammemes) or "nomn" not in grammemes:
            continue
        gender = parse.tag.gender
        for form in parse.lexeme:
            if form.tag.gender in (gender, None) and "sing" in form.tag.grammemes:
                out.add(fold(form.word))
    return frozenset(out)


@lru_cache(maxsize=4096)
def is_name_word(word: str) -> bool:
    """Whether a word can be a person's first name, surname or patronymic, in any case."""
    analyzer: Any = morph()
    return any({"Name", "Surn", "Patr"} & parse.tag.grammemes for parse in analyzer.parse(fold(word)))


@lru_cache(maxsize=4096)
def name_kind(word: str) -> str | None:
    """Which part of a person's name a word can only be: «Name», «Surn» or «Patr» (any
    case: «Ивану» → Name, «Петрову» → Surn); None when it can be none or several. Only
    singular readings count: a person is addressed in the singular («Петров» is also the
    genitive plural of «Пётр»)."""
    analyzer: Any = morph()
    parses = (p for p in analyzer.parse(fold(word)) if "sing" in p.tag.grammemes)
    kinds = {g for parse in parses for g in parse.tag.grammemes if g in ("Name", "Surn", "Patr")}
    return next(iter(kinds)) if len(kinds) == 1 else None


def form_tokens(form: str) -> tuple[frozenset[str], ...]:
    return tuple(inflections(token) for token in _NAME_TOKEN.findall(form) if fold(token) not in ("mr", "ms", "mrs"))


def name_tokens(text: str) -> tuple[str, ...]:
    """Folded word tokens of a text, for matching against `form_tokens`."""
    return tuple(fold(t) for t in _NAME_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class NameParts:
    """A manager's name split for reading it inside a sentence: every case form of the
    surname, of the first name (diminutives included) and of the patronymic, folded, and
    the initials of the first name and patronymic («ДС»)."""

    surname: frozenset[str]
    first: frozenset[str]
    patronymic: frozenset[str]
    initials: str


@lru_cache(maxsize=256)
def name_parts(full_name: str) -> NameParts | None:
    """«Петров Дмитрий Сергеевич» → its parts in every case; None without a first name."""
    parts = full_name.split()
    if len(parts) < 2:
        return None
    surname, first = parts[0], parts[1]
    patronymic = parts[2] if len(parts) > 2 else ""
    diminutives = DIMINUTIVES.get(fold(first), ())
    firsts = inflections(first).union(*(inflections(d) for d in diminutives))
    return NameParts(
        surname=inflections(surname),
        first=firsts,
        patronymic=inflections(patronymic) if patronymic else frozenset(),
        initials=fold(first[0] + (patronymic[:1] if patronymic else "")),
    )
