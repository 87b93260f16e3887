"""Holdings (groups.csv): a group of companies owned by one manager or handled
independently, and where a mail names one of them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from inboxbot.directory.cells import split_list
from inboxbot.directory.names import normal_form
from inboxbot.directory.tables import column_indexes, read_table, row_getter
from inboxbot.errors import RulesError
from inboxbot.model.domains import normalize_domain

# one_owner_per_district: a new company of the group goes to whoever already handles the
# group's companies in its federal district (a holding with a buyer per district).
GROUP_POLICIES = ("one_owner", "independent", "one_owner_per_district")


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    policy: str  # one of GROUP_POLICIES
    owner: str | None
    aliases: tuple[str, ...]
    domains: tuple[str, ...]


def load_groups(path: Path) -> tuple[Group, ...]:
    """groups.csv: group, policy, owner, aliases (separated by ';'), optional domains.
    A small hand-edited config, so any problem is fatal and all are reported at once."""
    path = Path(path)
    header, rows = read_table(path)
    cols = column_indexes(
        path.name,
        header,
        {"group": "group", "policy": "policy", "owner": "owner", "aliases": "aliases", "domains": "domains"},
        ("group", "policy"),
    )
    groups: list[Group] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(cells):
            continue
        get = row_getter(cells, cols)
        name, policy, owner = get("group"), get("policy"), get("owner") or None
        where = f"{path.name}, строка {line}"
        if not name:
            problems.append(f"{where}: нет названия группы (колонка group)")
            continue
        if name.casefold() in seen:
            problems.append(f"{where}: группа «{name}» уже описана в строке {seen[name.casefold()]}")
        seen[name.casefold()] = line
        if policy not in GROUP_POLICIES:
            problems.append(f"{where}: политика «{policy}» неизвестна. Допустимо: {', '.join(GROUP_POLICIES)}")
        elif policy == "one_owner" and owner is None:
            problems.append(f"{where}: у группы «{name}» политика one_owner, но не указан владелец (колонка owner)")
        groups.append(
            Group(
                name=name,
                policy=policy,
                owner=owner,
                aliases=split_list(get("aliases"), r";"),
                domains=tuple(normalize_domain(d) for d in split_list(get("domains"), r"[;,\s]+")),
            )
        )
    if problems:
        raise RulesError("\n".join(problems))
    return tuple(groups)


_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")
_SHORT_ALIAS = 3  # ВКГ, ЮАХ, TVM: matched only when written in capitals
_FUZZY_ALIAS = 8  # words this long may carry one typo


def _norm_word(word: str) -> str:
    return normal_form(word.lower().replace("ё", "е"))


def find_group_mentions(text: str, groups: Sequence[Group]) -> tuple[tuple[Group, str], ...]:
    """Groups whose name or alias occurs in `text` (a company name or a whole mail), with
    the text that matched, in order of appearance. Tolerant of case, quotes, hyphens
    («Агроимпульс-Омск»), inflection («ГК „Молочная страна“» in «группы компаний
    „Молочной страны“») and one typo in words of 8+ letters. Aliases of up to three
    letters (ВКГ, TVM) count only in capitals, so ordinary words do not trigger them."""
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    normal = [_norm_word(w) for w, _, _ in words]
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(normal):
        positions.setdefault(n, []).append(i)

    def word_matches(i: int, wanted: str) -> bool:
        written = words[i][0]
        if len(wanted) <= _SHORT_ALIAS:
            return normal[i] == wanted and written.isupper()
        if normal[i] == wanted or written.lower().replace("ё", "е") == wanted:
            return True
        return len(wanted) >= _FUZZY_ALIAS and Levenshtein.distance(normal[i], wanted, score_cutoff=1) <= 1

    def starts(first: str) -> list[int]:
        """Positions whose word may be `first`; fuzzy candidates come from distinct words."""
        keys = (
            [first]
            if len(first) < _FUZZY_ALIAS
            else [n for n in positions if Levenshtein.distance(n, first, score_cutoff=1) <= 1]
        )
        found = sorted(i for k in keys for i in positions.get(k, ()))
        return [i for i in found if word_matches(i, first)]

    found: list[tuple[int, Group, str]] = []
    for group in groups:
        patterns = {tuple(_norm_word(w) for w in _WORD.findall(a)) for a in (group.name, *group.aliases)}
        taken: list[tuple[int, int]] = []
        for pattern in sorted((p for p in patterns if p), key=len, reverse=True):  # longest first
            for i in starts(pattern[0]):
                end = i + len(pattern)
                if end > len(words) or any(s <= i < e for s, e in taken):
                    continue
                if all(word_matches(i + j, pattern[j]) for j in range(1, len(pattern))):
                    taken.append((i, end))
                    found.append((words[i][1], group, text[words[i][1] : words[end - 1][2]]))
    found.sort(key=lambda f: f[0])
    return tuple((g, t) for _, g, t in found)
