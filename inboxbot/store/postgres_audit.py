"""Audit over PostgreSQL: the `audit` table (migration 4), appended to only."""

from __future__ import annotations

from inboxbot.store.browse_sql import audit_of, audit_values
from inboxbot.store.interfaces import AuditEntry
from inboxbot.store.postgres import PgDatabase


class PgAudit:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def record(self, entry: AuditEntry) -> None:
        self.database.execute(
            "INSERT INTO audit (at, who, action, subject, detail, ip) VALUES (%s, %s, %s, %s, %s, %s)",
            audit_values(entry),
        )

    def entries(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        if subject is None:
            rows = self.database.all("SELECT * FROM audit ORDER BY id DESC LIMIT %s", (limit,))
        else:
            rows = self.database.all("SELECT * FROM audit WHERE subject=%s ORDER BY id DESC LIMIT %s", (subject, limit))
        return [audit_of(r) for r in rows]
