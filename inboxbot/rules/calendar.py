"""[calendar]: the company's own days off and working days on top of the Russian
production calendar, and whether the eve of a holiday is an hour shorter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from inboxbot.model.calendar import WorkCalendar
from inboxbot.rules.problems import shown
from inboxbot.rules.reader import Reader, section_table

_CALENDAR_KEYS = ("extra_days_off", "extra_work_days", "shortened_days")
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


def read_calendar(ctx: Reader) -> WorkCalendar:
    where, path = "[calendar]", ("calendar",)
    table = section_table(ctx, "calendar", where)
    if table is None:
        return WorkCalendar()
    for key in table:
        if key not in _CALENDAR_KEYS and holiday_hint(key):
            ctx.p.error(ctx.pos.line(*path, key), where, f"неизвестный параметр «{key}»{holiday_hint(key)}")
    ctx.unknown_keys({k: v for k, v in table.items() if not holiday_hint(k)}, _CALENDAR_KEYS, path, where)
    days_off = _dates(ctx, table, "extra_days_off")
    work_days = _dates(ctx, table, "extra_work_days")
    for day in sorted(days_off & work_days):
        ctx.p.error(
            ctx.pos.line(*path, "extra_work_days"), where,
            f"дата {day:%d.%m.%Y} указана и в extra_days_off, и в extra_work_days — оставьте её в одном списке",
        )  # fmt: skip
    shortened = table.get("shortened_days", True)
    if not isinstance(shortened, bool):
        ctx.p.error(
            ctx.pos.line(*path, "shortened_days"), where,
            "shortened_days — true (накануне праздника рабочий день на час короче, ст. 95 ТК РФ) "
            f"или false; {shown(shortened)}",
        )  # fmt: skip
        shortened = True
    return WorkCalendar(frozenset(days_off - work_days), frozenset(work_days - days_off), shortened)


def _dates(ctx: Reader, table: dict[str, Any], key: str) -> set[date]:
    """The dates listed under `key`; each one that is not a date reported on its line."""
    path, where = ("calendar", key), "[calendar]"
    if key not in table:
        return set()
    value = table[key]
    if not isinstance(value, list):
        ctx.p.error(
            ctx.pos.line(*path), where,
            f"«{key}» — список дат, например {key} = [\"2025-12-30\", \"2026-01-12\"]; {shown(value)}",
        )  # fmt: skip
        return set()
    found: set[date] = set()
    for item in value:
        day = _date(item)
        if day is None:
            line = ctx.pos.value_line(path, item) if isinstance(item, str) else ctx.pos.line(*path)
            ctx.p.error(
                line, where,
                f"«{key}»: нужна дата вида 2025-12-30 (или «30.12.2025»)"
                + (f", а указано «{item}»" if isinstance(item, str) else f"; {shown(item)}"),
            )  # fmt: skip
        else:
            found.add(day)
    return found


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None
