"""Days away by the head's mail command over SQLite: the `presence` table
(presence_rows.py), one row per command; a command read again changes nothing."""

from __future__ import annotations

from datetime import date

from inboxbot.model.presence import DayAway
from inboxbot.store.presence_rows import COLUMNS, day_away_of, insert_sql
from inboxbot.store.rows import iso
from inboxbot.store.sqlite import Database


class SqlitePresence:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, away: DayAway) -> DayAway:
        values = (away.command, away.manager, away.day.isoformat(), away.backup, away.reason, away.by, iso(away.at))
        with self.database.transaction() as db:
            new = db.execute(insert_sql("?"), values).rowcount > 0
            row = db.execute(f"SELECT {COLUMNS} FROM presence WHERE command=?", (away.command,)).fetchone()
        assert row is not None  # inserted now or before, in this transaction's view
        return day_away_of(row, new=new)

    def by_command(self, command: str) -> DayAway | None:
        rows = self.database.all(f"SELECT {COLUMNS} FROM presence WHERE command=?", (command,))
        return day_away_of(rows[0], new=False) if rows else None

    def on(self, first: date, last: date) -> list[DayAway]:
        rows = self.database.all(
            f"SELECT {COLUMNS} FROM presence WHERE day >= ? AND day <= ? ORDER BY day, at, command",
            (first.isoformat(), last.isoformat()),
        )
        return [day_away_of(r, new=False) for r in rows]
