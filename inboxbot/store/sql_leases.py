"""Leases over SQL (SQLite and PostgreSQL): the `leases` table, one row per name, on the
dialect's clock: PostgreSQL's now(), so workers on machines whose clocks disagree still
agree on when a lease lapsed; SQLite's journal serves one machine, whose clock it uses."""

from __future__ import annotations

from inboxbot.store.sql_dialect import Dialect, SqlDatabase

# Taken when free, lapsed, the holder's own (a renewal) or the named dead holder's.
_TAKE = (
    "INSERT INTO leases (name, holder, until) VALUES (?, ?, {until}) ON CONFLICT (name) DO UPDATE SET "
    "holder = excluded.holder, until = excluded.until "
    "WHERE leases.holder IN (excluded.holder, ?) OR leases.until < {now}"
)


class SqlLeases:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def take(self, name: str, holder: str, seconds: float, *, taking_over: str | None = None) -> bool:
        lease = self.dialect.lease(seconds)
        sql = self.dialect.sql(_TAKE.format(until=lease.until, now=lease.expired))
        args = (name, holder, *lease.until_args, taking_over or holder, *lease.expired_args)
        with self.database.transaction() as db:
            taken = db.execute(sql, args).rowcount
        return bool(taken == 1)

    def release(self, name: str, holder: str) -> None:
        self.database.execute(self.dialect.sql("DELETE FROM leases WHERE name=? AND holder=?"), (name, holder))

    def holder(self, name: str) -> str | None:
        now, args = self.dialect.now()
        row = self.database.one(self.dialect.sql(f"SELECT holder FROM leases WHERE name=? AND until >= {now}"), (name, *args))
        return str(row["holder"]) if row else None
