"""What the bot keeps between polls, one interface per noun, and the `Store` holding them.

Each noun has one SQL implementation (sql_*.py) serving both the SQLite journal (sqlite.py,
one shared connection) and PostgreSQL (postgres.py: the store several workers share),
written through a dialect (sql_dialect.py) — only the web's views keep one per engine
(sqlite_browse.py, postgres_browse.py: their text searches differ) — and an in-memory
one (memory.py: tests, explain, replay), all built by `factory`. The steps that must happen once guard
themselves (the first decision stays, a row is forwarded once, the first answer counts):
two workers racing the same step get one winner on every backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.credit import Credit
from inboxbot.model.decision import Decision
from inboxbot.model.ledger import Assignment
from inboxbot.model.presence import DayAway
from inboxbot.model.records import DECIDED, Entry, MessageKey, RequestRow
from inboxbot.store.ledger_interfaces import Conflicts, Ledger, LedgerChanges, Repeats


class Messages(Protocol):
    """Every message seen and how far its handling got: decided → forwarded → marked,
    each step recorded once, before the next side effect starts."""

    def entry(self, key: MessageKey) -> Entry | None: ...

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        """The same mail journalled under another key: a second delivery of the same
        Message-ID (or, without one, the same bytes), or the mail after a UIDVALIDITY
        change. A copy that went out or was marked wins over one only `decided` (still
        waiting for its forward); among equals, the first."""
        ...

    def record_decision(
        self,
        key: MessageKey,
        msg: ParsedMessage,
        decision: Decision,
        *,
        details: Mapping[str, object] | None = None,
        seen_at: datetime | None = None,
    ) -> Entry:
        """Store the decision for a message (state `decided`) and remember its thread.
        Recording the same key again keeps the first decision: a retry must act on
        what was decided, not decide anew (the round robin would move on)."""
        ...

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> bool:
        """The forward went out; the manager's reply to it (its Message-ID) is the owner's thread.
        True when this call moved the row decided → forwarded; False when it was not
        `decided` (another worker recorded its forward first: that forward_id stays)."""
        ...

    def mark_notified(self, key: MessageKey, *, at: datetime | None = None) -> None:
        """The absence notices of a forwarded message went out (or were refused for good)."""
        ...

    def notified(self, key: MessageKey) -> bool: ...

    def mark_done(self, key: MessageKey, *, error: str | None = None) -> None:
        """The IMAP mark is set. `error`: why the mail went to manual triage instead of
        its owner; it stays in the journal for the human who picks the mail up."""
        ...

    def mark_done_many(self, keys: Sequence[MessageKey]) -> None:
        """mark_done for many messages in one transaction (their marks were set together)."""
        ...

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        """Count a failed attempt (SMTP down, IMAP refused); returns the attempt count.
        `about_message`: the server refused this very mail for now (not the server being
        down); the first such failure starts the clock of `failing_since`."""
        ...

    def failing_since(self, key: MessageKey) -> datetime | None:
        """When the server first refused this mail for now (record_failure(about_message=True))."""
        ...

    def claim(
        self, key: MessageKey, holder: str, seconds: float, *, state: str = DECIDED, taking_over: str | None = None
    ) -> bool:
        """Take the right to carry out this mail's effects (its forward first of all) for
        `seconds` of the store's clock: True when the row is still in `state` (as the
        caller found it) and unclaimed, claimed by `holder` already, claimed by
        `taking_over` (a holder the caller knows dead: its own earlier incarnation,
        run/claims.py), or claimed by someone whose claim lapsed (a worker that died). Of
        two workers claiming at once exactly one wins; the loser must not send. A row gone
        past `state` (another worker forwarded or marked it) is never claimed."""
        ...


class Leases(Protocol):
    """Named leases with an expiry on the store's clock (one clock for every worker,
    whatever their own say): who works for a mailbox now (run/lease.py)."""

    def take(self, name: str, holder: str, seconds: float, *, taking_over: str | None = None) -> bool:
        """Take or renew the lease `name` for `seconds`: True when it was free, lapsed or
        `holder`'s already, or `taking_over`'s (a holder the caller knows dead: its own
        earlier incarnation, run/holders.py); False while another holder's lease runs."""
        ...

    def release(self, name: str, holder: str) -> None:
        """Give the lease up (a clean stop), if `holder` has it: a standby takes over at once."""
        ...

    def holder(self, name: str) -> str | None:
        """Who holds the lease now (None when free or lapsed)."""
        ...


