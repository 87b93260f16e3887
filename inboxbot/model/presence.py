"""A day away recorded by the head's mail command («сегодня нет: Петров»): who is not in
on which day, who stands in, and which command said so. The store keeps them; routing
reads them beside the [presence] table, as an [[absence]] of that one day.

«Петров на месте» is kept the same way, as a record with the reason CANCELLED: it undoes
the days away of that manager and day recorded before it (`in_force`). Kept, not deleted,
so the cancel is once per command too (a kill before marking repeats the command, which
finds its record) and a later «сегодня нет» makes the day away again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

CANCELLED = "отмена"


@dataclass(frozen=True, slots=True)
class DayAway:
    manager: str
    day: date
    backup: str  # the stand-in named in the command, else the head
    reason: str
    command: str  # the Message-ID of the head's mail: one command, one record
    by: str  # who gave the command (a manager id)
    at: datetime  # when it was recorded
    new: bool = True  # False: recorded before (the command is read again after a kill)

    @property
    def cancels(self) -> bool:
        return self.reason == CANCELLED


def in_force(records: Sequence[DayAway]) -> list[DayAway]:
    """The days away among `records` (in the order they were recorded) that no later
    cancel of the same manager and day undid; the cancels themselves left out."""
    kept: list[DayAway] = []
    for record in records:
        if record.cancels:
            kept = [r for r in kept if (r.manager, r.day) != (record.manager, record.day)]
        else:
            kept.append(record)
    return kept
