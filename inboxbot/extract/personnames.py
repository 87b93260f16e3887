"""Person names: whether words are a Russian first name, patronymic or surname
(pymorphy3's Name/Surn/Patr tags), and a name in any case brought to the nominative."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from inboxbot.directory.names import morph

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")
GREETING = r"(?:добрый\s+(?:день|вечер)|доброе\s+утро|доброго\s+(?:дня|времени\s+суток)|здравствуйте|привет|приветствую)"
GREETING_RE = re.compile(GREETING, re.IGNORECASE)


@lru_cache(maxsize=20_000)
def _name_parses(word: str) -> tuple[Any, ...]:
    return tuple(p for p in morph().parse(word) if {"Name", "Surn", "Patr"} & set(str(p.tag).replace(" ", ",").split(",")))  # type: ignore[attr-defined]


def normalize_person(name: str) -> str | None:
    """A Russian name in any case → nominative («Ирине Ивановой» → «Ирина Иванова»,
    «Ольги Викторовны» → «Ольга Викторовна»); None unless every word is a first name,
    patronymic or surname (or initials). Latin names come back as written."""
    words = name.split()
    if not words:
        return None
    if not re.search(r"[А-ЯЁа-яё]", name):
        return name.strip()
    parses = [_name_parses(w.lower()) for w in words]
    if not all(parses):
        return None
    # The case and gender all words share: the first word's likeliest reading decides.
    for first in parses[0]:
        case = first.tag.case
        gender = first.tag.gender
        if case is None:
            continue
        result: list[str] = []
        for options in parses[: len(words)]:
            match = next((p for p in options if p.tag.case == case and (gender is None or p.tag.gender in (gender, None))), None)
            if match is None:
                break
            wanted = {"nomn", "sing"}
            inflected = match.inflect(wanted) or match
            result.append("-".join(part.capitalize() for part in inflected.word.split("-")))
        else:
            if not any("Name" in str(p.tag) for options in parses for p in options[:1]) and len(words) == 1:
                continue
            return " ".join(result)
    return None


def name_words(name: str) -> frozenset[str]:
    """Words of a name for comparison: «Никонова Е. В.» = «Никонова Е.В» = «никонова е в»."""
    return frozenset(w for w in re.split(r"[\s.]+", name.lower().replace("ё", "е")) if w)


def is_person_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 3 and all(_name_parses(w.lower().strip(".,")) for w in words if len(w.strip(".")) > 1)


_WORD = re.compile(r"[А-ЯЁ][а-яё]{2,}")


@lru_cache(maxsize=20_000)
def first_names(text: str) -> frozenset[str]:
    """The first names a text writes, as their nominative: capitalised words whose
    singular reading is a first name («Ильдар Маратович» → ильдар, «Алсу, закажи» → алсу)."""
    out: set[str] = set()
    for word in _WORD.findall(text):
        for parse in morph().parse(word.lower()):  # type: ignore[attr-defined]
            if "Name" in parse.tag.grammemes and "sing" in parse.tag.grammemes:
                out.add(parse.normal_form.replace("ё", "е"))
    return frozenset(out)
