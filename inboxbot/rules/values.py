"""Parsers and checks that several sections share: mail addresses, dates and days of the week."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
