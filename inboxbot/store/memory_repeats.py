"""Recent requests in memory (tests, explain, replay): the same behaviour as sql_repeats.py."""

from __future__ import annotations

import threading
from datetime import datetime

from inboxbot.model.repeats import RecentRequest
from inboxbot.store.rows import iso
from inboxbot.store.sql_repeats import LIMIT


class MemoryRepeats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, RecentRequest] = {}

    def remember(self, request: RecentRequest) -> bool:
        with self.lock:
            if request.message_id in self.requests:
                return False
            self.requests[request.message_id] = request
            return True

    def recent(self, sender: str, since: datetime) -> list[RecentRequest]:
        start = iso(since)  # compared at the second, as the databases store it
        with self.lock:
            found = [r for r in self.requests.values() if r.sender.lower() == sender.lower() and iso(r.at) >= start]
        found.sort(key=lambda r: (-r.at.timestamp(), r.message_id))
        return found[:LIMIT]
