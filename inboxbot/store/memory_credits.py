"""Credits in memory (tests, explain, replay): the same behaviour as sql_credits.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from inboxbot.model.credit import Credit, reference_forms
from inboxbot.store.memory import Tables
from inboxbot.store.rows import iso


class MemoryCredits:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def credit_back(self, ref: str, by: str, at: datetime, reason: str = "") -> Credit | None:
        refs = set(reference_forms(ref))
        with self.tables.lock:
            found = next((r for r in reversed(self.tables.messages)
                          if r["owner"] is not None and (r["message_id"] in refs or r["forward_id"] in refs)), None)  # fmt: skip
            if found is None:
                return None
            mid = str(found["message_id"])
            known = self.tables.credits.get(mid)
            if known is not None:
                return replace(known, new=False)
            credit = Credit(mid, str(found["owner"]), found["pool"], found["rule"], str(found["subject"] or ""),
                            _second(at), by, reason)  # fmt: skip
            self.tables.credits[mid] = credit
            return credit

    def credits(self, since: datetime) -> list[Credit]:
        start = iso(since)
        with self.tables.lock:
            found = [c for c in self.tables.credits.values() if iso(c.at) >= start]
        return sorted(found, key=lambda c: (iso(c.at), c.message_id))


def _second(at: datetime) -> datetime:
    """To the second in UTC, as the other backends store it."""
    return datetime.fromisoformat(iso(at))
