"""What the store hands the rest of the bot: message keys, journal entries, request rows.

Plain values: the core (notices, the report, the follow-up schedule) reads them without
knowing where they were kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

# decided → forwarded → marked; skipped/quarantined end in marked too once the IMAP
# mark is set. `state` is the last step that is known to have completed.
DECIDED: Final = "decided"
FORWARDED: Final = "forwarded"
MARKED: Final = "marked"


@dataclass(frozen=True, slots=True)
class MessageKey:
    """Where a message lives: IMAP identity, never a sequence number or a bare UID."""

    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A journalled message as the worker resumes it: its state and stored decision."""

    id: int
    key: MessageKey
    message_id: str
    content_hash: str
    state: str
    action: str | None
    owner: str | None
    rule: str | None
    forward_id: str | None
    attempts: int
    decision: dict[str, object] | None
    claimed_by: str | None  # the process that claimed it last (run/claims.py), its claim lapsed or not


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One journalled message as the report and the follow-up see it. Times are aware
    datetimes in UTC; `action` is the internal action (forward, forward_and_tag, tag,
    skip, triage)."""

    id: int
    key: MessageKey
    message_id: str
    sender: str
    subject: str
    sent_at: datetime | None
    seen_at: datetime
    state: str
    action: str | None
    owner: str | None
    rule: str | None
    base_owner: str | None
    base_rule: str | None
    pool: str | None
    reasons: tuple[str, ...]
    company: str | None
    inn: str | None
    region_code: str | None
    region_name: str | None
    district: str | None
    forward_id: str | None
    forwarded_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    answer_how: str | None  # "reply" (seen in the thread) | "flag" (\Answered in the mailbox)
    reminded_at: datetime | None
    escalated_at: datetime | None
    escalated_to: str | None
    acked_at: datetime | None
    error: str | None
    # The client's address when a colleague forwarded their mail to the shared box (the
    # original's author, found by extraction); "" when the sender is the client.
    client: str = ""
    # The Message-ID of the earlier request this one repeats: counted once, with that one.
    repeat_of: str | None = None

    @property
    def client_address(self) -> str:
        """Whom the request is from and an answer goes to: the client, not a forwarder."""
        return self.client or self.sender

    @property
    def forwarded(self) -> bool:
        return self.forward_id is not None
