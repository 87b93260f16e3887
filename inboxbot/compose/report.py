"""The sales head's distribution report: what the journal says about a period. Pure.

`build_report` turns journal rows into a frozen `Report`: counts per manager and rule,
pool shares against the fair share, regions, response times in working hours, requests
still waiting for an answer, mail left to manual triage and absence substitutions. The
caller passes the clock (`now`).

The values are in report_data.py, the names of rules and managers in labels.py. The
report's last section, the decisions a rule change would alter, is computed by
run/recheck.py (it needs the raw mails and the pipeline) and passed in as `changes`; the
mail and the HTML file are put together in report_mail.py (from report_view.py), the
charts in charts.py.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from inboxbot.compose.labels import POOL_METHODS, rule_label, short_name
from inboxbot.compose.report_data import (
    Bucket,
    Changes,
    CountLine,
    ManagerLine,
    PoolSummary,
    Queue,
    QueueMember,
    Report,
    Response,
    Substitution,
    Totals,
    Triaged,
    Waiting,
)
from inboxbot.compose.report_owners import credits, handovers, open_disputes
from inboxbot.model.conflicts import Conflict
from inboxbot.model.decision import DUPLICATE_RULE
from inboxbot.model.ledger import Assignment
from inboxbot.model.records import FORWARDED, MARKED, RequestRow
from inboxbot.route.absence import ABSENCE_RULE
from inboxbot.route.decide import NO_RULE
from inboxbot.route.share import month_targets
from inboxbot.rules.model import Pool, Rules, day_in
from inboxbot.rules.regions import DISTRICTS

FORWARDING = ("forward", "forward_and_tag")
HANDLED = ("forward", "forward_and_tag", "tag")  # a request given to a manager
WAITING_SHOWN = 15  # longest-waiting requests listed; the rest are counted
TOP_REGIONS = 10
DAILY_UP_TO = 45  # longer periods are counted per week
MIN_FOR_P90 = 10  # answers needed before the report says «у 9 из 10 — не дольше …»


def build_report(
    rows: Sequence[RequestRow],
    awaiting: Sequence[RequestRow],
    rules: Rules,
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    changes: Changes | None = None,
    waiting_shown: int = WAITING_SHOWN,
    conflicts: Sequence[Conflict] = (),
    ledger: Sequence[Assignment] = (),
    credited: Collection[str] = (),
) -> Report:
    """The report of `rows`, the mail first seen in [since, until) (the store's
    queries.requests), with `awaiting`, the forwarded requests nobody answered yet
    (requests.awaiting_answer). `now` is when waiting requests are measured. `waiting_shown`: how many of the longest-waiting requests are listed
    (`inboxbot status --list` lists them all). `conflicts`: the store's disputes (the open
    ones are listed); `ledger`: its entries (the hand-overs of the period are listed).
    `credited`: Message-IDs of leads the head credited back (store.credits): requests
    still, but out of the pool shares."""
    waiting_rows = [r for r in awaiting if r.seen_at < until and _is_waiting(r)]
    report = aggregate(rows, waiting_rows, rules, since, until, now=now, changes=changes, waiting_shown=waiting_shown,
                       credited=credited)  # fmt: skip
    return replace(report, handovers=handovers(ledger, rules, since, until), disputes=open_disputes(conflicts, rules))


def aggregate(
    rows: Sequence[RequestRow],
    waiting_rows: Sequence[RequestRow],
    rules: Rules,
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    changes: Changes | None = None,
    waiting_shown: int = WAITING_SHOWN,
    credited: Collection[str] = (),
) -> Report:
    """The report from journal rows: `rows` first seen in the period, `waiting_rows` the
    forwarded requests not answered yet (any period up to `until`). Pure."""
    hours = rules.department.hours
    # A repeat of a request is that request again: forwarded to its owner, counted once.
    handled = [r for r in rows if r.action in HANDLED and r.owner and not _failed(r) and r.repeat_of is None]
    response_rows = [r for r in handled if r.forwarded_at is not None and r.action in FORWARDING]
    times: dict[str, list[timedelta]] = defaultdict(list)
    for row in response_rows:
        if row.answered_at is not None and row.owner:
            assert row.forwarded_at is not None
            times[row.owner].append(hours.elapsed(row.forwarded_at, row.answered_at))
    all_times = [t for owner_times in times.values() for t in owner_times]
    median, p90 = percentiles(all_times)
    regions, other_regions, districts = _regions(rows)
    waiting = _waiting(waiting_rows, rules, since, now)
    return Report(
        department=rules.department.name,
        since=since,
        until=until,
        generated_at=now,
        tz=rules.department.timezone,
        day_length=hours.day_length,
        totals=_totals(rows),
        managers=_managers(handled, response_rows, times, rules, _shared(handled, credited)),
        pool=_pool_summary(_shared(handled, credited), rules, rules.pool),
        queues=_queues(_shared(handled, credited), rules),
        rules=_rules(rows, rules),
        regions=regions,
        other_regions=other_regions,
        districts=districts,
        response=Response(len(all_times), len(response_rows), median, p90, hours.describe()),
        waiting=tuple(waiting[:waiting_shown]),
        waiting_total=len(waiting),
        waiting_earlier=sum(1 for w in waiting if w.earlier),
        triaged=tuple(sorted(_triaged(rows), key=lambda t: t.seen_at)),
        substitutions=_substitutions(handled, rules),
        buckets=_buckets(rows, rules, since, until),
        changes=changes,
        credits=credits(handled, rules),
    )


def _failed(row: RequestRow) -> bool:
    """A forward the SMTP server refused for good: the mail went to manual triage."""
    return row.action in FORWARDING and row.state == MARKED and row.forward_id is None and bool(row.error)


def _is_waiting(row: RequestRow) -> bool:
    return row.action in FORWARDING and row.forwarded_at is not None and row.answered_at is None


def _totals(rows: Sequence[RequestRow]) -> Totals:
    counts: Counter[str] = Counter()
    for row in rows:
        if row.rule == DUPLICATE_RULE:
            counts["duplicates"] += 1
        elif row.repeat_of is not None:
            counts["repeats"] += 1
        elif row.action == "skip":
            counts["skipped"] += 1
        elif row.action == "triage" or _failed(row):
            counts["triage"] += 1
        elif row.state not in (FORWARDED, MARKED):
            counts["pending"] += 1
        elif row.action in FORWARDING:
            counts["forwarded"] += 1
        elif row.action == "tag":
            counts["tagged"] += 1
    return Totals(len(rows), counts["forwarded"], counts["tagged"], counts["skipped"], counts["duplicates"],
                  counts["triage"], counts["pending"], counts["repeats"])  # fmt: skip


def percentiles(values: Sequence[timedelta]) -> tuple[timedelta | None, timedelta | None]:
    """(median, 90th percentile by nearest rank); (None, None) for no values. The 90th
    percentile is None below MIN_FOR_P90 values: «у 9 из 10» of one answer says nothing."""
    if not values:
        return None, None
    ordered = sorted(values)
    seconds = statistics.median(v.total_seconds() for v in ordered)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if len(ordered) >= MIN_FOR_P90 else None
    return timedelta(seconds=seconds), p90


def _managers(
    handled: Sequence[RequestRow],
    response_rows: Sequence[RequestRow],
    times: Mapping[str, Sequence[timedelta]],
    rules: Rules,
    shared: Sequence[RequestRow],
) -> tuple[ManagerLine, ...]:
    totals = Counter(r.owner for r in handled if r.owner)
    pool = rules.pool
    pool_rows = [r for r in shared if pool is not None and r.pool == pool.name]
    pool_counts = Counter(r.owner for r in pool_rows if r.owner)
    targets = fair_shares(pool_rows, rules, pool) if pool else {}
    waiting = Counter(r.owner for r in response_rows if r.answered_at is None and r.owner)
    members = pool.members if pool else ()
    ids = [m for m in rules.managers if totals[m] or m in members]
    ids += sorted(o for o in totals if o not in rules.managers)  # managers since removed from the rules
    lines = []
    for manager_id in ids:
        median, p90 = percentiles(times.get(manager_id, ()))
        lines.append(ManagerLine(
            id=manager_id,
            name=short_name(rules, manager_id),
            total=totals[manager_id],
            pool=pool_counts[manager_id],
            pool_share=pool_counts[manager_id] / len(pool_rows) if pool_rows else None,
            target=targets.get(manager_id) if manager_id in members else None,
            answered=len(times.get(manager_id, ())),
            waiting=waiting[manager_id],
            median=median,
            p90=p90,
            weight=pool.weight_text(rules.managers[manager_id]) if pool and manager_id in pool.conversion else "",
        ))  # fmt: skip
    return tuple(sorted(lines, key=lambda line: -line.total))


def _shared(handled: Sequence[RequestRow], credited: Collection[str]) -> list[RequestRow]:
    """The requests that count in the pool shares: all but the leads credited back."""
    gone = set(credited)
    return [r for r in handled if r.message_id not in gone] if gone else list(handled)


def fair_shares(pool_rows: Sequence[RequestRow], rules: Rules, pool: Pool) -> dict[str, float]:
    """Each member's fair share of the mail of queue `pool`, mail by mail: a mail is
    shared among the members who could take it on its day (not absent, on duty) —
    equally for round_robin and least_loaded, by weight for weighted. Without mail of
    the queue, the shares of a day when everyone is present."""
    if not pool.members:
        return {}

    def weight(member: str) -> float:
        manager = rules.managers.get(member)
        return pool.weight(manager) if manager and pool.method == "weighted" else 1.0

    def shares_on(day: date | None) -> dict[str, float]:
        present = [m for m in pool.members if m in rules.managers and _available(rules, m, day)]
        present = present or list(pool.members)
        total = sum(weight(m) for m in present) or 1.0
        return {m: weight(m) / total for m in present}

    if not pool_rows:
        return shares_on(None)
    if pool.period == "month":  # the month's share the queue itself keeps (route/share.py)
        days = [day_in(rules, r.sent_at or r.seen_at) for r in pool_rows]
        members = [m for m in pool.members if m in rules.managers]
        weights = {m: weight(m) for m in members}
        return month_targets([d for d in days if d is not None], members, weights, rules)
    expected: Counter[str] = Counter()
    by_day: dict[date | None, dict[str, float]] = {}
    for row in pool_rows:
        day = day_in(rules, row.sent_at or row.seen_at)
        if day not in by_day:
            by_day[day] = shares_on(day)
        expected.update(by_day[day])
    return {m: expected[m] / len(pool_rows) for m in pool.members}


def _available(rules: Rules, member: str, day: date | None) -> bool:
    if day is None:
        return True
    manager = rules.managers[member]
    return rules.absence_on(member, day) is None and (not manager.duty or day.weekday() in manager.duty)


def _pool_summary(handled: Sequence[RequestRow], rules: Rules, pool: Pool | None) -> PoolSummary | None:
    if pool is None:
        return None
    pool_rows = [r for r in handled if r.pool == pool.name]
    targets = fair_shares(pool_rows, rules, pool)
    counts = Counter(r.owner for r in pool_rows)
    gap = max((abs(counts[m] / len(pool_rows) - targets.get(m, 0.0)) for m in pool.members), default=0.0) if pool_rows else 0.0
    return PoolSummary(pool.name, POOL_METHODS.get(pool.method, pool.method), len(pool_rows), pool.members, gap * 100)


def _queues(handled: Sequence[RequestRow], rules: Rules) -> tuple[Queue, ...]:
    """Every named queue but the first (whose shares are the managers' columns): each
    member's mail of that queue, share and due share."""
    queues = []
    for pool in rules.pools.values():
        summary = _pool_summary(handled, rules, pool)
        if summary is None or (rules.pool is not None and pool.name == rules.pool.name):
            continue
        rows = [r for r in handled if r.pool == pool.name]
        targets, counts = fair_shares(rows, rules, pool), Counter(r.owner for r in rows)
        members = tuple(
            QueueMember(short_name(rules, m), counts[m], counts[m] / len(rows) if rows else None, targets.get(m))
            for m in pool.members
        )
        queues.append(Queue(summary, members))
    return tuple(queues)


def _rules(rows: Sequence[RequestRow], rules: Rules) -> tuple[CountLine, ...]:
    # A substitution is counted under the rule that chose the absent manager.
    counts = Counter((r.base_rule if r.rule == ABSENCE_RULE and r.base_rule else r.rule) or NO_RULE for r in rows)
    order = {spec.id: index for index, spec in enumerate(rules.rules)}
    total = sum(counts.values()) or 1
    return tuple(
        CountLine(rule_id, rule_label(rules, rule_id), count, count / total)
        for rule_id, count in sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]))
    )


