"""A credit-back: the head's word that a lead was junk, so it no longer counts in its
manager's share of the pool (nor against their caps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Credit:
    message_id: str  # the request's own Message-ID, as the journal keeps it
    owner: str  # whose share it leaves
    pool: str | None
    rule: str | None
    subject: str
    at: datetime
    by: str  # manager id of who credited it back (the head)
    reason: str
    new: bool = True  # False: it had been credited back before; the first record stands


def reference_forms(ref: str) -> tuple[str, ...]:
    """A Message-ID as the head may paste it (with or without <>, spaces) in the forms the
    journal may hold it."""
    bare = ref.strip().strip("<>").strip()
    return (bare, f"<{bare}>") if bare else ()
