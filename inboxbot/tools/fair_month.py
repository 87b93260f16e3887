"""A simulated month of pool mail through the real `route.decide` with a moving clock:
how each member's share compares with their target on a chosen day (say, the day someone
returns from an absence: before catch-up) and at the month's end (after it). Every named
queue ([[pool]]) is simulated, each with its own month of mail (`simulate_queues`): the
anonymous requests go to the queue a rule without `pool = "…"` takes, so each queue in
turn is made that one, and its mail counts in its own fresh journal.

The target is computed here on its own, from the rule written in the demo rules.toml
(the month's pool mail × weight × days present / Σ weight × days present), not by
calling route/share.py: the simulation checks the router against the documented rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.route.decide import decide
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store


@dataclass(frozen=True, slots=True)
class Row:
    """One member on one day: pool mail got so far, the target, days present."""

    member: str
    got: int
    target: float
    days: int
    weight: float


@dataclass(frozen=True, slots=True)
class Month:
    queue: str
    snapshot: date
    at_snapshot: tuple[Row, ...]
    at_end: tuple[Row, ...]
    total: int
    requests: tuple[RequestRow, ...]  # the month as the journal holds it (for the report)


def working_moments(rules: Rules, year: int, month: int, count: int) -> list[datetime]:
    """`count` arrival times spread evenly over the month's working hours."""
    hours = rules.department.hours
    days = [d for d in _month_days(year, month) if hours.is_working_day(d)]
    per_day, extra = divmod(count, len(days))
    moments: list[datetime] = []
    span = (datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)).total_seconds()
    for i, day in enumerate(days):
        n = per_day + (1 if i < extra else 0)
        start = datetime.combine(day, hours.start, tzinfo=rules.department.timezone)
        moments += [start + timedelta(seconds=span * (k + 0.5) / n) for k in range(n)]
    return moments


def simulate(rules: Rules, year: int, month: int, count: int, snapshot: date, queue: str | None = None) -> Month:
    """Route `count` anonymous requests (nothing known about the sender: pool mail)
    through `decide`, each at its own moment, recorded in a fresh store as the worker
    records it; the shares of `queue` (None: the first) on the evening before `snapshot`
    and at the month's end."""
    pool = rules.pools[queue] if queue is not None else rules.pool
    assert pool is not None
    rules = replace(rules, pool=pool)  # the queue a rule naming none takes: this one
    store = memory_store()
    at_snapshot: tuple[Row, ...] = ()
    got: dict[str, int] = dict.fromkeys(pool.members, 0)
    for n, moment in enumerate(working_moments(rules, year, month, count)):
        if not at_snapshot and moment.date() >= snapshot:
            at_snapshot = rows(rules, got, snapshot - timedelta(days=1))  # the evening before
        msg = anonymous_request(n, moment)
        decision = decide(msg, Facts(new_text=msg.text), rules, store.history, received_at=moment)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, decision, seen_at=moment)
        if decision.owner in got and decision.pool == pool.name:
            got[decision.owner] += 1
    last = max(d for d in _month_days(year, month) if rules.department.hours.is_working_day(d))
    journal = tuple(store.queries.requests(datetime(year, month, 1, tzinfo=UTC) - timedelta(days=1)))
    return Month(pool.name, snapshot, at_snapshot, rows(rules, got, last), sum(got.values()), journal)


def simulate_queues(rules: Rules, year: int, month: int, count: int, snapshot: date) -> tuple[Month, ...]:
    """`simulate` for every named queue of `rules`, in their order, `count` requests each."""
    names = tuple(rules.pools) or ((rules.pool.name,) if rules.pool is not None else ())
    return tuple(simulate(rules, year, month, count, snapshot, name if rules.pools else None) for name in names)


def rows(rules: Rules, got: dict[str, int], day: date) -> tuple[Row, ...]:
    """The documented target of each member with the mail counted so far."""
    assert rules.pool is not None
    weighted = rules.pool.method == "weighted"
    days = {m: sum(1 for d in _month_days(day.year, day.month) if d <= day and _present(rules, m, d)) for m in got}
    weights = {m: rules.pool.weight(rules.managers[m]) if weighted else 1.0 for m in got}
    whole = sum(weights[m] * days[m] for m in got) or 1.0
    total = sum(got.values())
    return tuple(Row(m, got[m], total * weights[m] * days[m] / whole, days[m], weights[m]) for m in got)


def with_month_share(rules: Rules, method: str = "least_loaded") -> Rules:
    """Every queue shared by the calendar month with `method`."""
    assert rules.pool is not None
    first = replace(rules.pool, period="month", method=method)
    pools = {name: replace(p, period="month", method=method) for name, p in rules.pools.items()}
    return replace(rules, pool=first, pools=MappingProxyType({**pools, first.name: first}))


def table(month: Month) -> str:
    """A plain-text table: each member's share against the target, before and after."""
    head = f"{'участник':<12} {'дн.':>4} {'вес':>5} | {'на ' + f'{month.snapshot:%d.%m}':>10} {'цель':>6} {'откл.':>6} | {'за месяц':>8} {'цель':>6} {'откл.':>6}"
    lines = [f"очередь «{month.queue}»", head, "-" * len(head)]
    for before, after in zip(month.at_snapshot, month.at_end, strict=True):
        lines.append(
            f"{after.member:<12} {after.days:>4} {after.weight:>5g} | {before.got:>10} {before.target:>6.1f} "
            f"{before.got - before.target:>+6.1f} | {after.got:>8} {after.target:>6.1f} {after.got - after.target:>+6.1f}"
        )
    lines.append(f"всего писем очереди: {month.total}")
    return "\n".join(lines)


def _present(rules: Rules, member: str, day: date) -> bool:
    manager = rules.managers[member]
    on_duty = not manager.duty or day.weekday() in manager.duty
    return on_duty and rules.department.hours.is_working_day(day) and rules.absence_on(member, day) is None


def _month_days(year: int, month: int) -> Sequence[date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def anonymous_request(n: int, moment: datetime) -> ParsedMessage:
    """A request nobody can place: a free-mail sender, no company, no region."""
    raw = (
        f"From: client{n}@gmail.com\nTo: sales@severkarton.test\nSubject: Запрос цены {n}\n"
        f"Date: {moment:%a, %d %b %Y %H:%M:%S %z}\nMessage-ID: <sim{n}@gmail.com>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
        "Добрый день! Пришлите цену на коробки 400x300x200, 1000 шт.\n"
    )
    return parse(raw.encode("utf-8"))

