"""VIP clients (vip.csv): who owns them, whatever the other rules say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from inboxbot.directory.cells import fix_inn
from inboxbot.directory.tables import column_indexes, read_table, row_getter
from inboxbot.errors import RulesError
from inboxbot.model.requisites import is_valid_inn


@dataclass(frozen=True, slots=True)
class VipEntry:
    name: str
    inn: str | None
    owner: str
    since: str | None
    line: int


def load_vip(path: Path) -> tuple[VipEntry, ...]:
    """vip.csv: name, inn, owner, since (YYYY-MM-DD). Every problem is reported at once."""
    path = Path(path)
    header, rows = read_table(path)
    wanted = {"name": "name", "inn": "inn", "owner": "owner", "since": "since"}
    cols = column_indexes(path.name, header, wanted, ("name", "owner"))
    entries: list[VipEntry] = []
    problems: list[str] = []
    for line, cells in rows:
        if not any(cells):
            continue
        get = row_getter(cells, cols)
        where = f"{path.name}, строка {line}"
        name, owner, since = get("name"), get("owner"), get("since") or None
        inn = fix_inn(get("inn")) or None
        if not name:
            problems.append(f"{where}: нет названия (колонка name)")
        if not owner:
            problems.append(f"{where}: не указан владелец (колонка owner)")
        if inn and not is_valid_inn(inn):
            problems.append(f"{where}: ИНН {inn} не проходит проверку контрольных цифр")
        if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
            problems.append(f"{where}: дата «{since}» — нужна дата вида 2025-06-01")
        entries.append(VipEntry(name=name, inn=inn, owner=owner, since=since, line=line))
    if problems:
        raise RulesError("\n".join(problems))
    return tuple(entries)
