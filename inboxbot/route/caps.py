"""daily_cap / monthly_cap: whether a manager may take more of the mail the caps count
(the pool's by default; [caps] apply_to adds territory, segment and region mail). Days
and months are the department's, from midnight and from the 1st."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.route.context import Match, Miss, Situation
from inboxbot.rules.model import Manager


@dataclass(frozen=True, slots=True)
class CapCounts:
    day: dict[str, int]
    month: dict[str, int]


def cap_counts(s: Situation, pool: str | None) -> CapCounts | None:
    """Today's and this month's counted mail per manager; None without a clock. With the
    default [caps] a pool counts its own mail, as it always did."""
    clock = s.clock
    if clock is None:
        return None
    local = clock.astimezone(s.rules.department.timezone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if s.rules.caps_apply_to == ("pool",):
        return CapCounts(s.history.owner_counts(start, pool=pool), s.history.owner_counts(start.replace(day=1), pool=pool))
    capped = s.rules.capped_rules()
    return CapCounts(s.history.owner_counts(start, rules=capped), s.history.owner_counts(start.replace(day=1), rules=capped))


def cap_reached(manager: Manager, counts: CapCounts) -> str | None:
    """«Сидоров: дневной лимит 40 исчерпан», or None while there is room."""
    if manager.daily_cap and counts.day.get(manager.id, 0) >= manager.daily_cap:
        return f"{manager.surname}: дневной лимит {manager.daily_cap} исчерпан"
    if manager.monthly_cap and counts.month.get(manager.id, 0) >= manager.monthly_cap:
        return f"{manager.surname}: месячный лимит {manager.monthly_cap} исчерпан"
    return None


def over_cap(s: Situation, owner: str | None, kind: str) -> str | None:
    """Why `owner` may not take this `kind` of mail (a territory's, a segment's…) now,
    or None. Only when [caps] apply_to names the kind."""
    manager = s.rules.managers.get(owner) if owner else None
    if manager is None or kind not in s.rules.caps_apply_to or not (manager.daily_cap or manager.monthly_cap):
        return None
    counts = cap_counts(s, None)
    reached = cap_reached(manager, counts) if counts is not None else None
    return f"{reached} — письмо идёт дальше по правилам" if reached else None


def capped(result: Match | Miss, s: Situation, kind: str) -> Match | Miss:
    """The match, unless its manager is over a cap that counts this `kind` of mail: then
    a miss, and the mail goes on down the rules."""
    if isinstance(result, Match) and (reached := over_cap(s, result.owner, kind)) is not None:
        return Miss(f"{result.detail}, но {reached}")
    return result
