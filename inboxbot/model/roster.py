"""The duty roster: who is on duty on which day and in which hours, as the head plans it
(a week's or a month's roster), and who that is at a given moment. Pure: the moments are
naive, on the department's wall clock; the rules reader turns rules.toml [[duty]] and the
roster file into shifts of one day each, so a lookup and an overlap are simple compares.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAY_NAMES = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_WEEKDAYS = {
    **{name: n for n, name in enumerate(WEEKDAY_NAMES)},
    **{name: n for n, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
}
_CLOCK_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")
HOURS_EXAMPLE = "«09:00-13:00» (конец дня — 24:00)"
DAYS_EXAMPLE = "«пн-пт», «пн, ср, пт» или «сб-вс»"


@dataclass(frozen=True, slots=True)
class Shift:
    """One manager on duty on `day` from `start` to `end` (None: to the end of the day).
    `line` is where it is written: a line of `source` (rules.toml or the roster file)."""

    manager: str
    day: date
    start: time = time(0)
    end: time | None = None
    source: str = ""
    line: int = 0

    @property
    def begins(self) -> datetime:
        return datetime.combine(self.day, self.start)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.day, self.end) if self.end else datetime.combine(self.day + timedelta(days=1), time(0))

    @property
    def whole_day(self) -> bool:
        return self.start == time(0) and self.end is None

    @property
    def label(self) -> str:
        """«02.06 09:00–13:00», «02.06 13:00–24:00» or «02.06 (весь день)»."""
        if self.whole_day:
            return f"{self.day:%d.%m} (весь день)"
        return f"{self.day:%d.%m} {self.start:%H:%M}–{self.end:%H:%M}" if self.end else f"{self.day:%d.%m} {self.start:%H:%M}–24:00"

    @property
    def where(self) -> str:
        return f"{self.source}, строка {self.line}" if self.source else f"строка {self.line}"


@dataclass(frozen=True, slots=True)
class Roster:
    """Shifts in order of their start; no two overlap (the rules reader rejects that)."""

    shifts: tuple[Shift, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "shifts", tuple(sorted(self.shifts, key=lambda s: s.begins)))

    def __bool__(self) -> bool:
        return bool(self.shifts)

    def at(self, local: datetime) -> Shift | None:
        """The shift covering `local` (naive, the department's wall clock), if any."""
        i = bisect_right([s.begins for s in self.shifts], local)
        if i and self.shifts[i - 1].begins <= local < self.shifts[i - 1].ends:
            return self.shifts[i - 1]
        return None

    def overlaps(self) -> list[tuple[Shift, Shift]]:
        """(earlier, later) for every shift that starts before the one before it ends."""
        found: list[tuple[Shift, Shift]] = []
        latest: Shift | None = None
        for shift in self.shifts:
            if latest is not None and shift.begins < latest.ends:
                found.append((latest, shift))
            if latest is None or shift.ends > latest.ends:
                latest = shift
        return found


def parse_clock(text: str, *, end: bool) -> time | None:
    """«09:00» / «9» / «9.30» → a time; «24:00» (only as an end) → None, the end of the
    day. Raises ValueError with the Russian reason for anything else."""
    match = _CLOCK_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"«{text.strip()}» — не время; нужно вида {HOURS_EXAMPLE}")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if end and (hour, minute) == (24, 0):
        return None
    if hour > 23 or minute > 59:
        raise ValueError(f"времени «{text.strip()}» не бывает: часы от 00 до 23, минуты от 00 до 59, конец дня — 24:00")
    return time(hour, minute)


def parse_hours(text: str) -> tuple[time, time | None]:
    """«09:00-13:00» (a hyphen or a dash) → (start, end); end None is 24:00. Raises
    ValueError with the Russian reason (a time beyond 24:00, the end not after the start)."""
    parts = re.split(r"\s*[-–—]\s*", text.strip())
    if len(parts) != 2:
        raise ValueError(f"часы «{text}» — нужно начало и конец через дефис, например {HOURS_EXAMPLE}")
    start, end = parse_clock(parts[0], end=False), parse_clock(parts[1], end=True)
    if start is None or (end is not None and end <= start):
        raise ValueError(
            f"в часах «{text}» конец не позже начала; ночное дежурство запишите двумя записями: "
            "до 24:00 и с 00:00 следующего дня"
        )
    return start, end


def parse_days(text: str) -> tuple[int, ...]:
    """«пн-пт», «пн, ср, пт», «сб-вс», «пт-пн» (through the weekend) → weekday numbers,
    0 = Monday, sorted. Raises ValueError with the Russian reason."""
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text))):
        ends = [e.strip().casefold().rstrip(".") for e in re.split(r"\s*[-–—]\s*", part)]
        unknown = [e for e in ends if e not in _WEEKDAYS]
        if unknown or len(ends) > 2:
            bad = unknown[0] if unknown else part
            raise ValueError(f"неизвестный день «{bad}»; дни — {', '.join(WEEKDAY_NAMES)}, например {DAYS_EXAMPLE}")
        first, last = _WEEKDAYS[ends[0]], _WEEKDAYS[ends[-1]]
        days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
    if not days:
        raise ValueError(f"не указаны дни, например {DAYS_EXAMPLE}")
    return tuple(sorted(days))
