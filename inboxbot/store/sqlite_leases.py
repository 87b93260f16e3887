"""Leases over SQLite: the `leases` table, one row per name. One journal file serves one
machine, so the local clock is the store's clock here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inboxbot.store.rows import lease_text
from inboxbot.store.sqlite import Database

# Taken when free, lapsed or the holder's own (a renewal); shared with postgres_leases.py.
TAKE = (
    "INSERT INTO leases (name, holder, until) VALUES ({p}, {p}, {until}) ON CONFLICT (name) DO UPDATE SET "
    "holder = excluded.holder, until = excluded.until WHERE leases.holder = excluded.holder OR leases.until < {now}"
)


class SqliteLeases:
    def __init__(self, database: Database) -> None:
        self.database = database

    def take(self, name: str, holder: str, seconds: float) -> bool:
        now = datetime.now(UTC)
        with self.database.transaction() as db:
            taken = db.execute(
                TAKE.format(p="?", until="?", now="?"),
                (name, holder, lease_text(now + timedelta(seconds=seconds)), lease_text(now)),
            ).rowcount
        return taken == 1

    def release(self, name: str, holder: str) -> None:
        self.database.execute("DELETE FROM leases WHERE name=? AND holder=?", (name, holder))

    def holder(self, name: str) -> str | None:
        row = self.database.one("SELECT holder FROM leases WHERE name=? AND until >= ?", (name, lease_text(datetime.now(UTC))))
        return str(row["holder"]) if row else None
