"""The one place a backend is chosen: `open_store` for a journal file, `memory_store`
for a store that lives and dies with the process (tests, explain, replay)."""

from __future__ import annotations

from pathlib import Path

from inboxbot.store.interfaces import Store
from inboxbot.store.memory import (
    MemoryDurability,
    MemoryHistory,
    MemoryMessages,
    MemoryMeta,
    MemoryQueries,
    MemoryRequests,
    Tables,
)
from inboxbot.store.sqlite import Database, SqliteMeta
from inboxbot.store.sqlite_history import SqliteHistory
from inboxbot.store.sqlite_messages import SqliteMessages
from inboxbot.store.sqlite_queries import SqliteQueries
from inboxbot.store.sqlite_requests import SqliteRequests


def open_store(path: str | Path) -> Store:
    """The SQLite journal at `path`, created when missing, brought up to date when written
    by an older version, set aside and started anew when damaged (sqlite.Database)."""
    database = Database(path)
    return Store(
        path=database.path,
        messages=SqliteMessages(database),
        history=SqliteHistory(database),
        requests=SqliteRequests(database),
        queries=SqliteQueries(database),
        meta=SqliteMeta(database),
        durability=database,
    )


def memory_store() -> Store:
    """A fresh, empty store in memory (memory.py)."""
    tables = Tables()
    return Store(
        path=":memory:",
        messages=MemoryMessages(tables),
        history=MemoryHistory(tables),
        requests=MemoryRequests(tables),
        queries=MemoryQueries(tables),
        meta=MemoryMeta(tables),
        durability=MemoryDurability(tables),
    )