class RoutingHistory(Protocol):
    """What routing reads of the past (route.History): thread and subject owners, the
    round robin's last pick and the fair-share counts."""

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        """(owner, matched Message-ID) of the nearest message of a known thread."""
        ...

    def subject_owner(self, sender: str, subject: str) -> str | None: ...

    def last_pool_owner(self, pool: str) -> str | None: ...

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        """Mail assigned per owner since `since` (credited-back leads left out); only a
        pool's, or only that of the rules named (by the rule or, for a substitution, the
        rule that chose the absent manager)."""
        ...


class Credits(Protocol):
    """The head's credit-backs: a junk lead no longer counts in its manager's share of
    the pool (RoutingHistory.owner_counts leaves it out)."""

    def credit_back(self, ref: str, by: str, at: datetime, reason: str = "") -> Credit | None:
        """Credits back the request whose own or forward Message-ID is `ref` (with or
        without <>); None when the journal has no assigned request of that id. Repeating
        it changes nothing: the first record is returned with `new` False."""
        ...

    def credits(self, since: datetime) -> list[Credit]:
        """The credit-backs recorded at or after `since`, oldest first."""
        ...


class Presence(Protocol):
    """Days away the head reported by mail («сегодня нет: Петров»), one per command."""

    def record(self, away: DayAway) -> DayAway:
        """Records `away` once per command (Message-ID); a repeat returns the first record, new=False."""
        ...

    def by_command(self, command: str) -> DayAway | None: ...

    def on(self, first: date, last: date) -> list[DayAway]:
        """The days away from `first` to `last` inclusive, by day, then as recorded."""
        ...


class Requests(Protocol):
    """Forwarded requests after the forward: answers, reminders, escalations, and the
    client's acknowledgement (once per thread)."""

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        """A manager answered in the thread of a forwarded request: `message_ids` are the
        ids the answer refers to (In-Reply-To, References), matched against the request's
        own Message-ID and our forward's. The first answer counts; returns the requests
        that became answered. An answer to a repeat answers the request it repeats too."""
        ...

    def awaiting_answer(self) -> list[RequestRow]:
        """Forwarded requests nobody has answered yet, oldest first. Not a repeat: it
        waits with the request it repeats (the first one's reminder covers both)."""
        ...

    def record_reminder(self, row_id: int, at: datetime) -> None: ...

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        """The head was told (`to` = head id), or the request handed to `new_owner`: then
        it waits for the new owner's answer, with a reminder of its own."""
        ...

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        """Whether the client already got an acknowledgement in this thread."""
        ...

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        """The acknowledgement went out (or failed for good, `error`): never again for
        this message or any message of its thread."""
        ...

    def acked(self, key: MessageKey) -> bool: ...


class Queries(Protocol):
    """Read-only views for `inboxbot status` and the report."""

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        """Every message first seen in [since, until), in order: the report's input."""
        ...

    def summary(self) -> dict[str, object]:
        """Counts per state, action, owner and rule, the total, and the last 20 failing rows."""
        ...

    def recent(self, limit: int = 50) -> list[dict[str, object]]:
        """The last `limit` messages, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One mail listed in a digest of skipped mail, under its short `number`. `decision`:
    the release's decision once claimed (JSON form, Decision.to_dict); `released`: its
    forward went out; `outcome`: what became of it, in Russian, for the head."""

    digest_id: str
    number: int
    key: MessageKey
    decision: dict[str, object] | None
    released: bool
    outcome: str | None


@dataclass(frozen=True, slots=True)
class ReleaseCommand:
    """The head's reply to a digest: release `numbers` (None: every listed mail), or
    `refusal` (why nothing changes: an unauthorised sender, an unknown number)."""

    command_id: str  # the reply's Message-ID
    digest_id: str
    sender: str
    numbers: tuple[int, ...] | None
    refusal: str | None
    received_at: datetime


