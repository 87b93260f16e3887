"""Every noun of the store in memory, for tests, `inboxbot explain` and `replay`: the
same behaviour as the SQLite backend (tests/test_store_contract.py runs both), nothing
on disk, gone with the process.

The tables hold what SQLite holds, in the same form (rows of `messages` by column name,
times as ISO text, JSON text), so both backends build their records with store/rows.py
and compare times the same way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.credit import Credit
from inboxbot.model.decision import Decision
from inboxbot.model.presence import DayAway
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, Entry, MessageKey, RequestRow
from inboxbot.model.subjects import subject_key
from inboxbot.store.rows import decided_row, entry_of, iso, lease_text, now_text, parse_time, request_of, starts_thread
from inboxbot.store.sqlite import ADDED_COLUMNS

MessageRow = dict[str, Any]


@dataclass(slots=True)
class Tables:
    """The in-memory database the noun classes share; `lock` makes each step atomic."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    messages: list[MessageRow] = field(default_factory=list)  # row id = position + 1
    by_key: dict[MessageKey, MessageRow] = field(default_factory=dict)
    threads: dict[str, str] = field(default_factory=dict)  # Message-ID → owner
    subjects: dict[tuple[str, str], str] = field(default_factory=dict)  # (sender, subject key) → owner
    acks: dict[str, str] = field(default_factory=dict)  # Message-ID → when
    meta: dict[str, str] = field(default_factory=dict)
    credits: dict[str, Credit] = field(default_factory=dict)  # Message-ID → the credit-back
    presence: dict[str, DayAway] = field(default_factory=dict)  # command Message-ID → the day away

    def row(self, row_id: int) -> MessageRow | None:
        return self.messages[row_id - 1] if 0 < row_id <= len(self.messages) else None

    def update(self, key: MessageKey, **fields: object) -> None:
        row = self.by_key.get(key)
        if row is not None:
            row.update(fields, updated_at=now_text())


class MemoryMessages:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def entry(self, key: MessageKey) -> Entry | None:
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            return entry_of(row) if row else None

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        with self.tables.lock:
            if has_message_id:
                rows = [r for r in self.tables.messages if r["message_id"] == message_id and r["has_message_id"] == 1]
            else:
                rows = [r for r in self.tables.messages if r["content_hash"] == content_hash]
            best = min(rows, key=lambda r: (r["state"] == DECIDED, r["id"]), default=None)
            return entry_of(best) if best else None

    def record_decision(
        self,
        key: MessageKey,
        msg: ParsedMessage,
        decision: Decision,
        *,
        details: Mapping[str, object] | None = None,
        seen_at: datetime | None = None,
    ) -> Entry:
        with self.tables.lock:
            existing = self.tables.by_key.get(key)
            if existing is not None:
                return entry_of(existing)
            now = iso(seen_at) if seen_at else now_text()
            row: MessageRow = {"id": len(self.tables.messages) + 1, "forward_id": None, "error": None, "attempts": 0}
            row.update(dict.fromkeys(ADDED_COLUMNS))
            row.update(decided_row(key, msg, decision, details, now))
            self.tables.messages.append(row)
            self.tables.by_key[key] = row
            if starts_thread(decision):
                assert decision.owner is not None
                self.tables.threads.setdefault(msg.message_id, decision.owner)
                if row["sender"] and msg.subject:
                    self.tables.subjects[(str(row["sender"]).lower(), subject_key(msg.subject))] = decision.owner
            return entry_of(row)

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> bool:
        now = iso(at) if at else now_text()
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            self.tables.threads.setdefault(forward_id, owner)
            if row is None or row["state"] != DECIDED:
                return False
            row.update(state=FORWARDED, forward_id=forward_id, forwarded_at=now, updated_at=now, error=None)
            return True

    def mark_notified(self, key: MessageKey, *, at: datetime | None = None) -> None:
        with self.tables.lock:
            self.tables.update(key, notified_at=iso(at) if at else now_text())

    def notified(self, key: MessageKey) -> bool:
        return self._column(key, "notified_at") is not None

    def mark_done(self, key: MessageKey, *, error: str | None = None) -> None:
        with self.tables.lock:
            self.tables.update(key, state=MARKED, error=error)

    def mark_done_many(self, keys: Sequence[MessageKey]) -> None:
        with self.tables.lock:
            for key in keys:
                self.tables.update(key, state=MARKED, error=None)

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        now = now_text()
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            if row is None:
                return 0
            row.update(attempts=row["attempts"] + 1, error=error, updated_at=now)
            if about_message and not row["failing_since"]:
                row["failing_since"] = now
            return int(row["attempts"])

    def failing_since(self, key: MessageKey) -> datetime | None:
        return parse_time(self._column(key, "failing_since"))

    def claim(
        self, key: MessageKey, holder: str, seconds: float, *, state: str = DECIDED, taking_over: str | None = None
    ) -> bool:
        now = datetime.now(UTC)
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            if row is None or row["state"] != state:
                return False
            if row["claimed_by"] not in (None, holder, taking_over) and row["claim_until"] >= lease_text(now):
                return False
            row.update(claimed_by=holder, claim_until=lease_text(now + timedelta(seconds=seconds)))
            return True

    def _column(self, key: MessageKey, column: str) -> Any:
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            return row[column] or None if row else None


