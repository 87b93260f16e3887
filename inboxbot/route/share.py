"""A pool member's fair share of a calendar month, and who is furthest below it.

The rule a head can say in one sentence: the month's pool mail is divided in proportion to
weight × working days present. A member's target is

    target = pool mail this month (this one included) × weight × days present
             / Σ over the pool's members (weight × days present)

where days present are the department's working days from the 1st of the month to today
on which the member was neither absent nor off duty. The next mail goes to whoever is
furthest below their target among those who may take it now (ties: the round robin's
order). Someone back from an absence is behind — the mail that came while they were away
still counts in the month's total, their days before it in their share — so they get the
next ones until they catch up; nobody is asked to make up days they were away.
Pure: the clock, the counts and the presence come in as arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from inboxbot.rules.model import Rules

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Share:
    """One member's month so far: the mail they got (credited-back leads not counted),
    their weight and days present, and their target after the mail being decided."""

    member: str
    got: int
    weight: float
    days: int
    target: float

    @property
    def behind(self) -> float:
        return self.target - self.got


def month_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of the 1st of `moment`'s month in the department's time zone."""
    local = moment.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def present_on(rules: Rules, member: str, day: date) -> bool:
    """A working day of the department on which `member` was neither absent nor off duty."""
    manager = rules.managers[member]
    on_duty = not manager.duty or day.weekday() in manager.duty
    return on_duty and rules.department.hours.is_working_day(day) and rules.absence_on(member, day) is None


def month_targets(days: Sequence[date], members: Sequence[str], weights: Mapping[str, float], rules: Rules) -> dict[str, float]:
    """The share of each member of the pool mail of `days` (one day per mail, any months):
    each calendar month's mail divided by the rule above, as it stood on the month's last
    day with mail. For the report, so that it measures what the queue promised."""
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in days:
        by_month.setdefault((day.year, day.month), []).append(day)
    expected = dict.fromkeys(members, 0.0)
    for month_days in by_month.values():
        last = max(month_days)
        present = {m: days_present(last, partial(present_on, rules, m)) for m in members}
        shares = month_shares(members, {}, weights, present)
        for m in members:
            expected[m] += len(month_days) * shares[m].target  # target of one mail = the member's fraction
    return {m: expected[m] / len(days) for m in members} if days else {}


def days_present(today: date, present: Callable[[date], bool]) -> int:
    """The days from the 1st of `today`'s month to `today` (inclusive) `present` accepts."""
    day, count = today.replace(day=1), 0
    while day <= today:
        count += present(day)
        day += timedelta(days=1)
    return count


def month_shares(
    members: Sequence[str], counts: Mapping[str, int], weights: Mapping[str, float], days: Mapping[str, int]
) -> dict[str, Share]:
    """Each member's share once the mail being decided is counted. With nobody present yet
    (the 1st falls on a holiday) the month's mail is divided by weight alone."""
    total = sum(counts.get(m, 0) for m in members) + 1
    parts = {m: weights[m] * days.get(m, 0) for m in members}
    if sum(parts.values()) <= 0:
        parts = {m: weights[m] for m in members}
    whole = sum(parts.values())
    return {
        m: Share(m, counts.get(m, 0), weights[m], days.get(m, 0), total * parts[m] / whole if whole else 0.0)
        for m in members
    }


def furthest_behind(ranked: Sequence[str], shares: Mapping[str, Share]) -> str:
    """The first of `ranked` (those who may take mail now, in round-robin order) with the
    largest gap to their target."""
    return max(ranked, key=lambda m: (round(shares[m].behind, 9), -ranked.index(m)))


def explain(share: Share, month: int, working_days: int, weight: str = "") -> str:
    """«по очереди за июнь у вас 11 из 12 положенных (…)»: the mail counted with this one;
    `weight` («вес 1.3 (конверсия 26%)») when weights count."""
    # Rounded up: a share of 11.2 mails is «12 положенных» (the 12th is owed, not a gift).
    target = math.ceil(share.target - 1e-9)
    weight = f"{weight}; " if weight else ""
    return (
        f"по очереди за {MONTHS[month - 1]} у вас {share.got + 1} из {target} положенных "
        f"({weight}на месте {share.days} из {working_days} раб. дн.)"
    )
