"""Conflicts over PostgreSQL: the `conflicts` table (migrations 7 and 10), as in SQLite
(sqlite_conflicts.py)."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.conflicts import Conflict, Dispute
from inboxbot.store.postgres import PgDatabase
from inboxbot.store.rows import iso
from inboxbot.store.sqlite_conflicts import COLUMNS, NEW, SETTLE, conflict_of, new_values


class PgConflicts:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def raise_conflict(self, dispute: Dispute, at: datetime) -> Conflict:
        select = f"SELECT {COLUMNS} FROM conflicts WHERE facts=%s"
        row = self.database.one(select, (dispute.facts,))
        if row is None:
            # Only when it is new: a conflicting insert would use up a number (an identity
            # is not rolled back), and the head would see № 3 after № 1.
            with self.database.transaction() as db:
                db.execute(f"INSERT INTO conflicts ({NEW}) VALUES ({', '.join(['%s'] * 8)}) ON CONFLICT (facts) DO NOTHING",
                           new_values(dispute, at))  # fmt: skip
            row = self.database.one(select, (dispute.facts,))
        assert row is not None
        return conflict_of(row)

    def mark_notified(self, number: int, at: datetime) -> None:
        self.database.execute("UPDATE conflicts SET notified_at=%s WHERE number=%s AND notified_at IS NULL", (iso(at), number))

    def get(self, number: int) -> Conflict | None:
        row = self.database.one(f"SELECT {COLUMNS} FROM conflicts WHERE number=%s", (number,))
        return conflict_of(row) if row is not None else None

    def listing(self, *, open_only: bool = True) -> list[Conflict]:
        where = " WHERE settled_at IS NULL" if open_only else ""
        return [conflict_of(r) for r in self.database.all(f"SELECT {COLUMNS} FROM conflicts{where} ORDER BY number")]

    def settle(self, number: int, verdict: str, owner: str | None, why: str, by: str, at: datetime, *,
               change_id: int | None = None) -> Conflict | None:  # fmt: skip
        with self.database.transaction() as db:
            db.execute("UPDATE conflicts SET " + SETTLE.replace("?", "%s"), (iso(at), verdict, owner, why, by, change_id, number))
        return self.get(number)
