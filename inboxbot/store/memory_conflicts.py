"""Conflicts in memory (tests, explain, replay): the same behaviour as sql_conflicts.py."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

from inboxbot.model.conflicts import Conflict, Dispute


def _second(at: datetime) -> datetime:
    """As the databases keep it: UTC, to the second."""
    return at.astimezone(UTC).replace(microsecond=0)


class MemoryConflicts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[int, Conflict] = {}
        self.by_facts: dict[str, int] = {}

    def raise_conflict(self, dispute: Dispute, at: datetime) -> Conflict:
        with self.lock:
            number = self.by_facts.get(dispute.facts)
            if number is None:
                number = len(self.rows) + 1
                self.rows[number] = Conflict(number, dispute, _second(at))
                self.by_facts[dispute.facts] = number
            return self.rows[number]

    def mark_notified(self, number: int, at: datetime) -> None:
        with self.lock:
            if number in self.rows:
                self.rows[number] = replace(self.rows[number], notified=True)

    def get(self, number: int) -> Conflict | None:
        with self.lock:
            return self.rows.get(number)

    def listing(self, *, open_only: bool = True) -> list[Conflict]:
        with self.lock:
            return [c for _, c in sorted(self.rows.items()) if c.open or not open_only]

    def settle(self, number: int, verdict: str, owner: str | None, why: str, by: str, at: datetime, *,
               change_id: int | None = None) -> Conflict | None:  # fmt: skip
        with self.lock:
            known = self.rows.get(number)
            if known is not None and known.open:
                known = self.rows[number] = replace(known, settled_at=_second(at), verdict=verdict, owner=owner, why=why,
                                                    settled_by=by, change_id=change_id)  # fmt: skip
            return known
