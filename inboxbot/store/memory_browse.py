"""The web pages' views and audit in memory (tests, the demo's what-if): the same
behaviour as sqlite_browse.py and sql_audit.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from inboxbot.model.ledger import Assignment
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.browse_sql import fold_text, searched_text
from inboxbot.store.interfaces import AuditEntry, DigestItem, RequestFilter
from inboxbot.store.memory import Tables
from inboxbot.store.memory_ledger import MemoryLedger
from inboxbot.store.memory_releases import MemoryReleases
from inboxbot.store.release_rows import NOT_LISTED, item_of
from inboxbot.store.rows import iso, request_of

_STATES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "waiting": lambda r: r["forward_id"] is not None and r["answered_at"] is None,
    "answered": lambda r: r["answered_at"] is not None,
    "escalated": lambda r: r["escalated_at"] is not None,
    "triage": lambda r: r["action"] == "triage",
    "skipped": lambda r: r["action"] == "skip" and r["rule"] not in NOT_LISTED,
    "failed": lambda r: r["error"] is not None,
}


def matches(row: dict[str, Any], where: RequestFilter) -> bool:
    """What browse_sql.filter_sql selects, for one row of memory.py's table."""
    if where.visible_to is not None:
        mine = where.visible_to in (row["owner"], row["base_owner"])
        if not (mine or (where.unassigned and row["owner"] is None and row["action"] != "skip")):
            return False
    if where.owner and row["owner"] != where.owner:
        return False
    if where.state in _STATES and not _STATES[where.state](row):
        return False
    if where.since is not None and row["seen_at"] < iso(where.since):
        return False
    if where.until is not None and row["seen_at"] >= iso(where.until):
        return False
    text = fold_text(where.text)
    return not text or text in searched_text(row["sender"], row["subject"], row["decision"])


class MemoryBrowse:
    def __init__(self, tables: Tables, ledger: MemoryLedger, releases: MemoryReleases) -> None:
        self.tables, self.ledger, self.releases = tables, ledger, releases

    def search(self, where: RequestFilter, *, before: int | None = None, limit: int = 50) -> list[RequestRow]:
        found: list[RequestRow] = []
        with self.tables.lock:
            for row in reversed(self.tables.messages):
                if len(found) >= limit:
                    break
                if (before is None or row["id"] < before) and matches(row, where):
                    found.append(request_of(row))
        return found

    def request(self, row_id: int) -> RequestRow | None:
        with self.tables.lock:
            row = self.tables.row(row_id)
            return request_of(row) if row is not None else None

    def clients(self, *, owner: str | None = None, after: tuple[str, str] | None = None,
                limit: int = 100) -> list[Assignment]:  # fmt: skip
        with self.ledger.lock:
            entries = sorted(self.ledger.by_key.values(), key=lambda a: (a.key.kind, a.key.value))
        chosen = [a for a in entries if (owner is None or a.owner == owner)
                  and (after is None or (a.key.kind, a.key.value) > after)]  # fmt: skip
        return chosen[:limit]

    def digest_items(self, keys: Sequence[MessageKey]) -> dict[MessageKey, DigestItem]:
        wanted = set(keys)
        with self.tables.lock:
            rows = sorted(self.releases.digest_items.values(), key=lambda r: str(r["listed_at"]))
            items = [item_of(r) for r in rows]
        return {item.key: item for item in items if item.key in wanted}


class MemoryAudit:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        with self.lock:
            self.rows.append(entry)

    def entries(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        with self.lock:
            chosen = [e for e in reversed(self.rows) if subject is None or e.subject == subject]
        return chosen[:limit]
