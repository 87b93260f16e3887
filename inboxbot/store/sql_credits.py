"""Credits over SQL (SQLite and PostgreSQL): the `credits` table (credit_rows.py), one row
per request credited back; the first record of a request stands (a repeated command
changes nothing)."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.credit import Credit, reference_forms
from inboxbot.store.credit_rows import COLUMNS, INSERT_SQL, credit_of, find_sql
from inboxbot.store.rows import iso
from inboxbot.store.sql_dialect import Dialect, SqlDatabase


class SqlCredits:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def credit_back(self, ref: str, by: str, at: datetime, reason: str = "") -> Credit | None:
        refs = reference_forms(ref)
        if not refs:
            return None
        sql = self.dialect.sql
        with self.database.transaction() as db:
            found = db.execute(sql(find_sql(len(refs))), (*refs, *refs)).fetchone()
            if found is None:
                return None
            values = (found["message_id"], found["owner"], found["pool"], found["rule"], found["subject"] or "",
                      iso(at), by, reason)  # fmt: skip
            new = db.execute(sql(INSERT_SQL), values).rowcount > 0
            row = db.execute(sql(f"SELECT {COLUMNS} FROM credits WHERE message_id=?"), (found["message_id"],)).fetchone()
        assert row is not None  # inserted now or before, in this transaction's view
        return credit_of(row, new=new)

    def credits(self, since: datetime) -> list[Credit]:
        rows = self.database.all(
            self.dialect.sql(f"SELECT {COLUMNS} FROM credits WHERE at >= ? ORDER BY at, message_id"), (iso(since),)
        )
        return [credit_of(r) for r in rows]
