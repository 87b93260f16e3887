"""Ledger over PostgreSQL: the `ledger` table (migration 2), claimed as in SQLite
(sqlite_ledger.py): conditional upserts in one transaction, the first owner staying
until its entry expires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.postgres import PgDatabase
from inboxbot.store.sqlite_ledger import COLUMNS, UPSERT, assignment_of, renewal_text, row_values, sorted_entries


class PgLedger:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def claim(self, entries: Sequence[Assignment], *, renew_before: datetime | None = None) -> tuple[ClientKey, ...]:
        sql = UPSERT.format(p=", ".join(["%s"] * 8), renew="%s")
        written: list[ClientKey] = []
        with self.database.transaction() as db:
            for entry in entries:
                if db.execute(sql, (*row_values(entry), renewal_text(renew_before))).rowcount:
                    written.append(entry.key)
        return tuple(written)

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None:
        if not keys:
            return None
        # One round trip; the first key in `keys` that has an entry wins, as SQLite's loop.
        row = self.database.one(
            f"SELECT {', '.join('l.' + c for c in COLUMNS.split(', '))} FROM ledger l "
            "JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY AS wanted(kind, value, n) USING (kind, value) "
            "ORDER BY wanted.n LIMIT 1",
            ([k.kind for k in keys], [k.value for k in keys]),
        )
        return assignment_of(row) if row is not None else None

    def entries(self) -> list[Assignment]:
        return sorted_entries(assignment_of(r) for r in self.database.all(f"SELECT {COLUMNS} FROM ledger"))