class Releases(Protocol):
    """Skipped mail in the head's daily digest, and its release by a reply: each step
    recorded once (a listing, a claim before the forward, the release after it, the
    answer to the head), so a crash anywhere resumes without a second release."""

    def skipped(self, since: datetime, until: datetime) -> list[RequestRow]:
        """Mail decided `skip` and first seen in [since, until), in order."""
        ...

    def record_digest(self, digest_id: str, keys: Sequence[MessageKey], at: datetime) -> None:
        """List `keys` under numbers 1… in digest `digest_id`; recording it again changes nothing."""
        ...

    def items(self, digest_id: str) -> list[DigestItem]: ...

    def digest_of(self, message_ids: Sequence[str]) -> str | None:
        """The digest among `message_ids` (a reply's In-Reply-To and References), if any."""
        ...

    def record_command(self, command: ReleaseCommand) -> bool:
        """Keep the head's reply until it is carried out; False when it was kept already."""
        ...

    def open_commands(self) -> list[ReleaseCommand]:
        """Replies not answered yet, oldest first."""
        ...

    def claim(self, digest_id: str, number: int, decision: Mapping[str, object], at: datetime) -> DigestItem:
        """The release's decision, before its forward: the first claim stays (a retry acts on it)."""
        ...

    def finish(self, digest_id: str, number: int, outcome: str, at: datetime, *, released: bool) -> None:
        """What became of the item (after its forward, when `released`)."""
        ...

    def close_command(self, command_id: str, at: datetime) -> None:
        """The head got the answer to this reply."""
        ...


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One action of a web user: `who` (a manager id, or the address tried at a failed
    login), `action` (a short name: login, login_failed, release…), `subject` (what it
    was done to: "request:17", a manager id; "" for none) and `detail` (Russian, for the head)."""

    at: datetime
    who: str
    action: str
    subject: str = ""
    detail: str = ""
    ip: str = ""


class Audit(Protocol):
    """Every action taken through the web pages, with who and when: appended, never changed."""

    def record(self, entry: AuditEntry) -> None: ...

    def entries(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The newest `limit` entries (about `subject` only, when given), newest first."""
        ...


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Which journalled messages a list shows. `text`: a piece of the sender, subject,
    company, INN or client address (any case); `owner`: one manager's; `state`: one of
    browse_sql.STATES; [since, until): first seen in. `visible_to`/`unassigned`: what
    the viewer may see — None: everything (the head); else rows owned (now or first) by
    that manager, plus rows without an owner when `unassigned`."""

    text: str = ""
    owner: str | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    visible_to: str | None = None
    unassigned: bool = False


class Browse(Protocol):
    """Read-only views for the web pages: paged by row id (newest first), indexed."""

    def search(self, where: RequestFilter, *, before: int | None = None, limit: int = 50) -> list[RequestRow]:
        """The rows matching `where` with id < `before` (None: from the newest), newest first."""
        ...

    def request(self, row_id: int) -> RequestRow | None: ...

    def clients(self, *, owner: str | None = None, after: tuple[str, str] | None = None,
                limit: int = 100) -> list[Assignment]:
        """Ledger entries (of `owner` only, when given), by (kind, value), after `after`."""
        ...

    def digest_items(self, keys: Sequence[MessageKey]) -> dict[MessageKey, DigestItem]:
        """For each key listed in a digest: its newest listing."""
        ...


class Meta(Protocol):
    """Small named values the worker keeps between runs (report period, what the head was told)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


class Durability(Protocol):
    """The backend's transactions as a whole: when commits become durable, and closing."""

    def grouped(self) -> contextlib.AbstractContextManager[None]:
        """Within the block, commits need not be made durable one by one; `sync()` makes
        everything committed so far durable, and so does leaving the block."""
        ...

    def sync(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Store:
    """One backend's nouns over one database. `path` names it (":memory:" when in memory)."""

    path: str
    messages: Messages
    history: RoutingHistory
    requests: Requests
    ledger: Ledger
    queries: Queries
    meta: Meta
    durability: Durability
    releases: Releases
    changes: LedgerChanges
    audit: Audit
    browse: Browse
    repeats: Repeats
    conflicts: Conflicts
    credits: Credits
    leases: Leases
    presence: Presence

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        with self.durability.grouped():
            yield

    def sync(self) -> None:
        self.durability.sync()

    def close(self) -> None:
        self.durability.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
