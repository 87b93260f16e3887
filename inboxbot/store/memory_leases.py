"""Leases in memory (tests, explain, replay): the same behaviour as sql_leases.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class MemoryLeases:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.leases: dict[str, tuple[str, datetime]] = {}  # name → (holder, until)

    def take(self, name: str, holder: str, seconds: float, *, taking_over: str | None = None) -> bool:
        now = datetime.now(UTC)
        with self.lock:
            current = self.leases.get(name)
            if current is not None and current[0] not in (holder, taking_over) and current[1] >= now:
                return False
            self.leases[name] = (holder, now + timedelta(seconds=seconds))
            return True

    def release(self, name: str, holder: str) -> None:
        with self.lock:
            if self.leases.get(name, ("", None))[0] == holder:
                del self.leases[name]

    def holder(self, name: str) -> str | None:
        with self.lock:
            current = self.leases.get(name)
            return current[0] if current is not None and current[1] >= datetime.now(UTC) else None
