"""Days away by mail command in memory (tests, explain, replay): as sql_presence.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from inboxbot.model.presence import DayAway
from inboxbot.store.memory import Tables
from inboxbot.store.rows import iso


class MemoryPresence:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def record(self, away: DayAway) -> DayAway:
        with self.tables.lock:
            known = self.tables.presence.get(away.command)
            if known is not None:
                return replace(known, new=False)
            kept = replace(away, at=datetime.fromisoformat(iso(away.at)), new=True)  # to the second, as stored
            self.tables.presence[away.command] = kept
            return kept

    def by_command(self, command: str) -> DayAway | None:
        with self.tables.lock:
            known = self.tables.presence.get(command)
        return replace(known, new=False) if known else None

    def on(self, first: date, last: date) -> list[DayAway]:
        with self.tables.lock:
            found = [replace(a, new=False) for a in self.tables.presence.values() if first <= a.day <= last]
        return sorted(found, key=lambda a: (a.day, iso(a.at), a.command))
