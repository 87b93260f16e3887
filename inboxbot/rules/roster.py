"""[[duty]] entries and the [roster] file: the duty roster the `duty` condition follows.

A [[duty]] entry names a manager and when: one day (`date`), a week from its Monday
(`week`), a month (`month = "2026-06"`) or a period (`from`/`to`), optionally narrowed to
some weekdays (`days = "пн-пт"`) and hours (`hours = "09:00-13:00"`). The roster file is
a table the head keeps (CSV or XLSX: дата, с, до, менеджер), reloaded when it changes like
the client base. Both become one-day shifts; overlapping ones are rejected — one moment,
one person on duty.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from inboxbot.model.roster import DAYS_EXAMPLE, HOURS_EXAMPLE, Roster, Shift, parse_days, parse_hours
from inboxbot.model.worktime import WorkingHours
from inboxbot.rules.forms import fold
from inboxbot.rules.head_tables import Cell, read_head_table
from inboxbot.rules.model import Manager
from inboxbot.rules.problems import cell_text, shown, suggest, valid_list
from inboxbot.rules.reader import Reader, section_array
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import as_date

MAX_DAYS = 366  # one entry covers at most a year: a typo in a year must not make 10**5 shifts
_WAYS = (
    "date = 2026-06-02 (один день), week = 2026-06-01 (неделя с понедельника), "
    "month = \"2026-06\" (месяц) или from = 2026-06-01 и to = 2026-06-14 (период)"
)
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})|(\d{1,2})\.(\d{4})")
# days = "рабочие": the department's working days by the production calendar (a holiday
# off, a working Saturday on), not a fixed set of weekdays.
WORKING_DAYS: tuple[int, ...] = (-1,)
_WORKING_WORDS = ("рабочие", "рабочие дни", "по рабочим дням", "working days")
_WEEKDAY_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_COLUMNS = {"date": ("дата", "date", "день"), "from": ("с", "from", "начало"), "to": ("до", "по", "to", "конец"),
            "manager": ("менеджер", "manager", "дежурный")}  # fmt: skip


def _a_date(read: Section, key: str, value: Any) -> date | None:
    if not read.given(key):
        return None
    if isinstance(value, datetime):  # the time would be dropped without a word
        read.error(read.line(key), f"«{key}» — дата без времени, например {key} = {value:%Y-%m-%d}; часы дежурства — в hours = \"09:00-13:00\"", key)
        return None
    day = as_date(value)
    if day is None:
        given = f", а указано «{value}»" if isinstance(value, str) else f"; {shown(value)}"
        read.error(read.line(key), f"«{key}»: нужна дата вида 2026-06-02 (или «02.06.2026»){given}", key)
    return day


def _week(read: Section, value: Any) -> date | None:
    day = _a_date(read, "week", value)
    if day is not None and day.weekday() != 0:
        monday = day - timedelta(days=day.weekday())
        read.error(
            read.line("week"),
            f"{day:%d.%m.%Y} — {_WEEKDAY_NAMES[day.weekday()]}; week — понедельник недели, например week = {monday:%Y-%m-%d}",
            "week",
        )
        return None
    return day


def _month(read: Section, value: Any) -> tuple[date, date] | None:
    if not read.given("month"):
        return None
    match = _MONTH_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    year, month = (int(match.group(1) or match.group(4)), int(match.group(2) or match.group(3))) if match else (0, 0)
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        read.error(read.line("month"), f"month — месяц в кавычках, например month = \"2026-06\" (или \"06.2026\"); {shown(value)}", "month")
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _days(read: Section, value: Any) -> tuple[int, ...] | None:
    if not read.given("days"):
        return None
    text = ", ".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value
    if isinstance(text, str) and " ".join(text.casefold().split()) in _WORKING_WORDS:
        return WORKING_DAYS
    try:
        if not isinstance(text, str):
            raise ValueError(f"days — дни в кавычках, например days = {DAYS_EXAMPLE}; {shown(value)}")
        return parse_days(text)
    except ValueError as exc:
        read.error(read.line("days"), f"days: {exc}", "days")
        return None


def _hours(read: Section, value: Any) -> tuple[time, time | None] | None:
    if not read.given("hours"):
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(f"hours — часы в кавычках, например hours = {HOURS_EXAMPLE}; {shown(value)}")
        return parse_hours(value)
    except ValueError as exc:
        read.error(read.line("hours"), f"hours: {exc}", "hours")
        return None


@dataclass(frozen=True, slots=True)
class DutySection:
    """One [[duty]] as rules.toml writes it."""

    manager: str = setting(None, "manager", label="manager", required=True)
    day: date | None = setting(None, "any", key="date", what="дата дежурства", check=lambda r, v: _a_date(r, "date", v))
    week: date | None = setting(None, "any", what="понедельник недели", check=_week)
    month: tuple[date, date] | None = setting(None, "any", what="месяц", check=_month)
    start: date | None = setting(None, "any", key="from", what="первый день", check=lambda r, v: _a_date(r, "from", v))
    end: date | None = setting(None, "any", key="to", what="последний день", check=lambda r, v: _a_date(r, "to", v))
    days: tuple[int, ...] | None = setting(
        None, "any", what=f"дни недели, например {DAYS_EXAMPLE}, или \"рабочие\" (по производственному календарю)", check=_days
    )
    hours: tuple[time, time | None] | None = setting(None, "any", what=f"часы, например {HOURS_EXAMPLE}", check=_hours)


def read_roster(ctx: Reader, managers: Mapping[str, Manager], sources: list[Path], hours: WorkingHours) -> Roster:
    """The shifts of every [[duty]] and of the [roster] file; overlaps reported. `hours`
    (with the production calendar) say which days are working for days = "рабочие"."""
    shifts: list[Shift] = []
    for index, entry in enumerate(section_array(ctx, "duty")):
        path: tuple[object, ...] = ("duty", index)
        manager = entry.get("manager")
        where = f"дежурство «{manager}»" if isinstance(manager, str) else f"дежурство №{index + 1}"
        s, read = read_section(ctx, DutySection, entry, path, where, hours)
        if s is not None and not read.bad:
            shifts.extend(_entry_shifts(read, s, ctx.path.name, ctx.pos.line(*path)))
    shifts.extend(_file_shifts(ctx, managers, sources))
    roster = Roster(tuple(shifts))
    _overlaps(ctx, roster)
    return roster


def _entry_shifts(read: Section, s: DutySection, source: str, line: int) -> list[Shift]:
    given = [k for k, v in (("date", s.day), ("week", s.week), ("month", s.month), ("from", s.start)) if v is not None]
    if (s.start is None) != (s.end is None):
        read.error(line, "у периода нужны обе даты: from = 2026-06-01 и to = 2026-06-14")
        return []
    if len(given) != 1:
        read.error(
            line,
            f"укажите, когда дежурство: {_WAYS}" if not given
            else f"срок указан несколькими способами ({', '.join(given)}) — оставьте один: {_WAYS}",
        )  # fmt: skip
        return []
    first, last = _period(s)
    if last < first:
        read.error(read.line("to"), f"дата окончания {last:%d.%m.%Y} раньше даты начала {first:%d.%m.%Y}")
        return []
    if (last - first).days >= MAX_DAYS:
        read.error(read.line("to"), f"период длиннее года ({first:%d.%m.%Y}–{last:%d.%m.%Y}): разбейте его на несколько записей")
        return []
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    if s.days == WORKING_DAYS:
        working: WorkingHours = read.env
        days = [d for d in days if working.is_working_day(d)]
    elif s.days is not None:
        days = [d for d in days if d.weekday() in s.days]
        if not days:
            period = f"{first:%d.%m.%Y}" if first == last else f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"
            read.error(read.line("days"), f"за {period} нет ни одного дня из days — проверьте days или срок")
            return []
    start, end = s.hours or (time(0), None)
    return [Shift(s.manager, d, start, end, source, line) for d in days]


def _period(s: DutySection) -> tuple[date, date]:
    if s.day is not None:
        return s.day, s.day
    if s.week is not None:
        return s.week, s.week + timedelta(days=6)
    if s.month is not None:
        return s.month
    assert s.start is not None and s.end is not None  # exactly one way was given
    return s.start, s.end


@dataclass(frozen=True, slots=True)
class RosterFileSection:
    """[roster]: the roster table beside rules.toml."""

    file: Path | None = setting(None, "file", required=True)


def _file_shifts(ctx: Reader, managers: Mapping[str, Manager], sources: list[Path]) -> list[Shift]:
    return read_head_table(
        ctx, "roster", RosterFileSection, _COLUMNS, "и, если дежурство не на весь день, «с» и «до»", sources,
        lambda line, cell, error, name: _row(line, cell, managers, error, name),
    )


def _row(
    line: int, cell: Cell, managers: Mapping[str, Manager], error: Any, source: str
) -> Shift | None:
    day = as_date(cell("date"))
    if day is None:
        error(line, f"дата «{cell_text(cell('date'))}» — нужна вида 02.06.2026 (или 2026-06-02)")
        return None
    who = manager_by_name(cell("manager"), managers)
    if who is None:
        ids = list(managers)
        error(
            line,
            f"неизвестный менеджер «{cell_text(cell('manager'))}»{suggest(cell('manager'), ids)}. "
            f"Допустимые: {valid_list(ids)} (или фамилия менеджера)",
        )
        return None
    start, end = cell("from"), cell("to")
    if not start and not end:
        return Shift(who, day, source=source, line=line)
    try:
        hours = parse_hours(f"{start or '00:00'}-{end or '24:00'}")
    except ValueError as exc:
        error(line, str(exc))
        return None
    return Shift(who, day, hours[0], hours[1], source, line)


def manager_by_name(text: str, managers: Mapping[str, Manager]) -> str | None:
    """A manager by id, full name or surname as the head writes it («Петров»)."""
    if text in managers:
        return text
    key = fold(text)
    found = [m.id for m in managers.values() if key in (fold(m.name), fold(m.surname))]
    return found[0] if len(found) == 1 else None


def _overlaps(ctx: Reader, roster: Roster) -> None:
    """Each pair of entries (or file lines) that overlap, once, on the later one."""
    seen: set[tuple[str, int, str, int]] = set()
    for pair in roster.overlaps():
        # Reported on the one written later: rules.toml first, then the file, by line.
        earlier, later = sorted(pair, key=lambda shift: (shift.source != ctx.path.name, shift.line))
        key = (earlier.source, earlier.line, later.source, later.line)
        if key in seen:
            continue
        seen.add(key)
        text = (
            f"пересекается с дежурством «{earlier.manager}» {earlier.label} ({earlier.where}) — в одно время дежурит "
            "один человек: поправьте даты, дни или часы"
        )
        if later.source != ctx.path.name:
            ctx.p.error(ctx.pos.line("roster", "file"), "[roster]", f"{later.where}: дежурство «{later.manager}» {later.label} {text}")
        else:
            ctx.p.error(later.line, f"дежурство «{later.manager}» {later.label}", text)