def _regions(rows: Sequence[RequestRow]) -> tuple[tuple[CountLine, ...], int, tuple[CountLine, ...]]:
    """(top regions and the unknown ones, requests from the other regions, districts)."""
    requests = [r for r in rows if r.action != "skip"]
    total = len(requests) or 1
    regions: Counter[str] = Counter()
    names: dict[str, str] = {}
    districts: Counter[str] = Counter()
    for row in requests:
        code = row.region_code or ""
        regions[code] += 1
        if code:
            names[code] = f"{code} {row.region_name}" if row.region_name else code
        districts[row.district or ""] += 1
    known = sorted(((c, n) for c, n in regions.items() if c), key=lambda kv: (-kv[1], kv[0]))
    top = [CountLine(c, names[c], n, n / total) for c, n in known[:TOP_REGIONS]]
    if regions[""]:
        top.append(CountLine("", "не определён", regions[""], regions[""] / total))
    district_lines = tuple(
        CountLine(code, DISTRICTS.get(code, code) if code else "не определён", n, n / total)
        for code, n in sorted(districts.items(), key=lambda kv: (not kv[0], -kv[1], kv[0]))
    )
    return tuple(top), sum(n for _, n in known[TOP_REGIONS:]), district_lines


def _waiting(rows: Sequence[RequestRow], rules: Rules, since: datetime, now: datetime) -> list[Waiting]:
    """Forwarded, unanswered requests, the longest waiting first."""
    hours = rules.department.hours
    items = []
    for row in rows:
        assert row.forwarded_at is not None
        items.append(Waiting(
            subject=row.subject,
            sender=row.client_address,
            company=row.company or "",
            owner=short_name(rules, row.owner),
            forwarded_at=row.forwarded_at,
            waited=hours.elapsed(row.forwarded_at, now),
            reminded_at=row.reminded_at,
            escalated_at=row.escalated_at,
            escalated_to=short_name(rules, row.escalated_to) if row.escalated_to else "",
            earlier=row.seen_at < since,
        ))  # fmt: skip
    items.sort(key=lambda w: (-w.waited, w.forwarded_at))
    return items