class MemoryHistory:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        with self.tables.lock:
            for mid in message_ids:
                owner = self.tables.threads.get(mid)
                if owner is not None:
                    return owner, mid
        return None

    def subject_owner(self, sender: str, subject: str) -> str | None:
        with self.tables.lock:
            return self.tables.subjects.get((sender.lower(), subject_key(subject)))

    def last_pool_owner(self, pool: str) -> str | None:
        with self.tables.lock:
            return next((str(r["owner"]) for r in reversed(self.tables.messages)
                         if r["pool"] == pool and r["owner"] is not None), None)  # fmt: skip

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        start = since.astimezone(UTC).isoformat(timespec="seconds")  # compared as text, as SQLite does
        with self.tables.lock:
            rows = [r for r in self.tables.messages
                    if r["owner"] is not None and r["repeat_of"] is None and r["seen_at"] >= start
                    and (pool is None or r["pool"] == pool) and r["message_id"] not in self.tables.credits
                    and (rules is None or r["rule"] in rules or r["base_rule"] in rules)]  # fmt: skip
        return group_count(rows, "owner")


def group_count(rows: Sequence[MessageRow], column: str) -> dict[Any, int]:
    """COUNT(*) … GROUP BY column, in SQLite's order: NULL first, then by value."""
    counts: dict[Any, int] = {}
    for row in rows:
        counts[row[column]] = counts.get(row[column], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (item[0] is not None, item[0] or "")))


class MemoryRequests:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        ids = {m for m in message_ids if m}
        with self.tables.lock:
            # An answer to a repeat answers the request it repeats (and so stops its reminder).
            ids |= {r["repeat_of"] for r in self.tables.messages
                    if r["repeat_of"] is not None and (r["message_id"] in ids or r["forward_id"] in ids)}  # fmt: skip
            rows = [r for r in self.tables.messages if r["forward_id"] is not None and r["answered_at"] is None
                    and (r["message_id"] in ids or r["forward_id"] in ids)]  # fmt: skip
            for row in rows:
                row.update(answered_at=iso(at), answered_by=by, answer_how=how, updated_at=now_text())
            return [request_of(r) for r in rows]

    def awaiting_answer(self) -> list[RequestRow]:
        with self.tables.lock:
            return [request_of(r) for r in self.tables.messages
                    if r["answered_at"] is None and r["forward_id"] is not None and r["state"] != DECIDED
                    and r["repeat_of"] is None]  # fmt: skip

    def record_reminder(self, row_id: int, at: datetime) -> None:
        with self.tables.lock:
            row = self.tables.row(row_id)
            if row is not None:
                row.update(reminded_at=iso(at), updated_at=now_text())

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        with self.tables.lock:
            row = self.tables.row(row_id)
            if new_owner is None:
                if row is not None:
                    row.update(escalated_at=iso(at), escalated_to=to, updated_at=now_text())
                return
            if row is not None:
                row.update(escalated_at=iso(at), escalated_to=to, owner=new_owner, forward_id=new_forward_id,
                           forwarded_at=iso(at), reminded_at=None, updated_at=now_text())  # fmt: skip
            # The client's next reply in this thread goes to the new owner too.
            for mid in (row["message_id"] if row else None, new_forward_id):
                if mid:
                    self.tables.threads[mid] = new_owner

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        with self.tables.lock:
            return any(m in self.tables.acks for m in message_ids if m)

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        with self.tables.lock:
            for mid in thread_ids:
                if mid:
                    self.tables.acks.setdefault(mid, iso(at))
            self.tables.update(key, acked_at=iso(at), ack_error=error)

    def acked(self, key: MessageKey) -> bool:
        with self.tables.lock:
            row = self.tables.by_key.get(key)
            return bool(row and row["acked_at"])


class MemoryQueries:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        start, end = iso(since), iso(until) if until is not None else None
        with self.tables.lock:
            return [request_of(r) for r in self.tables.messages
                    if r["seen_at"] >= start and (end is None or r["seen_at"] < end)]  # fmt: skip

    def summary(self) -> dict[str, object]:
        with self.tables.lock:
            rows = list(self.tables.messages)
            failing = [{c: r[c] for c in ("folder", "uid", "subject", "state", "error", "attempts")}
                       for r in reversed(rows) if r["error"] is not None][:20]  # fmt: skip
        return {
            "total": len(rows),
            "states": group_count(rows, "state"),
            "actions": group_count(rows, "action"),
            "owners": group_count([r for r in rows if r["owner"] is not None], "owner"),
            "rules": group_count(rows, "rule"),
            "failing": failing,
        }

    def recent(self, limit: int = 50) -> list[dict[str, object]]:
        columns = ("uid", "sender", "subject", "state", "action", "owner", "rule", "reasons", "error")
        with self.tables.lock:
            newest = self.tables.messages[::-1]
        return [{c: r[c] for c in columns} for r in (newest[:limit] if limit >= 0 else newest)]  # LIMIT -1: all


class MemoryMeta:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def get(self, key: str) -> str | None:
        with self.tables.lock:
            return self.tables.meta.get(key)

    def set(self, key: str, value: str) -> None:
        with self.tables.lock:
            self.tables.meta[key] = value


class MemoryDurability:
    """Nothing to make durable; `sync` leaves the same trace as SQLite's."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        try:
            yield
        finally:
            self.sync()

    def sync(self) -> None:
        with self.tables.lock:
            self.tables.meta["synced_at"] = now_text()

    def close(self) -> None:
        """Nothing to release: the tables go with the last reference."""
