"""The client ledger's nouns in the store, one interface each: whom a client belongs to
(`Ledger`), the changes to that (`LedgerChanges`: hand-overs, the head's decisions, undo),
each sender's recent requests for the `repeat` rule (`Repeats`) and the disputes over
who owns a client (`Conflicts`). Implemented like the nouns of interfaces.py, where the
`Store` holds them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from inboxbot.model.conflicts import Conflict, Dispute
from inboxbot.model.handover import Change
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.model.repeats import RecentRequest


class Ledger(Protocol):
    """Whom each client belongs to, by each identity it is known by (model/ledger.py)."""

    def claim(self, entries: Sequence[Assignment], *, renew_before: datetime | None = None) -> tuple[ClientKey, ...]:
        """Write each entry whose key has none yet, or only one from before `renew_before`
        (expired); every other key keeps its owner (the first assignment stays). All in
        one transaction; repeating a claim writes nothing. Returns the keys written."""
        ...

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None:
        """The entry of the first key in `keys` that has one."""
        ...

    def entries(self) -> list[Assignment]:
        """Every entry, by kind (KEY_KINDS order) and value: the export and the checks."""
        ...


class Repeats(Protocol):
    """Each sender's recent forwarded requests, for the `repeat` rule (model/repeats.py)."""

    def remember(self, request: RecentRequest) -> bool:
        """Keep a forwarded request; False when its Message-ID is kept already (the
        first stays: a decision resumed after a crash remembers it again)."""
        ...

    def recent(self, sender: str, since: datetime) -> list[RecentRequest]:
        """`sender`'s requests sent at or after `since`, newest first (at most 50)."""
        ...


class Conflicts(Protocol):
    """Disputes over who owns a client (model/conflicts.py), each recorded once by its
    facts, until the head settles it; a settled one stays settled."""

    def raise_conflict(self, dispute: Dispute, at: datetime) -> Conflict:
        """Record a dispute, or return the one recorded with the same facts (open or
        settled: then nothing changes)."""
        ...

    def mark_notified(self, number: int, at: datetime) -> None:
        """The owner was told of the dispute (once)."""
        ...

    def get(self, number: int) -> Conflict | None: ...

    def listing(self, *, open_only: bool = True) -> list[Conflict]:
        """The disputes by number; only the open ones unless `open_only` is False."""
        ...

    def settle(self, number: int, verdict: str, owner: str | None, why: str, by: str, at: datetime, *,
               change_id: int | None = None) -> Conflict | None:  # fmt: skip
        """The head's verdict on an open dispute (with the ledger change it made, if any), in
        one step; an already settled one keeps its verdict. Returns the dispute as it now
        stands (None: no such number)."""
        ...


class LedgerChanges(Protocol):
    """The ledger's changes after a first assignment (model/handover.py): a client moved
    by a hand-over, the head or the client base, each one transaction, kept as history."""

    def entries(self, key: ClientKey) -> tuple[Assignment, ...]:
        """Every entry of the client `key` names: its own and those written with it (same
        source, same owner), most reliable kind first; () when `key` has none."""
        ...

    def apply(self, change: Change) -> Change:
        """In one transaction: check the client still has `change.before`'s owners (else
        LedgerConflict, nothing written), replace its entries by `change.after`, hand the
        open requests `change.requests` (and their threads) to the new owner, and keep the
        change. A change whose `command` was applied already writes nothing and returns
        the stored one. Returns the change with its id."""
        ...

    def get(self, change_id: int) -> Change | None: ...

    def by_command(self, command: str) -> Change | None:
        """The change a mail command (its Message-ID) made, if it was applied."""
        ...

    def history(self, keys: Sequence[ClientKey] = (), limit: int = 50) -> list[Change]:
        """The newest `limit` changes touching any of `keys` (every change when none), newest first."""
        ...

    def unannounced(self) -> list[Change]:
        """Changes whose notices have not all gone yet, oldest first."""
        ...

    def claim_announcement(self, change_id: int, holder: str, seconds: float) -> bool:
        """Take the right to send change `change_id`'s notice for `seconds` of the store's
        clock: True when it is not announced yet and unclaimed, claimed by `holder`
        already, or claimed by a sender whose claim lapsed (killed while sending). Of two
        senders claiming at once exactly one wins; the loser must not send."""
        ...

    def mark_announced(self, change_id: int, at: datetime) -> None: ...

    def forwarded_request(self, message_ids: Sequence[str]) -> RequestRow | None:
        """The request whose forward (or own Message-ID) is among `message_ids` (a reply's
        In-Reply-To and References): what a command in reply to a forward is about."""
        ...
