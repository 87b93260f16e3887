"""Days away by the head's mail command over SQL (SQLite and PostgreSQL): the `presence`
table (presence_rows.py), one row per command; a command read again changes nothing."""

from __future__ import annotations

from datetime import date

from inboxbot.model.presence import DayAway
from inboxbot.store.presence_rows import COLUMNS, INSERT_SQL, day_away_of
from inboxbot.store.rows import iso
from inboxbot.store.sql_dialect import Dialect, SqlDatabase


class SqlPresence:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def record(self, away: DayAway) -> DayAway:
        values = (away.command, away.manager, away.day.isoformat(), away.backup, away.reason, away.by, iso(away.at))
        with self.database.transaction() as db:
            new = db.execute(self.dialect.sql(INSERT_SQL), values).rowcount > 0
            row = db.execute(self.dialect.sql(f"SELECT {COLUMNS} FROM presence WHERE command=?"), (away.command,)).fetchone()
        assert row is not None  # inserted now or before, in this transaction's view
        return day_away_of(row, new=new)

    def by_command(self, command: str) -> DayAway | None:
        rows = self.database.all(self.dialect.sql(f"SELECT {COLUMNS} FROM presence WHERE command=?"), (command,))
        return day_away_of(rows[0], new=False) if rows else None

    def on(self, first: date, last: date) -> list[DayAway]:
        rows = self.database.all(
            self.dialect.sql(f"SELECT {COLUMNS} FROM presence WHERE day >= ? AND day <= ? ORDER BY day, at, command"),
            (first.isoformat(), last.isoformat()),
        )
        return [day_away_of(r, new=False) for r in rows]
