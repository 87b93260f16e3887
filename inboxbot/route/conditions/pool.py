"""pool: the next free manager of the queue; fallback: whoever is left, or manual triage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.reasons import who
from inboxbot.rules.model import Rules, RuleSpec


def cond_pool(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    pool = rules.pool
    if pool is None or not pool.members:
        return Step(spec.id, False, "пул не настроен")
    day = ctx.day
    clock = ctx.clock
    skipped: list[str] = []
    eligible: list[str] = []
    day_counts: dict[str, int] = {}
    month_counts: dict[str, int] = {}
    if clock is not None and any(rules.managers[m].daily_cap or rules.managers[m].monthly_cap for m in pool.members):
        local = clock.astimezone(rules.department.timezone)
        start_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        day_counts = history.owner_counts(start_day, pool=pool.name)
        month_counts = history.owner_counts(start_day.replace(day=1), pool=pool.name)
    for member in pool.members:
        manager = rules.managers[member]
        absence = rules.absence_on(member, day) if day else None
        if absence is not None:
            skipped.append(f"{manager.surname} {absence.reason} до {absence.end:%d.%m}")
        elif manager.duty and day is not None and day.weekday() not in manager.duty:
            skipped.append(f"{manager.surname} не дежурит в этот день")
        elif manager.daily_cap and day_counts.get(member, 0) >= manager.daily_cap:
            skipped.append(f"{manager.surname}: дневной лимит {manager.daily_cap} исчерпан")
        elif manager.monthly_cap and month_counts.get(member, 0) >= manager.monthly_cap:
            skipped.append(f"{manager.surname}: месячный лимит {manager.monthly_cap} исчерпан")
        else:
            eligible.append(member)
    if not eligible:
        return Step(spec.id, False, "в пуле сейчас никого: " + "; ".join(skipped))
    last = history.last_pool_owner(pool.name)
    order = _round_robin_order(pool.members, last)
    ranked = [m for m in order if m in eligible]
    if pool.method == "round_robin":
        owner = ranked[0]
        how = f"предыдущее письмо получил(а) {who(rules, last)}, следующий по кругу" if last in pool.members else "первый по кругу"
    else:
        since = (clock or datetime.min) - timedelta(days=pool.window_days) if clock else datetime(1970, 1, 1).astimezone()
        counts = history.owner_counts(since, pool=pool.name if pool.method == "weighted" else None)
        if pool.method == "weighted":
            owner = min(ranked, key=lambda m: (counts.get(m, 0) + 1) / rules.managers[m].weight)
            how = f"по весам: {counts.get(owner, 0)} писем из пула за {pool.window_days} дн., вес {rules.managers[owner].weight:g}"
        else:
            owner = min(ranked, key=lambda m: counts.get(m, 0))
            how = f"меньше всех писем за {pool.window_days} дн. ({counts.get(owner, 0)})"
    reasons = ["ни клиента, ни региона определить не удалось", f"очередь «{pool.name}»: {how} → {who(rules, owner)}"]
    if skipped:
        reasons.append("пропущены: " + "; ".join(skipped))
    return Match(owner, f"очередь «{pool.name}» → {owner}", tuple(reasons), pool=pool.name)


def _round_robin_order(members: Sequence[str], last: str | None) -> list[str]:
    if last is None or last not in members:
        return list(members)
    i = list(members).index(last) + 1
    return [*members[i:], *members[:i]]


def cond_fallback(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    owner = spec.owner
    if owner is None:
        return Match(None, "на ручной разбор", ("ни одно правило не подошло — письмо оставлено на ручной разбор",), action="triage")
    return Match(owner, f"по умолчанию → {owner}", (f"ни одно правило не подошло → {who(rules, owner)}",))

