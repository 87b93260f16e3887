"""The sales head's report as data: frozen values, computed in report.py, shown by
report_view.py and charts.py. Times are aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from inboxbot.compose.report_owners import Credit, HandOver, OpenDispute


@dataclass(frozen=True, slots=True)
class Totals:
    received: int  # every mail first seen in the period
    forwarded: int  # requests sent to a manager (forward, forward_and_tag)
    tagged: int  # requests only marked in the mailbox for a manager
    skipped: int  # not requests: auto-replies, bulk mail, internal mail…
    duplicates: int  # the same mail delivered again
    triage: int  # left to a human: no rule, unreadable, a forward that failed for good
    pending: int  # decided, not yet sent (the worker is retrying)
    repeats: int = 0  # the same request sent again (a resend, another of our addresses): counted once

    @property
    def requests(self) -> int:
        return self.forwarded + self.tagged + self.triage + self.pending


@dataclass(frozen=True, slots=True)
class ManagerLine:
    id: str
    name: str  # "Петров Д. С."
    total: int  # requests given to them in the period, by any rule
    pool: int  # of those, from the pool
    pool_share: float | None  # pool / all pool mail; None without pool mail
    target: float | None  # the fair share of the pool mail (None: not a pool member)
    answered: int
    waiting: int  # forwarded in the period, not answered yet
    median: timedelta | None  # working time from forward to answer
    p90: timedelta | None
    weight: str = ""  # «вес 1.3 (конверсия 26%)» when the pool weighs by conversion


@dataclass(frozen=True, slots=True)
class CountLine:
    key: str  # rule id, region code, district code
    label: str
    count: int
    share: float  # of the lines' total


@dataclass(frozen=True, slots=True)
class PoolSummary:
    name: str
    method: str  # "по кругу" …
    total: int  # pool mail in the period
    members: tuple[str, ...]
    # the most any member is off their fair share, in percentage points
    worst_gap: float


@dataclass(frozen=True, slots=True)
class QueueMember:
    """One member's part of a queue's mail: how many, what share, what they were due."""

    name: str
    count: int
    share: float | None  # None: the queue gave out nothing
    target: float | None


@dataclass(frozen=True, slots=True)
class Queue:
    """A named queue beside the first ([[pool]]): its summary and each member's share."""

    summary: PoolSummary
    members: tuple[QueueMember, ...]


@dataclass(frozen=True, slots=True)
class Response:
    answered: int
    forwarded: int
    median: timedelta | None
    p90: timedelta | None
    hours: str  # «пн–пт 09:00–18:00»


@dataclass(frozen=True, slots=True)
class Waiting:
    subject: str
    sender: str
    company: str
    owner: str  # name
    forwarded_at: datetime
    waited: timedelta  # working time since the forward
    reminded_at: datetime | None
    escalated_at: datetime | None
    escalated_to: str  # name, "" when not escalated
    earlier: bool  # first seen before the period


@dataclass(frozen=True, slots=True)
class Triaged:
    subject: str
    sender: str
    seen_at: datetime
    reason: str
    rule: str


@dataclass(frozen=True, slots=True)
class Substitution:
    absent: str  # name of whose client it was
    backup: str  # name of who got it
    count: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """Requests first seen on one day (or in one week, for long periods)."""

    start: date
    label: str  # «16.11» / «нед. 16.11»
    count: int


@dataclass(frozen=True, slots=True)
class ChangedDecision:
    seen_at: datetime
    sender: str
    subject: str
    was_owner: str  # name, or "" for nobody
    was_action: str  # forward | tag | skip (Decision.public_action)
    was_rule: str
    now_owner: str
    now_action: str
    now_rule: str
    reason: str  # the deciding reason of the new decision


@dataclass(frozen=True, slots=True)
class Changes:
    """Decisions of the period that the rules named in `rules_label` would change."""

    available: bool  # False: no raw mail to re-decide; `note` says why
    note: str
    rules_label: str  # «действующие правила (rules.toml)» / «новые правила (new.toml)»
    checked: int  # mails re-decided
    missing: int  # journal rows without a raw mail
    items: tuple[ChangedDecision, ...]


@dataclass(frozen=True, slots=True)
class Report:
    department: str
    since: datetime  # inclusive, aware
    until: datetime  # exclusive
    generated_at: datetime
    tz: tzinfo  # the department's: days and times are shown in it
    day_length: timedelta  # of a working day, to say long waits in working days
    totals: Totals
    managers: tuple[ManagerLine, ...]
    pool: PoolSummary | None
    rules: tuple[CountLine, ...]
    regions: tuple[CountLine, ...]  # the top ones; the rest in `other_regions`
    other_regions: int  # requests from regions past the top
    districts: tuple[CountLine, ...]
    response: Response
    waiting: tuple[Waiting, ...]  # the longest waiting first
    waiting_total: int
    waiting_earlier: int  # of those, first seen before the period
    triaged: tuple[Triaged, ...]
    substitutions: tuple[Substitution, ...]
    buckets: tuple[Bucket, ...]
    changes: Changes | None  # None: not checked
    credits: tuple[Credit, ...] = ()  # who answered beside who received; () when each answered their own
    handovers: tuple[HandOver, ...] = ()  # clients that changed owner in the period
    disputes: tuple[OpenDispute, ...] = ()  # «Нерешённые споры»
    queues: tuple[Queue, ...] = ()  # the named queues after the first, each with its shares
