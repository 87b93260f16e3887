"""The ledger's history in memory (tests, explain, replay): the same behaviour as
ledger_changes_sql.py, over MemoryLedger's entries and the memory tables' messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from inboxbot.model.handover import Change
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.store.ledger_change_rows import LedgerConflict, change_of, change_row
from inboxbot.store.ledger_changes_sql import select
from inboxbot.store.memory import Tables
from inboxbot.store.memory_ledger import MemoryLedger
from inboxbot.store.rows import iso, now_text, request_of


class MemoryLedgerChanges:
    def __init__(self, ledger: MemoryLedger, tables: Tables) -> None:
        self.ledger = ledger
        self.tables = tables
        self.rows: list[dict[str, Any]] = []  # id = position + 1
        self.claims: dict[int, tuple[str, datetime]] = {}  # change id → who sends its notice, until when

    def entries(self, key: ClientKey) -> tuple[Assignment, ...]:
        with self.ledger.lock:
            found = self.ledger.by_key.get(key)
            if found is None:
                return ()
            if not found.source:
                return (found,)
            group = [e for e in self.ledger.by_key.values() if e.source == found.source and e.owner == found.owner]
        order = ("inn", "domain", "name", "address")
        return tuple(sorted(group, key=lambda e: (order.index(e.key.kind), e.key.value)))

    def apply(self, change: Change) -> Change:
        with self.tables.lock, self.ledger.lock:
            if change.command:
                done = next((r for r in self.rows if r["command"] == change.command), None)
                if done is not None:
                    return change_of(done)
            for entry in change.before:
                now = self.ledger.by_key.get(entry.key)
                if now is None or now.owner != entry.owner:
                    raise LedgerConflict(entry.key.describe())
            for entry in change.before:
                self.ledger.by_key.pop(entry.key, None)
            for entry in change.after:
                self.ledger.by_key[entry.key] = entry
            if change.owner is not None and change.moves_requests:
                self._hand_requests(change.requests, change.owner)
            row = {**change_row(change), "id": len(self.rows) + 1}
            self.rows.append(row)
            return change_of(row)

    def _hand_requests(self, row_ids: Sequence[int], owner: str) -> None:
        for row_id in row_ids:
            row = self.tables.row(row_id)
            if row is None:
                continue
            row.update(owner=owner, reminded_at=None, updated_at=now_text())
            for mid in (row["message_id"], row["forward_id"]):
                if mid:
                    self.tables.threads[str(mid)] = owner

    def get(self, change_id: int) -> Change | None:
        with self.tables.lock:
            return change_of(self.rows[change_id - 1]) if 0 < change_id <= len(self.rows) else None

    def by_command(self, command: str) -> Change | None:
        with self.tables.lock:
            found = next((r for r in self.rows if command and r["command"] == command), None)
            return change_of(found) if found is not None else None

    def history(self, keys: Sequence[ClientKey] = (), limit: int = 50) -> list[Change]:
        with self.tables.lock:
            changes = [change_of(r) for r in reversed(self.rows)]
        return select(changes, keys, limit)

    def unannounced(self) -> list[Change]:
        with self.tables.lock:
            return [change_of(r) for r in self.rows if r["announced_at"] is None]

    def mark_announced(self, change_id: int, at: datetime) -> None:
        with self.tables.lock:
            if 0 < change_id <= len(self.rows) and self.rows[change_id - 1]["announced_at"] is None:
                self.rows[change_id - 1]["announced_at"] = iso(at)

    def claim_announcement(self, change_id: int, holder: str, seconds: float) -> bool:
        now = datetime.now(UTC)
        with self.tables.lock:
            if not 0 < change_id <= len(self.rows):
                return False
            row = self.rows[change_id - 1]
            claim = self.claims.get(change_id)
            if row["announced_at"] is not None or (claim is not None and claim[0] != holder and claim[1] >= now):
                return False
            self.claims[change_id] = (holder, now + timedelta(seconds=seconds))
            return True

    def forwarded_request(self, message_ids: Sequence[str]) -> RequestRow | None:
        ids = {m for m in message_ids if m}
        with self.tables.lock:
            found = [r for r in self.tables.messages
                     if r["forward_id"] and (r["forward_id"] in ids or r["message_id"] in ids)]  # fmt: skip
            return request_of(found[-1]) if found else None
