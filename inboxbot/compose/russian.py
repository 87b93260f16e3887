"""How the bot's mails say dates, names and counts in Russian, on the company's clock. Pure."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    MOSCOW: Any = ZoneInfo("Europe/Moscow")
except (ImportError, ZoneInfoNotFoundError):  # no tz database: Moscow is UTC+3 all year since 2014
    MOSCOW = timezone(timedelta(hours=3), "MSK")

MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)


def ru_date(value: date | datetime | None) -> str:
    """16 июня 2025 (a datetime is first shown in Moscow time)."""
    if value is None:
        return "дата неизвестна"
    if isinstance(value, datetime):
        value = moscow(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def ru_datetime(value: datetime | None) -> str:
    """16 июня 2025, 10:30 — Moscow time, the company's clock."""
    if value is None:
        return "дата неизвестна"
    local = moscow(value)
    return f"{ru_date(local)}, {local:%H:%M}"


def greeting_name(full_name: str) -> str:
    """'Петров Дмитрий Сергеевич' → 'Дмитрий Сергеевич' (how colleagues address each
    other); any other shape is used as written."""
    words = full_name.split()
    return " ".join(words[1:]) if len(words) == 3 else full_name


def moscow(value: datetime) -> datetime:
    """An aware `value` in Moscow time; a naive one as it is."""
    return value.astimezone(MOSCOW) if value.tzinfo else value


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian form for `count`: 1 заявка, 3 заявки, 5 заявок, 21 заявка, 11 заявок."""
    if count % 10 == 1 and count % 100 != 11:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many
