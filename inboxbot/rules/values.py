"""Parsers and checks that several sections share: mail addresses, dates and days of the week."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from inboxbot.rules.forms import fold
from inboxbot.rules.model import WEEKDAYS
from inboxbot.rules.reader import EMAIL_RE
from inboxbot.rules.settings import Section

UNKNOWN_DAY = "неизвестный день «{}». Допустимые: пн, вт, ср, чт, пт, сб, вс"


def as_date(value: Any) -> date | None:
    """A TOML date or datetime, or text «2025-12-30» / «30.12.2025»; None for anything else."""
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


_DAY_TIME_RE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.\d{4})(?:[ T]+(\d{1,2})[:.](\d{2})(?::\d{2})?)?")
TIME_RANGE = "часы от 00 до 24, минуты от 00 до 59 (24:00 — конец дня)"


def as_day_time(value: Any, timezone: ZoneInfo | None = None) -> tuple[date, time | None] | None:
    """A date with an optional time of day: a TOML date or datetime (one with an offset
    is moved to `timezone`), or text «2025-06-16», «2025-06-16 14:00», «16.06.2025 14:00».
    The time is None for a date alone; «24:00» is the next day's 00:00. None when the
    value is neither (a time beyond 24:00 included: see `bad_time`)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and timezone is not None:
            value = value.astimezone(timezone)
        return value.date(), value.time().replace(tzinfo=None)
    if isinstance(value, date):
        return value, None
    if not isinstance(value, str) or not (match := _DAY_TIME_RE.fullmatch(value.strip())):
        return None
    day = as_date(match.group(1))
    if day is None or match.group(2) is None:
        return (day, None) if day else None
    hour, minute = int(match.group(2)), int(match.group(3))
    if (hour, minute) == (24, 0):
        return day + timedelta(days=1), time(0)
    if hour > 23 or minute > 59:
        return None
    return day, time(hour, minute)


def bad_time(value: Any) -> str | None:
    """«25:00» when `value` is a date whose time of day does not exist; None otherwise."""
    match = _DAY_TIME_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or match.group(2) is None or as_day_time(value) is not None:
        return None
    return f"{match.group(2)}:{match.group(3)}"


def address(value: str) -> str | None:
    """A mail address, stripped and lower-cased; None when it does not look like one."""
    return value.strip().lower() if EMAIL_RE.fullmatch(value.strip()) else None


def weekday_numbers(read: Section, key: str, days: tuple[str, ...]) -> tuple[int, ...]:
    """The weekdays (0 = Monday) of a list of day names, sorted; each unknown one reported
    on the line where it is written."""
    numbers: list[int] = []
    for day in days:
        if fold(day) not in WEEKDAYS:
            read.error(read.ctx.pos.value_line((*read.path, key), day), UNKNOWN_DAY.format(day), key)
        else:
            numbers.append(WEEKDAYS[fold(day)])
    return tuple(sorted(set(numbers)))


def weekday(text: Any) -> int | None:
    return WEEKDAYS.get(fold(text)) if isinstance(text, str) else None
