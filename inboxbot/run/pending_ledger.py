"""The client ledger as the decisions of one run see it: the store's entries plus the
first assignments of the run's earlier decisions, whose forwards (and so their ledger
writes) only go after every decision of the run (batch.Batches.handle). Without it, three
mails of one new client in one poll would each be decided afresh (the round robin moving
on between them) before the first forward wrote its owner."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.decision import Decision
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.route.conditions.ledger import first_assignments
from inboxbot.route.context import ClientLedger


class PendingLedger:
    def __init__(self, stored: ClientLedger) -> None:
        self.stored = stored
        self.pending: dict[ClientKey, Assignment] = {}

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None:
        # A pending assignment is the newest: its decision found no live entry of its own
        # (none, or an expired one its write will replace).
        return next((self.pending[k] for k in keys if k in self.pending), None) or self.stored.find(keys)

    def add(self, decision: Decision, at: datetime, source: str) -> None:
        """A decision of this run that will write a first assignment once forwarded."""
        for entry in first_assignments(decision, at, source):
            self.pending.setdefault(entry.key, entry)
