"""[calendar]: the company's own days off and working days on top of the Russian
production calendar, and whether the eve of a holiday is an hour shorter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from inboxbot.model.calendar import WorkCalendar
from inboxbot.rules.problems import shown
from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.settings import Section, keys_of, read_section, setting
from inboxbot.rules.values import as_date

# Names people reach for when they want to list holidays themselves.
_HOLIDAY_WORDS = ("holidays", "holiday", "days_off", "day_off", "work_days", "workdays", "calendar_days")
_HINT = (
    "государственные праздники, переносы выходных и рабочие субботы бот знает сам "
    "(производственный календарь РФ); свои выходные и рабочие дни компании — в разделе [calendar]: "
    "extra_days_off = [\"2025-12-30\"], extra_work_days = [\"2026-01-10\"]"
)


def holiday_hint(key: str) -> str:
    """«; государственные праздники … [calendar] …» when `key` looks like an attempt to
    list holidays by hand; empty otherwise."""
    return f"; {_HINT}" if key.casefold() in _HOLIDAY_WORDS else ""


def _dates(read: Section, key: str, value: Any) -> frozenset[date]:
    """The dates listed under `key`; each item that is not a date reported on its own line
    (the generic validator would report the whole list once, on its first line)."""
    if not read.given(key):
        return frozenset()
    if not isinstance(value, list):
        read.invalid(key, value)
        return frozenset()
    found: set[date] = set()
    for item in value:
        day = as_date(item)
        if day is not None:
            found.add(day)
            continue
        path = (*read.path, key)
        line = read.ctx.pos.value_line(path, item) if isinstance(item, str) else read.line(key)
        given = f", а указано «{item}»" if isinstance(item, str) else f"; {shown(item)}"
        read.error(line, f"«{key}»: нужна дата вида 2025-12-30 (или «30.12.2025»){given}", key)
    return frozenset(found)


def _days_off(read: Section, value: Any) -> frozenset[date]:
    return _dates(read, "extra_days_off", value)


def _work_days(read: Section, value: Any) -> frozenset[date]:
    days = _dates(read, "extra_work_days", value)
    _in_one_list_only(read, read.values["extra_days_off"], days)
    return days


def _in_one_list_only(read: Section, days_off: frozenset[date], work_days: frozenset[date]) -> None:
    """A date both off and working says nothing: reported on the line of extra_work_days."""
    for day in sorted(days_off & work_days):
        read.error(
            read.line("extra_work_days"),
            f"дата {day:%d.%m.%Y} указана и в extra_days_off, и в extra_work_days — оставьте её в одном списке",
        )


def _list_of_dates(key: str) -> str:
    return f"список дат, например {key} = [\"2025-12-30\", \"2026-01-12\"]"


@dataclass(frozen=True, slots=True)
class CalendarSection:
    """[calendar] as rules.toml writes it."""

    extra_days_off: frozenset[date] = setting(
        frozenset(), "any", what=_list_of_dates("extra_days_off"), quoted=True, check=_days_off
    )
    extra_work_days: frozenset[date] = setting(
        frozenset(), "any", what=_list_of_dates("extra_work_days"), quoted=True, check=_work_days
    )
    shortened_days: bool = setting(
        True, "bool", what="true (накануне праздника рабочий день на час короче, ст. 95 ТК РФ) или false"
    )


def read_calendar(ctx: Reader) -> WorkCalendar:
    where = "[calendar]"
    table = section_table(ctx, "calendar", where)
    if table is None:
        return WorkCalendar()
    # A declared special case: a key that looks like a list of holidays gets the hint
    # (the bot knows the official calendar) instead of the generic «Допустимые: …», which
    # would only offer the company's extra days.
    valid = keys_of(CalendarSection)
    for key in (k for k in table if k not in valid and holiday_hint(k)):
        ctx.p.error(ctx.pos.line("calendar", key), where, f"неизвестный параметр «{key}»{holiday_hint(key)}")
    rest = {k: v for k, v in table.items() if k in valid or not holiday_hint(k)}
    s, _ = read_section(ctx, CalendarSection, rest, ("calendar",), where)
    assert s is not None  # no key of [calendar] stops the reading
    off, work = s.extra_days_off, s.extra_work_days
    return WorkCalendar(off - work, work - off, s.shortened_days)
