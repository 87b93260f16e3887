"""Working time: the department's office hours, and durations counted within them.

"Remind after 4 hours" means 4 hours of the working day: a request forwarded on Friday
at 17:00 with office hours 09:00–18:00 on weekdays is due for a reminder on Monday at
12:00, not at 21:00 on Friday when nobody is there to read it. The office days follow
the production calendar (model/calendar.py): a request of 31.12.2025 at 16:00 waits through
the New Year holidays, not over them. Pure functions; the caller passes the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from inboxbot.model.calendar import OFFICIAL, WorkCalendar

WEEKDAY_NAMES = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")

# «4h», «4 ч», «90m», «90 мин», «2d», «2 дня» (d = working days).
_DURATION_RE = re.compile(
    r"\s*(\d+(?:[.,]\d+)?)\s*(h|ч|час|часа|часов|m|м|мин|минут|минуты|d|д|день|дня|дней)\s*", re.IGNORECASE
)
_CLOCK_RE = re.compile(r"\s*([01]?\d|2[0-3])(?:[:.]([0-5]\d))?\s*")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Office hours in the department's time zone: the same hours on each working day
    (an hour less on the eve of a holiday), the working days being `days` of the week as
    the production calendar `calendar` changes them."""

    start: time
    end: time
    days: tuple[int, ...]  # 0 = Monday
    tz: tzinfo
    calendar: WorkCalendar = OFFICIAL

    @property
    def day_length(self) -> timedelta:
        return _at(date(2000, 1, 3), self.end, None) - _at(date(2000, 1, 3), self.start, None)

    def describe(self) -> str:
        """«пн–пт 09:00–18:00» for explanations."""
        return f"{_days_text(self.days)} {self.start:%H:%M}–{self.end:%H:%M}"

    def is_working_day(self, day: date) -> bool:
        return self.calendar.is_working_day(day, self.days)

    def office_on(self, day: date) -> tuple[datetime, datetime] | None:
        """When the office opens and closes on `day`; None when it does not work that day."""
        if not self.is_working_day(day):
            return None
        open_at = _at(day, self.start, self.tz)
        close_at = _at(day, self.end, self.tz) - self.calendar.shortening(day)
        return open_at, max(open_at, close_at)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        office = self.office_on(local.date())
        return office is not None and office[0] <= local < office[1]

    def elapsed(self, since: datetime, until: datetime) -> timedelta:
        """Working time between two moments (zero when `until` is not later)."""
        if until <= since:
            return timedelta(0)
        total = timedelta(0)
        day = since.astimezone(self.tz).date()
        last = until.astimezone(self.tz).date()
        while day <= last:
            office = self.office_on(day)
            if office is not None:
                lo, hi = max(office[0], since), min(office[1], until)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def add(self, since: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed after `since`."""
        if not self.days or self.day_length <= timedelta(0):
            return since + amount
        remaining = amount
        day = since.astimezone(self.tz).date()
        while True:
            office = self.office_on(day)
            if office is not None:
                open_at, close_at = office
                lo = max(open_at, since)
                if close_at > lo:
                    if lo + remaining <= close_at:
                        return lo + remaining
                    remaining -= close_at - lo
            day += timedelta(days=1)


def _at(day: date, clock: time, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def _days_text(days: tuple[int, ...]) -> str:
    if not days:
        return "без рабочих дней"
    if list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{WEEKDAY_NAMES[days[0]]}–{WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES[d] for d in days)


def parse_duration(text: str, day_length: timedelta) -> timedelta | None:
    """«4h» / «4 ч» / «90 мин» / «2d» (working days of `day_length`) → timedelta; None
    when the text is not a duration."""
    match = _DURATION_RE.fullmatch(text)
    if not match:
        return None
    amount = float(match.group(1).replace(",", "."))
    unit = match.group(2).lower()
    try:
        if unit.startswith(("h", "ч")):
            return timedelta(hours=amount)
        if unit.startswith(("m", "м")):
            return timedelta(minutes=amount)
        return day_length * amount
    except OverflowError:  # "99999999999d": longer than any timedelta, so not a duration
        return None


def parse_clock(text: str) -> time | None:
    """«09:00» / «9.30» / «9» → time; None when the text is not a time of day."""
    match = _CLOCK_RE.fullmatch(text)
    return time(int(match.group(1)), int(match.group(2) or 0)) if match else None


def describe_duration(amount: timedelta) -> str:
    """3 ч 30 мин / 45 мин / 2 ч — for explanations and reports."""
    minutes = int(amount.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} ч {minutes} мин"
    if hours:
        return f"{hours} ч"
    return f"{minutes} мин"
