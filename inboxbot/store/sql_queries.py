"""Queries over SQL (SQLite and PostgreSQL): the report's rows of a period, `inboxbot
status`'s summary."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.records import RequestRow
from inboxbot.store.rows import iso, request_of
from inboxbot.store.sql_dialect import Dialect, SqlDatabase


class SqlQueries:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        sql = "SELECT * FROM messages WHERE seen_at >= ?"
        args: list[object] = [iso(since)]
        if until is not None:
            sql += " AND seen_at < ?"
            args.append(iso(until))
        return [request_of(r) for r in self.database.all(self.dialect.sql(sql + " ORDER BY id"), args)]

    def summary(self) -> dict[str, object]:
        def counts(column: str, where: str = "") -> dict[object, object]:
            # NULL first, then by value (SQLite's GROUP BY order, asked of both).
            sql = f"SELECT {column} AS k, COUNT(*) AS n FROM messages {where} GROUP BY {column} ORDER BY k NULLS FIRST"
            return {row["k"]: row["n"] for row in self.database.all(sql)}

        with self.database.snapshot():
            states = counts("state")
            actions = counts("action")
            owners = counts("owner", "WHERE owner IS NOT NULL")
            rules = counts("rule")
            failing = [dict(r) for r in self.database.all(
                "SELECT folder, uid, subject, state, error, attempts FROM messages "
                "WHERE error IS NOT NULL ORDER BY id DESC LIMIT 20"
            )]  # fmt: skip
            total = self.database.all("SELECT COUNT(*) AS n FROM messages")[0]["n"]
        return {
            "total": total,
            "states": states,
            "actions": actions,
            "owners": owners,
            "rules": rules,
            "failing": failing,
        }

    def recent(self, limit: int = 50) -> list[dict[str, object]]:
        sql = "SELECT uid, sender, subject, state, action, owner, rule, reasons, error FROM messages ORDER BY id DESC"
        # A negative limit: all rows (SQLite's LIMIT -1; PostgreSQL refuses it).
        rows = self.database.all(self.dialect.sql(sql + " LIMIT ?"), (limit,)) if limit >= 0 else self.database.all(sql)
        return [dict(r) for r in rows]
