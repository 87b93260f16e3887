"""[presence]: «кто сегодня не на месте» — a table the head or the secretary edits in the
morning (CSV or XLSX beside rules.toml, reloaded when saved like the client base). Each
row is one person away on one day, the whole day or some hours of it; the bot treats it
as an [[absence]] of that day: the mail goes to the backup named in the row, or to the
head. A row of another day does nothing, so yesterday's list cannot misroute today's mail.

Columns: дата; менеджер (id or surname); заместитель (optional); с, до (optional hours);
причина (optional).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from inboxbot.model.roster import parse_hours
from inboxbot.rules.head_tables import Cell, read_head_table
from inboxbot.rules.model import Absence, Manager
from inboxbot.rules.problems import cell_text, suggest, valid_list
from inboxbot.rules.reader import Reader
from inboxbot.rules.roster import manager_by_name
from inboxbot.rules.settings import setting
from inboxbot.rules.values import as_date

REASON = "нет на месте"
_COLUMNS = {
    "date": ("дата", "date", "день"), "manager": ("менеджер", "manager", "кто", "сотрудник"),
    "backup": ("заместитель", "backup", "замещает"), "from": ("с", "from"), "to": ("до", "по", "to"),
    "reason": ("причина", "reason"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PresenceSection:
    """[presence]: the table of who is not in today."""

    file: Path | None = setting(None, "file", required=True)


def read_presence(ctx: Reader, managers: Mapping[str, Manager], head: str | None, sources: list[Path]) -> list[Absence]:
    """The absences the [presence] table lists; each bad row reported with its line."""
    return read_head_table(
        ctx, "presence", PresenceSection, _COLUMNS, "и, если нужно, «заместитель», «с», «до», «причина»", sources,
        lambda line, cell, error, _name: _row(line, cell, managers, head, error),
    )


def _row(
    line: int, cell: Cell, managers: Mapping[str, Manager], head: str | None, error: Callable[[int, str], None],
) -> Absence | None:
    day = as_date(cell("date"))
    if day is None:
        error(line, f"дата «{cell_text(cell('date'))}» — нужна вида 03.06.2026 (или 2026-06-03)")
        return None
    who, backup = _person(line, cell("manager"), managers, error), head
    if cell("backup"):
        backup = _person(line, cell("backup"), managers, error)
    if who is None or backup is None:
        return None
    if backup == who:
        error(line, f"«{cell_text(cell('manager'))}» не может замещать сам себя — укажите заместителя или оставьте колонку пустой (тогда письма получит руководитель)")
        return None
    start, end = cell("from"), cell("to")
    hours = None
    if start or end:
        try:
            hours = parse_hours(f"{start or '00:00'}-{end or '24:00'}")
        except ValueError as exc:
            error(line, str(exc))
            return None
    start_time = hours[0] if hours and hours[0].hour + hours[0].minute else None
    end_time = hours[1] if hours else None
    return Absence(who, day, day, backup, cell("reason") or REASON, line, start_time, end_time)


def _person(line: int, text: str, managers: Mapping[str, Manager], error: Callable[[int, str], None]) -> str | None:
    found = manager_by_name(text, managers)
    if found is None:
        ids = list(managers)
        error(line, f"неизвестный менеджер «{cell_text(text)}»{suggest(text, ids)}. Допустимые: {valid_list(ids)} (или фамилия менеджера)")
    return found
