"""Audit over SQLite: the `audit` table (browse_sql.WEB_SCHEMA), appended to only."""

from __future__ import annotations

from inboxbot.store.browse_sql import WEB_SCHEMA, audit_of, audit_values
from inboxbot.store.interfaces import AuditEntry
from inboxbot.store.sqlite import Database


class SqliteAudit:
    def __init__(self, database: Database) -> None:
        self.database = database
        with database.lock:
            database.db.executescript(WEB_SCHEMA)

    def record(self, entry: AuditEntry) -> None:
        self.database.execute(
            "INSERT INTO audit (at, who, action, subject, detail, ip) VALUES (?, ?, ?, ?, ?, ?)", audit_values(entry)
        )

    def entries(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        if subject is None:
            rows = self.database.all("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.database.all("SELECT * FROM audit WHERE subject=? ORDER BY id DESC LIMIT ?", (subject, limit))
        return [audit_of(r) for r in rows]
