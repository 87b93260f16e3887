"""The Russian production calendar: which dates are working days, which are one hour short.

Public holidays, the days off the Government moves each year by decree and the working
Saturdays that pay for them come from the `holidays` package's RU calendar (maintained
upstream; each year's transfers there cite the decree). The company adds its own days
off and working days in rules.toml [calendar]. Pure: a date in, an answer out.

The calendar is the one of the five-day week, the one the decrees are written for.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

# Non-working public holidays, Labour Code art. 112 (month, day). The day before one of
# them is one hour shorter (art. 95); transferred days off do not count as holidays.
PUBLIC_HOLIDAYS = (
    (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8),
    (2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4),
)  # fmt: skip

# Working Saturdays that the official production calendar shortens although no holiday
# follows them directly: the day off they stand for is the eve of one. Saturday 01.11.2025
# is worked for Monday 03.11.2025, the eve of 4 November. Source: постановление
# Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году» and the
# production calendar published with it (short days: 07.03, 30.04, 11.06, 01.11). For
# 2026 (постановление Правительства РФ от 24.09.2025 о переносе выходных дней в 2026
# году) no working Saturday exists and art. 95 alone gives 30.04, 08.05, 11.06, 03.11.
SHORTENED_BY_TRANSFER = frozenset({date(2025, 11, 1)})

SHORTENING = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class OfficialYear:
    """One year of the official calendar: the days off that fall on weekdays or weekends
    alike (holidays, their observed days, transfers), and the weekend days worked."""

    days_off: frozenset[date]
    working_weekends: frozenset[date]


@cache
def official_year(year: int) -> OfficialYear:
    """The official calendar of `year` (computed once per year: the package builds it)."""
    # expand=False: the object answers for `year` only, it never grows on a lookup.
    calendar = holidays.country_holidays("RU", years=year, expand=False)
    return OfficialYear(
        days_off=frozenset(calendar.keys()),
        working_weekends=frozenset(d for d in calendar.weekend_workdays if d.year == year),
    )


def is_public_holiday(day: date) -> bool:
    return (day.month, day.day) in PUBLIC_HOLIDAYS


def officially_working(day: date) -> bool:
    """A working day of the five-day week by the official calendar."""
    official = official_year(day.year)
    if day in official.days_off:
        return False
    return day.weekday() < 5 or day in official.working_weekends


def is_pre_holiday(day: date) -> bool:
    """An officially shortened day: a working day on the eve of a public holiday, or a
    working Saturday standing for such an eve (SHORTENED_BY_TRANSFER)."""
    if day in SHORTENED_BY_TRANSFER:
        return True
    return officially_working(day) and is_public_holiday(day + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The official calendar with the company's own changes: extra days off (a corporate
    holiday), extra working days (a Saturday the office works), and whether the eve of a
    holiday is an hour shorter."""

    extra_days_off: frozenset[date] = frozenset()
    extra_work_days: frozenset[date] = frozenset()
    shortened_days: bool = True

    def is_working_day(self, day: date, weekdays: Collection[int]) -> bool:
        """Whether the office works on `day`; `weekdays` are its usual days (0 = Monday).
        A public holiday or a transferred day off is nobody's working day; a working
        Saturday of the decree is everybody's."""
        if day in self.extra_work_days:
            return True
        if day in self.extra_days_off:
            return False
        official = official_year(day.year)
        if day in official.days_off:
            return False
        return day.weekday() in weekdays or day in official.working_weekends

    def shortening(self, day: date) -> timedelta:
        """How much earlier the office closes on `day` (an hour on a pre-holiday day)."""
        return SHORTENING if self.shortened_days and is_pre_holiday(day) else timedelta(0)


# The official calendar as it stands, shortened eves included: what a department without
# a [calendar] section works by.
OFFICIAL = WorkCalendar()
