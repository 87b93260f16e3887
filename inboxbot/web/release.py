"""The «Переслать» button of a skipped mail: the same release as the head's reply
«переслать N» to the digest (run/releases.py). The button records a command in the store
as that reply would; the worker carries it out after its next poll — decides the mail
again without the rule that skipped it, forwards it, and tells the head by mail what
became of it. No second path: the web never forwards anything itself.

A mail listed in a digest is released under its number there (so a later reply to that
digest finds it released and does not send it twice); a mail in no digest yet gets a
listing of its own first."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from inboxbot.model.records import RequestRow
from inboxbot.store.interfaces import DigestItem, ReleaseCommand, Store

# Listings and commands made by the pages: Message-ID-like, never a real mail's.
WEB_DOMAIN = "web.inboxbot.invalid"


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """Where a skipped mail stands: in which listing, asked for (a command still open),
    released, and what became of it."""

    item: DigestItem | None
    asked: bool

    @property
    def released(self) -> bool:
        return self.item is not None and self.item.released

    @property
    def outcome(self) -> str:
        return (self.item.outcome or "") if self.item is not None else ""


def release_states(store: Store, rows: list[RequestRow]) -> dict[int, ReleaseState]:
    """Each row's ReleaseState, by row id."""
    items = store.browse.digest_items([r.key for r in rows])
    open_items = {(c.digest_id, n) for c in store.releases.open_commands() if c.refusal is None
                  for n in (c.numbers or ())}  # fmt: skip
    states = {}
    for row in rows:
        item = items.get(row.key)
        asked = item is not None and (item.digest_id, item.number) in open_items
        states[row.id] = ReleaseState(item, asked)
    return states


# What the head is told after pressing the button, by ask_release's answer.
SAID = {
    "asked": "Письмо будет переслано после ближайшей проверки ящика; что с ним стало, бот напишет вам письмом.",
    "waiting": "Письмо уже ждёт пересылки: бот перешлёт его после ближайшей проверки ящика.",
    "released": "Письмо уже переслано раньше.",
}


def ask_release(store: Store, row: RequestRow, head_email: str, now: datetime) -> str:
    """Record the release of `row` as the head's command; returns a key of SAID."""
    state = release_states(store, [row])[row.id]
    if state.released:
        return "released"
    if state.asked:
        return "waiting"
    item = state.item
    if item is None:
        digest_id = f"listing.{row.id}.{secrets.token_hex(8)}@{WEB_DOMAIN}"
        store.releases.record_digest(digest_id, [row.key], now)
        digest_id, number = digest_id, 1
    else:
        digest_id, number = item.digest_id, item.number
    command = ReleaseCommand(f"release.{secrets.token_hex(12)}@{WEB_DOMAIN}", digest_id, head_email.lower(),
                             (number,), None, now)  # fmt: skip
    store.releases.record_command(command)
    return "asked"
