"""Cleaning the value of one cell of an export: an INN Excel took the leading zero off, a
date as CRMs write it, a list in one cell."""

from __future__ import annotations

import re
from datetime import date

from inboxbot.model.requisites import is_valid_inn


def fix_inn(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    # Excel drops leading zeros (Adygea's 01…, Bashkortostan's 02…): put one back when
    # that makes a valid INN.
    if len(digits) in (9, 11) and is_valid_inn("0" + digits):
        return "0" + digits
    return digits


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RU_DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_since(value: str) -> date | None:
    """2021-03-15 or 15.03.2021 (what CRMs, 1C and Excel write) → date; None for
    anything else, including impossible dates such as 31.02.2021."""
    value = value.strip()
    if match := _ISO_DATE_RE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _RU_DATE_RE.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def split_list(value: str, separators: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(separators, value) if p.strip())
