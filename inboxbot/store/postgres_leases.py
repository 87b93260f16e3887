"""Leases over PostgreSQL: the `leases` table on the database's clock (now()), so workers
on machines whose clocks disagree still agree on when a lease lapsed."""

from __future__ import annotations

from inboxbot.store.postgres import PgDatabase
from inboxbot.store.sqlite_leases import TAKE


class PgLeases:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def take(self, name: str, holder: str, seconds: float) -> bool:
        sql = TAKE.format(p="%s", until="now() + make_interval(secs => %s)", now="now()")
        return self.database.execute(sql, (name, holder, seconds)) == 1

    def release(self, name: str, holder: str) -> None:
        self.database.execute("DELETE FROM leases WHERE name=%s AND holder=%s", (name, holder))

    def holder(self, name: str) -> str | None:
        row = self.database.one("SELECT holder FROM leases WHERE name=%s AND until >= now()", (name,))
        return str(row["holder"]) if row else None
