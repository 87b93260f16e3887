"""A manager named in the subject or the new text by an addressing phrase: «прошу передать
Дмитрию Петрову», «для Петрова Д.С.», «вопрос к Смирновой», «Сидорову А.В. — нужен счёт».

Only a name after an addressing word (or a dative name opening a line, with initials or a
dash) counts: «ул. Петрова», «ИП Петрова» or a surname in running text are no address. The
name is read in any case (pymorphy3 forms, `rules.forms.name_parts`): surname with initials
in either order, first name with patronymic or surname, surname alone, first name alone.
Every word of the name must fit the manager («для Петрова Ивана» is another Petrov), and
initials must agree with the first name and patronymic."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inboxbot.rules.forms import NameParts, fold, inflections, is_name_word, name_parts
from inboxbot.rules.model import Rules

_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_INITIALS = r"[А-ЯЁ]\.[ \t]?(?:[А-ЯЁ]\.?)?"
_NAME = rf"(?P<name>{_WORD}[ \t]+{_INITIALS}|{_INITIALS}[ \t]?{_WORD}|{_WORD}(?:[ \t]+{_WORD}){{0,2}})"
# The addressing words; «пожалуйста», «менеджеру», «господину» may stand between them and the name.
_CUE = (
    r"(?:(?:прошу|просим|просьба)[ \t]+)?"
    r"(?:переда(?:ть|йте|й)|перешл(?:ите|и)|пересла(?:ть)|перенаправ(?:ить|ьте)|адресовано|адресую|"
    r"вниманию|в[ \t]+адрес|для|(?:вопрос\w*|обраща\w+|обращение)[ \t]+к|к)"
    r"(?:[ \t]*,?[ \t]*пожалуйста[ \t]*,?)?"
    r"(?:[ \t]+(?:менеджер\w*|господин\w*|госпож\w+|г-ну|г-же|сотрудник\w*))?"
)
_CUED = re.compile(rf"(?<![А-Яа-яЁё])(?P<cue>(?i:{_CUE}))[ \t]+{_NAME}")
# «Петрову Д.С. — нужен счёт», «Смирновой О.В.:» opening a line: a memo's addressee.
_LINE_START = re.compile(rf"^[ \t]*{_NAME}[ \t]*(?:[—–:]|-[ \t])", re.MULTILINE)
_TOKEN = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")


@dataclass(frozen=True, slots=True)
class Mention:
    """A manager named in a text: the phrase as written and the name inside it."""

    manager_id: str
    phrase: str
    name: str
    start: int


def find_mentions(text: str, rules: Rules, *, exclude: Iterable[str] = ()) -> tuple[Mention, ...]:
    """Every addressing phrase in `text` whose name fits exactly one manager, in text order.
    Names whose every word is one of `exclude` (the sender's own name) are skipped."""
    own = frozenset(fold(w) for w in exclude)
    found: list[Mention] = []
    for pattern in (_CUED, _LINE_START):
        for m in pattern.finditer(text):
            words, initials = _split(m.group("name"))
            if pattern is _LINE_START and not (initials or m.group(0).rstrip().endswith(("—", "–", "-", ":"))):
                continue
            # «передайте Ольге Викторовне Сергеевой…»: the longest run of words that fits.
            for size in range(len(words), 0, -1):
                if own and all(_is_own(w, own) for w in words[:size]):
                    break
                owners = [mid for mid, parts in _parts(rules) if _fits(words[:size], initials, parts)]
                if len(owners) == 1:
                    end = m.end("name") if size == len(words) else _word_end(text, m.start("name"), size)
                    name = text[m.start("name") : end]
                    found.append(Mention(owners[0], text[m.start() : end].strip(), name, m.start()))
                    break
                if owners or initials or is_name_word(words[size - 1]):
                    break  # «Петрову Ивану» is another Petrov, not Petrov and a stray word
    found.sort(key=lambda x: x.start)
    return tuple(found)


def _split(name: str) -> tuple[tuple[str, ...], str]:
    """Folded name words and the initials, in the order written («Д.С.» → «дс»)."""
    words = tuple(fold(t) for t in _TOKEN.findall(name) if len(t) > 1)
    initials = "".join(fold(c) for c in re.findall(r"([А-ЯЁ])\.", name))
    return words, initials


def _word_end(text: str, start: int, size: int) -> int:
    """Where the `size`-th word of the name starting at `start` ends."""
    words = list(_TOKEN.finditer(text, start))
    return words[size - 1].end()


def _parts(rules: Rules) -> list[tuple[str, NameParts]]:
    result: list[tuple[str, NameParts]] = []
    for manager in rules.managers.values():
        parts = name_parts(manager.name)
        if parts is not None:
            result.append((manager.id, parts))
    return result


def _fits(words: tuple[str, ...], initials: str, parts: NameParts) -> bool:
    """Every word is the manager's surname, first name or patronymic (a patronymic only
    after the first name), the initials agree, and the name is not a patronymic alone."""
    kinds: list[str] = []
    for w in words:
        if w in parts.surname and "surname" not in kinds:
            kinds.append("surname")
        elif w in parts.first and "first" not in kinds:
            kinds.append("first")
        elif w in parts.patronymic and "first" in kinds and "patronymic" not in kinds:
            kinds.append("patronymic")
        else:
            return False
    if initials:
        return kinds == ["surname"] and parts.initials.startswith(initials)
    return bool(kinds)


def _is_own(word: str, own: frozenset[str]) -> bool:
    return word in own or any(word in inflections(o) for o in own if o[:1] == word[:1])
