"""Queries over PostgreSQL: the report's rows of a period, `inboxbot status`'s summary."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.records import RequestRow
from inboxbot.store.postgres import PgDatabase
from inboxbot.store.rows import iso, request_of


class PgQueries:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        sql = "SELECT * FROM messages WHERE seen_at >= %s"
        args: list[object] = [iso(since)]
        if until is not None:
            sql += " AND seen_at < %s"
            args.append(iso(until))
        return [request_of(r) for r in self.database.all(sql + " ORDER BY id", args)]

    def summary(self) -> dict[str, object]:
        def counts(column: str, where: str = "") -> dict[object, object]:
            # NULL first, then by value: the order SQLite's GROUP BY gives.
            sql = f"SELECT {column} AS k, COUNT(*) AS n FROM messages {where} GROUP BY {column} ORDER BY k NULLS FIRST"
            return {row["k"]: row["n"] for row in self.database.all(sql)}

        # One snapshot for every count: a worker committing meanwhile cannot make them disagree.
        with self.database.transaction() as db:
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            states = counts("state")
            actions = counts("action")
            owners = counts("owner", "WHERE owner IS NOT NULL")
            rules = counts("rule")
            failing = self.database.all(
                "SELECT folder, uid, subject, state, error, attempts FROM messages "
                "WHERE error IS NOT NULL ORDER BY id DESC LIMIT 20"
            )
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
        rows = self.database.all(
            "SELECT uid, sender, subject, state, action, owner, rule, reasons, error FROM messages "
            "ORDER BY id DESC LIMIT %s",
            (limit if limit >= 0 else None,),  # SQLite's LIMIT -1 is PostgreSQL's LIMIT NULL: all
        )
        return list(rows)
