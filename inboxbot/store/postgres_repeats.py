"""Recent requests over PostgreSQL: the `recent_requests` table (migration 4), as in
SQLite (sqlite_repeats.py)."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.repeats import RecentRequest
from inboxbot.store.postgres import PgDatabase
from inboxbot.store.rows import iso
from inboxbot.store.sqlite_repeats import COLUMNS, LIMIT, request_of, row_values


class PgRepeats:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def remember(self, request: RecentRequest) -> bool:
        with self.database.transaction() as db:
            sql = f"INSERT INTO recent_requests ({COLUMNS}) VALUES ({', '.join(['%s'] * 7)}) ON CONFLICT DO NOTHING"
            return bool(db.execute(sql, row_values(request)).rowcount)

    def recent(self, sender: str, since: datetime) -> list[RecentRequest]:
        rows = self.database.all(
            f"SELECT {COLUMNS} FROM recent_requests WHERE sender=%s AND at >= %s "
            f"ORDER BY at DESC, message_id LIMIT {LIMIT}",
            (sender.lower(), iso(since)),
        )
        return [request_of(r) for r in rows]

