"""[[absence]] entries: who is away when and who stands in, without overlaps or circles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inboxbot.rules.model import Absence
from inboxbot.rules.problems import shown
from inboxbot.rules.reader import Reader, section_array
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import TIME_RANGE, as_day_time, bad_time

_DATE = "дата вида 2025-07-07 (или «07.07.2025»)"
_TIMED = "; со временем — 2025-06-16T14:00 (или «16.06.2025 14:00»)"

DayTime = tuple[date, time | None]


def _date(read: Section, key: str, value: Any) -> DayTime | None:
    zone: ZoneInfo | None = read.env
    found = as_day_time(value, zone)
    if found is None:
        hour = bad_time(value)
        given = (
            f", а указано «{value}»" if isinstance(value, str) else f"; {shown(value)}" if value is not None
            else ", а она не указана"
        )  # fmt: skip
        read.error(
            read.line(key) if read.given(key) else read.line(),
            f"«{key}»: время «{hour}» не бывает — {TIME_RANGE}" if hour else f"«{key}»: нужна {_DATE}{given}",
            key,
        )
    return found


def _start(read: Section, value: Any) -> DayTime | None:
    found = _date(read, "from", value)
    if found is None:
        return None
    day, at = found
    return day, at if at != time(0) else None


def _end(read: Section, value: Any) -> DayTime | None:
    start, found = read.values["start"], _date(read, "to", value)
    if found is None:
        return None
    day, at = found
    # «to = 2025-06-20» is through the 20th; «to = 2025-06-20T00:00» is back on the 20th.
    end: DayTime = (day - timedelta(days=1), None) if at == time(0) else (day, at)
    if start is not None and _moment(end, last=True) <= _moment(start, last=False):
        if start[1] is None and at is None:
            text = f"дата окончания {end[0]:%d.%m.%Y} раньше даты начала {start[0]:%d.%m.%Y}"
        else:
            text = (
                f"окончание {_moment(end, last=True):%d.%m.%Y %H:%M} не позже начала {_moment(start, last=False):%d.%m.%Y %H:%M}; "
                "«to» — когда менеджер снова на месте"
            )
        read.error(read.line("to"), text, "to")
    return end


def _moment(found: DayTime, *, last: bool) -> datetime:
    day, at = found
    if at is not None:
        return datetime.combine(day, at)
    return datetime.combine(day + timedelta(days=1) if last else day, time(0))


def _not_self(read: Section, value: str | None) -> str | None:
    if value is not None and "backup" not in read.bad and value == read.values["manager"]:
        read.error(read.line("backup"), "менеджер не может замещать сам себя", "backup")
    return value


@dataclass(frozen=True, slots=True)
class AbsenceSection:
    """One [[absence]] as rules.toml writes it."""

    manager: str = setting(None, "manager", label="manager", required=True)
    start: DayTime | None = setting(None, "any", key="from", what=_DATE + _TIMED, check=_start)
    end: DayTime | None = setting(None, "any", key="to", what=_DATE + _TIMED, check=_end)
    backup: str = setting(None, "manager", label="backup", required="не указан заместитель (backup = \"…\")", check=_not_self)
    reason: str = setting("отсутствует", "text", example="в отпуске")


def read_absences(ctx: Reader, head: str | None, zone: ZoneInfo | None) -> list[Absence]:
    result: list[Absence] = []
    for index, entry in enumerate(section_array(ctx, "absence")):
        path: tuple[object, ...] = ("absence", index)
        manager = entry.get("manager")
        where = f"отсутствие «{manager}»" if isinstance(manager, str) else f"отсутствие №{index + 1}"
        s, read = read_section(ctx, AbsenceSection, entry, path, where, zone)
        if s is not None and not read.bad and s.start and s.end:
            (start, start_time), (end, end_time) = s.start, s.end
            reason = s.reason or "отсутствует"
            result.append(Absence(s.manager, start, end, s.backup, reason, ctx.pos.line(*path), start_time, end_time))
    _overlaps(ctx, result)
    _cycles(ctx, result, head)
    return result


def _overlaps(ctx: Reader, absences: list[Absence]) -> None:
    """Two absences of one manager that share a day."""
    for i, a in enumerate(absences):
        for b in absences[i + 1 :]:
            if a.manager == b.manager and a.begins < b.ends and b.begins < a.ends:
                ctx.p.error(
                    b.line, f"отсутствие «{b.manager}»",
                    f"пересекается с отсутствием в строке {a.line} ({a.span})",
                )  # fmt: skip


def _cycles(ctx: Reader, absences: list[Absence], head: str | None) -> None:
    """Backups that lead round in a circle on the first day of an absence, each circle once."""
    reported: set[frozenset[str]] = set()
    for absence in absences:
        day = absence.start
        away = {a.manager: a for a in absences if a.active_at(absence.begins)}
        current, seen = absence.manager, [absence.manager]
        while current in away:
            current = away[current].backup
            if current in seen:
                cycle = [*seen[seen.index(current) :], current]
                cycle_key = frozenset(cycle)
                if cycle_key not in reported:
                    reported.add(cycle_key)
                    ctx.p.error(
                        absence.line, f"отсутствие «{absence.manager}»",
                        f"заместители по кругу на {day:%d.%m.%Y}: {' → '.join(cycle)}; "
                        f"укажите заместителем того, кто в эти дни работает"
                        + (f" (или руководителя «{head}»)" if head else ""),
                    )  # fmt: skip
                break
            seen.append(current)
