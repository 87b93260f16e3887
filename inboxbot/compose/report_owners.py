"""The report's part about who owns and who serves the clients: who answered beside who
received (credit where it is due), the clients handed over in the period (the ledger's
entries other than a first assignment), and the disputes still open. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inboxbot.compose.labels import short_name
from inboxbot.model.conflicts import KIND_WORDS, Conflict
from inboxbot.model.ledger import FIRST_ASSIGNMENT, Assignment
from inboxbot.model.records import RequestRow
from inboxbot.rules.model import Rules


@dataclass(frozen=True, slots=True)
class Credit:
    """A manager's requests of the period: `received` (forwarded to them), `answered`
    (answered by them, whoever received it), `for_others` (of those, received by a colleague)."""

    id: str
    name: str
    received: int
    answered: int
    for_others: int


@dataclass(frozen=True, slots=True)
class HandOver:
    client: str
    owner: str  # name
    since: datetime
    how: str  # «передача», «решение руководителя» …


@dataclass(frozen=True, slots=True)
class OpenDispute:
    number: int
    what: str  # KIND_WORDS
    client: str
    who: str  # «Петров / Сидоров»
    raised: datetime
    detail: str


def credits(handled: Sequence[RequestRow], rules: Rules) -> tuple[Credit, ...]:
    """Per manager, for the requests given to managers in the period (`handled`, repeats
    left out). Only when someone answered a request another received: otherwise the
    managers' table already says it all, and the section is left out (empty)."""
    received = Counter(r.owner for r in handled if r.owner)
    answered = Counter(r.answered_by for r in handled if r.answered_by in rules.managers)
    others = Counter(r.answered_by for r in handled if r.answered_by in rules.managers and r.answered_by != r.owner)
    if not others:
        return ()
    ids = [m for m in rules.managers if received[m] or answered[m]]
    lines = [Credit(m, short_name(rules, m), received[m], answered[m], others[m]) for m in ids]
    return tuple(sorted(lines, key=lambda c: (-c.answered, -c.received, c.id)))


def handovers(entries: Sequence[Assignment], rules: Rules, since: datetime, until: datetime) -> tuple[HandOver, ...]:
    """The ledger's changes of owner in [since, until): one line per client (its most
    reliable identity), newest first."""
    seen: set[tuple[str, str, datetime]] = set()
    found: list[HandOver] = []
    for entry in entries:  # by kind, most reliable first (Ledger.entries)
        if entry.how == FIRST_ASSIGNMENT or not since <= entry.since < until:
            continue
        change = (entry.source or entry.key.describe(), entry.owner, entry.since)
        if change in seen:
            continue
        seen.add(change)
        found.append(HandOver(entry.key.describe(), short_name(rules, entry.owner), entry.since, entry.describe_how()))
    return tuple(sorted(found, key=lambda h: h.since, reverse=True))


def open_disputes(conflicts: Sequence[Conflict], rules: Rules) -> tuple[OpenDispute, ...]:
    return tuple(
        OpenDispute(c.number, KIND_WORDS[c.dispute.kind], c.dispute.client,
                    " / ".join(short_name(rules, m) for m in c.dispute.owners), c.raised_at, c.dispute.detail)
        for c in conflicts if c.open
    )  # fmt: skip
