"""The situation a condition judges (the mail, its facts, the rules, the past, who writes),
computed once per mail, and what a condition returns: a `Match` or a `Miss`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import ClientRef
from inboxbot.model.facts import Facts
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.repeats import RecentRequest, RepeatOf
from inboxbot.route.identity import Identity, identify
from inboxbot.rules.model import Rules


class History(Protocol):
    """What routing reads of the past; the store (inboxbot.store.interfaces.RoutingHistory) provides it."""

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None: ...

    def subject_owner(self, sender: str, subject: str) -> str | None: ...

    def last_pool_owner(self, pool: str) -> str | None: ...

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        """Mail assigned per owner since `since` (credited-back leads left out); only a
        pool's, or only that of the rules named (by the rule or, for a substitution, the
        rule that chose the absent manager)."""
        ...


class ClientLedger(Protocol):
    """Whom known clients belong to; the store (inboxbot.store.interfaces.Ledger) provides it."""

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None: ...


class RecentRequests(Protocol):
    """A sender's recent forwarded requests; the store (inboxbot.store.interfaces.Repeats) provides them."""

    def recent(self, sender: str, since: datetime) -> Sequence[RecentRequest]: ...


@dataclass(frozen=True, slots=True)
class Match:
    """A condition that decided: the owner (None with action skip/triage) and why."""

    owner: str | None
    detail: str
    reasons: tuple[str, ...] = ()
    action: str | None = None
    client: ClientRef | None = None
    pool: str | None = None
    repeat_of: RepeatOf | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    """A condition that did not decide, and why not (the rule's step in the trail)."""

    detail: str

@dataclass
class Situation:
    """What a decision computes once and every condition may read. Not frozen: who writes
    is worked out on first use, and conditions leave notes for the reasons."""

    msg: ParsedMessage
    facts: Facts
    rules: Rules
    history: History
    moment: datetime | None  # when the mail was sent (Date), else when it arrived
    moment_source: str
    received_at: datetime | None
    ledger: ClientLedger | None = None  # None: no ledger (the `ledger` rule never matches)
    recent: RecentRequests | None = None  # None: nothing kept (the `repeat` rule never matches)
    notes: list[str] = field(default_factory=list)
    _identity: Identity | None = None

    @property
    def day(self) -> date | None:
        if self.moment is None:
            return None
        return self.moment.astimezone(self.rules.department.timezone).date()

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = identify(self.msg, self.facts, self.rules)
        return self._identity

    @property
    def clock(self) -> datetime | None:
        """The bot's own time, for windows and caps (the Date header may be old)."""
        return self.received_at or self.moment

