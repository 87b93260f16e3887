"""Queries over SQLite: the report's rows of a period, `inboxbot status`'s summary."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.records import RequestRow
from inboxbot.store.rows import iso, request_of
from inboxbot.store.sqlite import Database


class SqliteQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        sql = "SELECT * FROM messages WHERE seen_at >= ?"
        args: list[object] = [iso(since)]
        if until is not None:
            sql += " AND seen_at < ?"
            args.append(iso(until))
        return [request_of(r) for r in self.database.all(sql + " ORDER BY id", args)]

    def summary(self) -> dict[str, object]:
        def counts(sql: str) -> dict[object, object]:
            return {row[0]: row[1] for row in self.database.all(sql)}

        with self.database.lock:
            states = counts("SELECT state, COUNT(*) FROM messages GROUP BY state")
            actions = counts("SELECT action, COUNT(*) FROM messages GROUP BY action")
            owners = counts("SELECT owner, COUNT(*) FROM messages WHERE owner IS NOT NULL GROUP BY owner")
            rules = counts("SELECT rule, COUNT(*) FROM messages GROUP BY rule")
            failing = [
                dict(r)
                for r in self.database.all(
                    "SELECT folder, uid, subject, state, error, attempts FROM messages "
                    "WHERE error IS NOT NULL ORDER BY id DESC LIMIT 20"
                )
            ]
            total = self.database.all("SELECT COUNT(*) FROM messages")[0][0]
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
            "SELECT uid, sender, subject, state, action, owner, rule, reasons, error FROM messages ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]
