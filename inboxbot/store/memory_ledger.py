"""Ledger in memory (tests, explain, replay): the same behaviour as sql_ledger.py."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.sql_ledger import sorted_entries


class MemoryLedger:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_key: dict[ClientKey, Assignment] = {}

    def claim(self, entries: Sequence[Assignment], *, renew_before: datetime | None = None) -> tuple[ClientKey, ...]:
        written: list[ClientKey] = []
        with self.lock:
            for entry in entries:
                known = self.by_key.get(entry.key)
                if known is None or (renew_before is not None and known.since < renew_before):
                    self.by_key[entry.key] = entry
                    written.append(entry.key)
        return tuple(written)

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None:
        with self.lock:
            return next((self.by_key[k] for k in keys if k in self.by_key), None)

    def entries(self) -> list[Assignment]:
        with self.lock:
            return sorted_entries(self.by_key.values())
