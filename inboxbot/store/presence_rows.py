"""The `presence` table (days away by the head's mail command) as SQLite and PostgreSQL
both write it, and its rows as DayAway. The placeholders differ ({p}: ? or %s)."""

from __future__ import annotations

from datetime import date
from typing import Final

from inboxbot.model.presence import DayAway
from inboxbot.store.rows import Row, parse_time

PRESENCE_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS presence (
    command     TEXT PRIMARY KEY,
    manager     TEXT NOT NULL,
    day         TEXT NOT NULL,
    backup      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    by_manager  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS presence_day ON presence (day);
"""
COLUMNS: Final = "command, manager, day, backup, reason, by_manager, at"


INSERT_SQL: Final = f"INSERT INTO presence ({COLUMNS}) VALUES ({', '.join('?' * 7)}) ON CONFLICT (command) DO NOTHING"


def day_away_of(row: Row, *, new: bool = True) -> DayAway:
    at = parse_time(row["at"])
    assert at is not None
    return DayAway(
        manager=str(row["manager"]), day=date.fromisoformat(str(row["day"])), backup=str(row["backup"]),
        reason=str(row["reason"]), command=str(row["command"]), by=str(row["by_manager"]), at=at, new=new,
    )  # fmt: skip