def _triaged(rows: Sequence[RequestRow]) -> Iterable[Triaged]:
    for row in rows:
        if row.rule != DUPLICATE_RULE and (row.action == "triage" or _failed(row)):
            reason = row.error or (row.reasons[-1] if row.reasons else "")
            yield Triaged(row.subject, row.client_address, row.seen_at, reason, row.rule or NO_RULE)


def _substitutions(handled: Sequence[RequestRow], rules: Rules) -> tuple[Substitution, ...]:
    pairs = Counter((r.base_owner, r.owner) for r in handled if r.base_owner and r.owner and r.base_owner != r.owner)
    return tuple(
        Substitution(short_name(rules, absent), short_name(rules, backup), count)
        for (absent, backup), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _buckets(rows: Sequence[RequestRow], rules: Rules, since: datetime, until: datetime) -> tuple[Bucket, ...]:
    tz = rules.department.timezone
    first = since.astimezone(tz).date()
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    days = (last - first).days + 1
    step = 1 if days <= DAILY_UP_TO else 7
    if step == 7:
        first -= timedelta(days=first.weekday())
    counts: Counter[date] = Counter()
    for row in rows:
        if row.action == "skip":
            continue
        # The day the client wrote (Date), when it falls in the period: mail read after a
        # weekend or an outage counts on its own day. A Date outside (a wrong clock) does not.
        sent = row.sent_at if row.sent_at is not None and since <= row.sent_at < until else row.seen_at
        day = sent.astimezone(tz).date()
        counts[first + timedelta(days=(day - first).days // step * step)] += 1
    buckets = []
    start = first
    while start <= last:
        label = f"{start:%d.%m}" if step == 1 else f"нед. {start:%d.%m}"
        buckets.append(Bucket(start, label, counts[start]))
        start += timedelta(days=step)
    return tuple(buckets)


def day_bounds(rules: Rules, first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after `last` 00:00) in the department's time zone, as UTC."""
    tz = rules.department.timezone
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end

