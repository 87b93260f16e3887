"""A day away recorded by the head's mail command («сегодня нет: Петров»): who is not in
on which day, who stands in, and which command said so. The store keeps them; routing
reads them beside the [presence] table, as an [[absence]] of that one day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


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
