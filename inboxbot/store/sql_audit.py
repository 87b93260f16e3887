"""Audit over SQL (SQLite and PostgreSQL): the `audit` table (browse_sql.WEB_SCHEMA),
appended to only."""

from __future__ import annotations

from inboxbot.store.browse_sql import audit_of, audit_values
from inboxbot.store.interfaces import AuditEntry
from inboxbot.store.sql_dialect import Dialect, SqlDatabase


class SqlAudit:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def record(self, entry: AuditEntry) -> None:
        self.database.execute(
            self.dialect.sql("INSERT INTO audit (at, who, action, subject, detail, ip) VALUES (?, ?, ?, ?, ?, ?)"),
            audit_values(entry),
        )

    def entries(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEntry]:
        if subject is None:
            rows = self.database.all(self.dialect.sql("SELECT * FROM audit ORDER BY id DESC LIMIT ?"), (limit,))
        else:
            rows = self.database.all(
                self.dialect.sql("SELECT * FROM audit WHERE subject=? ORDER BY id DESC LIMIT ?"), (subject, limit)
            )
        return [audit_of(r) for r in rows]
