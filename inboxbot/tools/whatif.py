"""What-if: run two sets of rules over the same mail and list what would change.

The sales head edits rules.toml, then asks "which requests would now go elsewhere, and
how would the shares move?" before the worker picks the new file up. Each rule set
replays the mail in order with its own history, so threads and the round robin evolve
as they would have under those rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from inboxbot.io.mailsource import StoredMail
from inboxbot.model.decision import Decision
from inboxbot.model.records import MessageKey
from inboxbot.route.conditions.ledger import first_assignments, renew_before
from inboxbot.route.conditions.repeat import to_remember
from inboxbot.run.pipeline import Outcome, Pipeline
from inboxbot.store.factory import memory_store


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    subject: str
    before: Decision
    after: Decision


@dataclass(frozen=True, slots=True)
class Comparison:
    total: int
    changes: tuple[Change, ...]
    shares_before: dict[str, int]
    shares_after: dict[str, int]


class Replayer:
    """One rule set replaying mail in arrival order with an in-memory history."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.store = memory_store()
        self._count = 0
        self._sent: datetime | None = None

    def run(self, stored: StoredMail) -> Outcome:
        self._count += 1
        now = datetime.now(UTC)
        outcome = self.pipeline.run(
            stored.raw, self.store.history, received_at=now, ledger=self.store.ledger, recent=self.store.repeats
        )
        msg = outcome.msg
        self.store.messages.record_decision(
            MessageKey("replay", 0, self._count),
            msg,
            outcome.decision,
        )
        # As if forwarded when it was sent: a new client's first owner is written, later mail
        # of it follows, and the explanation's date is the mail's (replay prints the same
        # every day); a mail without a Date takes the last one seen.
        self._sent = msg.date or self._sent or now
        self.store.ledger.claim(
            first_assignments(outcome.decision, self._sent, msg.message_id),
            renew_before=renew_before(self.pipeline.rules, self._sent),
        )
        request = to_remember(self.pipeline.rules, msg, outcome.facts, outcome.decision, self._sent)
        if request is not None:
            self.store.repeats.remember(request)
        return outcome


def owner_of(decision: Decision) -> str | None:
    """Who gets the mail: nobody for skipped mail."""
    return decision.owner if decision.action != "skip" else None


def compare(mails: Iterable[StoredMail], before: Pipeline, after: Pipeline) -> Comparison:
    old, new = Replayer(before), Replayer(after)
    changes: list[Change] = []
    shares_before: Counter[str] = Counter()
    shares_after: Counter[str] = Counter()
    total = 0
    for stored in mails:
        total += 1
        a, b = old.run(stored), new.run(stored)
        for shares, decision in ((shares_before, a.decision), (shares_after, b.decision)):
            if owner_of(decision):
                shares[owner_of(decision) or ""] += 1
        if (owner_of(a.decision), a.decision.public_action) != (owner_of(b.decision), b.decision.public_action):
            changes.append(Change(stored.label, a.msg.subject, a.decision, b.decision))
    return Comparison(total, tuple(changes), dict(shares_before), dict(shares_after))
