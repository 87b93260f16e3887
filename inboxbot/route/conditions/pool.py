"""pool: the next free manager of the queue; fallback: whoever is left, or manual triage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from inboxbot.route.caps import cap_counts, cap_reached
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import nobody_known, who
from inboxbot.route.share import days_present, explain, furthest_behind, month_shares, month_start, present_on
from inboxbot.rules.model import Absence, Pool
from inboxbot.rules.options import ConditionOptions, option


@dataclass(frozen=True, slots=True)
class FallbackOptions(ConditionOptions):
    owner: str | None = option(None, "manager", what="кому отдавать письма, которые не подошли ни одному правилу (иначе — ручной разбор)")


@dataclass(frozen=True, slots=True)
class PoolOptions(ConditionOptions):
    pool: str | None = option(None, "str", what="имя очереди из [[pool]] (по умолчанию — первая)")


@condition("pool", PoolOptions)
def pool(options: PoolOptions, s: Situation) -> Match | Miss:
    pool = s.rules.pools.get(options.pool) if options.pool else s.rules.pool
    if pool is None or not pool.members:
        return Miss("пул не настроен")
    day = s.day
    clock = s.clock
    # The mail's moment, not its day: a member away from 14:00 still takes the 10:00 mail.
    moment = s.moment
    skipped: list[str] = []
    eligible: list[str] = []
    capped = any(s.rules.managers[m].daily_cap or s.rules.managers[m].monthly_cap for m in pool.members)
    cap = cap_counts(s, pool.name) if capped and "pool" in s.rules.caps_apply_to else None
    for member in pool.members:
        manager = s.rules.managers[member]
        absence = s.rules.absence_at(member, moment) if moment else None
        if absence is not None:
            skipped.append(f"{manager.surname} {absence.reason} {until(absence)}")
        elif manager.duty and day is not None and day.weekday() not in manager.duty:
            skipped.append(f"{manager.surname} не дежурит в этот день")
        elif cap is not None and (reached := cap_reached(manager, cap)) is not None:
            skipped.append(reached)
        else:
            eligible.append(member)
    if not eligible:
        return Miss("в пуле сейчас никого: " + "; ".join(skipped))
    last = s.history.last_pool_owner(pool.name)
    order = _round_robin_order(pool.members, last)
    ranked = [m for m in order if m in eligible]
    extra: list[str] = []
    if pool.period == "month" and clock is not None:
        owner, how, extra = _month_pick(s, pool, ranked, clock, clock.astimezone(s.rules.department.timezone).date())
    elif pool.method == "round_robin":
        owner = ranked[0]
        how = f"предыдущее письмо получил(а) {who(s.rules, last)}, следующий по кругу" if last in pool.members else "первый по кругу"
    else:
        since = (clock or datetime.min) - timedelta(days=pool.window_days) if clock else datetime(1970, 1, 1).astimezone()
        counts = s.history.owner_counts(since, pool=pool.name if pool.method == "weighted" else None)
        if pool.method == "weighted":
            owner = min(ranked, key=lambda m: (counts.get(m, 0) + 1) / pool.weight(s.rules.managers[m]))
            how = f"по весам: {counts.get(owner, 0)} писем из пула за {pool.window_days} дн., {pool.weight_text(s.rules.managers[owner])}"
        else:
            owner = min(ranked, key=lambda m: counts.get(m, 0))
            how = f"меньше всех писем за {pool.window_days} дн. ({counts.get(owner, 0)})"
    reasons = [nobody_known(s.facts), f"очередь «{pool.name}»: {how} → {who(s.rules, owner)}", *extra]
    if skipped:
        reasons.append("пропущены: " + "; ".join(skipped))
    return Match(owner, f"очередь «{pool.name}» → {owner}", tuple(reasons), pool=pool.name)


def _month_pick(s: Situation, pool: Pool, ranked: Sequence[str], clock: datetime, today: date) -> tuple[str, str, list[str]]:
    """period = "month": whoever is furthest below their share of the month (route/share.py)."""
    hours = s.rules.department.hours
    counts = s.history.owner_counts(month_start(clock, s.rules.department.timezone), pool=pool.name)
    weighted = pool.method == "weighted"
    weights = {m: pool.weight(s.rules.managers[m]) if weighted else 1.0 for m in pool.members}
    days = {m: days_present(today, partial(present_on, s.rules, m)) for m in pool.members}
    shares = month_shares(pool.members, counts, weights, days)
    owner = furthest_behind(ranked, shares)
    how = "дальше всех от своей доли за месяц" if weighted else "дальше всех от равной доли за месяц"
    label = pool.weight_text(s.rules.managers[owner]) if weighted else ""
    return owner, how, [explain(shares[owner], today.month, days_present(today, hours.is_working_day), label)]


def until(absence: Absence) -> str:
    """«до 17.06» for whole days, «до 18:00» (that day) or «до 17.06 12:00» for a timed end."""
    if absence.end_time is None:
        return f"до {absence.end:%d.%m}"
    if absence.start == absence.end:
        return f"до {absence.end_time:%H:%M}"
    return f"до {absence.end:%d.%m} {absence.end_time:%H:%M}"


def _round_robin_order(members: Sequence[str], last: str | None) -> list[str]:
    if last is None or last not in members:
        return list(members)
    i = list(members).index(last) + 1
    return [*members[i:], *members[:i]]


@condition("fallback", FallbackOptions, action_without_owner="triage")
def fallback(options: FallbackOptions, s: Situation) -> Match | Miss:
    owner = options.owner
    if owner is None:
        return Match(None, "на ручной разбор", ("ни одно правило не подошло — письмо оставлено на ручной разбор",), action="triage")
    return Match(owner, f"по умолчанию → {owner}", (f"ни одно правило не подошло → {who(s.rules, owner)}",))

