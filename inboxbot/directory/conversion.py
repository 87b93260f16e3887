"""Conversion by manager (a CSV or XLSX exported from the CRM or 1C: manager, requests,
deals) and the pool weights it gives.

The weight rule, as the demo rules.toml says it: weight = the manager's conversion
(deals ÷ requests) ÷ the average conversion of the pool members in the file, never
below `floor` — so a manager with a bad quarter still gets some mail and a chance to
improve, and weights stay near 1 whatever the department's own conversion is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from inboxbot.directory.tables import read_table, row_getter
from inboxbot.errors import RulesError

# Column names the exports use, ours first (header matching ignores case).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "manager": ("manager", "менеджер", "ответственный"),
    "requests": ("requests", "заявки", "заявок", "обращения"),
    "deals": ("deals", "сделки", "сделок", "продажи"),
}


@dataclass(frozen=True, slots=True)
class Conversion:
    manager: str
    requests: int
    deals: int
    line: int

    @property
    def rate(self) -> float | None:
        return self.deals / self.requests if self.requests else None


def load_conversion(path: Path) -> tuple[Conversion, ...]:
    """The rows of the file; RulesError listing every bad row («file, строка N: …»)."""
    header, rows = read_table(path)
    cols, missing = _columns(header)
    if missing:
        raise RulesError(
            f"{path.name}: нет колонок {', '.join(missing)}. Найдены колонки: {', '.join(h for h in header if h) or '(пустая первая строка)'}. "
            "Нужны три колонки: manager (id менеджера), requests (заявок), deals (сделок)"
        )
    entries: list[Conversion] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        get = row_getter(cells, cols)
        where = f"{path.name}, строка {line}"
        manager, requests, deals = get("manager"), _count(get("requests")), _count(get("deals"))
        if not manager:
            problems.append(f"{where}: не указан менеджер (колонка manager)")
        elif manager in seen:
            problems.append(f"{where}: менеджер «{manager}» уже указан в строке {seen[manager]}; оставьте одну строку")
        if requests is None:
            problems.append(f"{where}: requests — целое число заявок, 0 или больше; указано «{get('requests')}»")
        if deals is None:
            problems.append(f"{where}: deals — целое число сделок, 0 или больше; указано «{get('deals')}»")
        elif requests is not None and deals > requests:
            problems.append(f"{where}: сделок ({deals}) больше, чем заявок ({requests}) — проверьте выгрузку")
        if manager and requests is not None and deals is not None and manager not in seen:
            entries.append(Conversion(manager, requests, deals, line))
        if manager:
            seen.setdefault(manager, line)
    if problems:
        raise RulesError("\n".join(problems))
    return tuple(entries)


def conversion_weights(rows: Sequence[Conversion], members: Sequence[str], floor: float) -> dict[str, float]:
    """Weight of each member with a known conversion (see the module's rule), rounded to
    two places; members without a row, or without requests, are not in the result."""
    rates = {r.manager: r.rate for r in rows if r.manager in members and r.rate is not None}
    if not rates:
        return {}
    average = sum(rates.values()) / len(rates)
    return {m: round(max(rate / average if average else 1.0, floor), 2) for m, rate in rates.items()}


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    names = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    cols = {f: next(names[a] for a in aliases if a in names) for f, aliases in COLUMNS.items() if any(a in names for a in aliases)}
    return cols, [f for f in COLUMNS if f not in cols]


def _count(text: str) -> int | None:
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    return int(cleaned) if cleaned.isdigit() else None
