"""The one place a backend is chosen: `open_store` for a journal file or a PostgreSQL
URL, `memory_store` for a store that lives and dies with the process (tests, explain,
replay)."""

from __future__ import annotations

from pathlib import Path

from inboxbot.store.browse_sql import WEB_SCHEMA
from inboxbot.store.interfaces import Browse, Store
from inboxbot.store.ledger_changes_sql import (
    ANNOUNCE_COLUMNS,
    HISTORY_SCHEMA,
    KEYS_SCHEMA,
    SQLITE_ID,
    SQLITE_KEYS_BACKFILL,
    SqlLedgerChanges,
)
from inboxbot.store.memory import (
    MemoryDurability,
    MemoryHistory,
    MemoryMessages,
    MemoryMeta,
    MemoryQueries,
    MemoryRequests,
    Tables,
)
from inboxbot.store.memory_browse import MemoryAudit, MemoryBrowse
from inboxbot.store.memory_conflicts import MemoryConflicts
from inboxbot.store.memory_credits import MemoryCredits
from inboxbot.store.memory_leases import MemoryLeases
from inboxbot.store.memory_ledger import MemoryLedger
from inboxbot.store.memory_ledger_changes import MemoryLedgerChanges
from inboxbot.store.memory_presence import MemoryPresence
from inboxbot.store.memory_releases import MemoryReleases
from inboxbot.store.memory_repeats import MemoryRepeats
from inboxbot.store.postgres import PgDatabase, is_postgres_url
from inboxbot.store.postgres_browse import PgBrowse
from inboxbot.store.release_rows import RELEASES_SCHEMA
from inboxbot.store.sql_audit import SqlAudit
from inboxbot.store.sql_conflicts import SqlConflicts
from inboxbot.store.sql_credits import SqlCredits
from inboxbot.store.sql_dialect import POSTGRES, SQLITE, Dialect
from inboxbot.store.sql_history import SqlHistory
from inboxbot.store.sql_leases import SqlLeases
from inboxbot.store.sql_ledger import SqlLedger
from inboxbot.store.sql_messages import SqlMessages
from inboxbot.store.sql_meta import SqlMeta
from inboxbot.store.sql_presence import SqlPresence
from inboxbot.store.sql_queries import SqlQueries
from inboxbot.store.sql_releases import SqlReleases
from inboxbot.store.sql_repeats import SqlRepeats
from inboxbot.store.sql_requests import SqlRequests
from inboxbot.store.sqlite import Database, add_columns
from inboxbot.store.sqlite_browse import SqliteBrowse


def open_store(location: str | Path) -> Store:
    """The store `location` names: a postgresql:// URL (the shared store several workers
    can use; its schema migrated on open, postgres.py), else the path of the SQLite
    journal, created when missing, brought up to date when written by an older version,
    set aside and started anew when damaged (sqlite.Database)."""
    if isinstance(location, str) and is_postgres_url(location):
        return postgres_store(location)
    database = Database(location)
    _sqlite_tables(database)
    return _sql_store(database, SQLITE, SqliteBrowse(database))


def postgres_store(url: str) -> Store:
    """The PostgreSQL database at `url`; raises StoreError (password masked) when it
    cannot be reached."""
    database = PgDatabase(url)
    return _sql_store(database, POSTGRES, PgBrowse(database))


def _sql_store(database: Database | PgDatabase, dialect: Dialect, browse: Browse) -> Store:
    """The nouns over SQL, one class each for both engines (sql_*.py)."""
    return Store(
        path=database.path,
        messages=SqlMessages(database, dialect),
        history=SqlHistory(database, dialect),
        requests=SqlRequests(database, dialect),
        ledger=SqlLedger(database, dialect),
        queries=SqlQueries(database, dialect),
        meta=SqlMeta(database, dialect),
        durability=database,
        releases=SqlReleases(database, dialect),
        changes=SqlLedgerChanges(database, dialect),
        audit=SqlAudit(database, dialect),
        browse=browse,
        repeats=SqlRepeats(database, dialect),
        conflicts=SqlConflicts(database, dialect),
        credits=SqlCredits(database, dialect),
        presence=SqlPresence(database, dialect),
        leases=SqlLeases(database, dialect),
    )


def memory_store() -> Store:
    """A fresh, empty store in memory (memory.py)."""
    tables = Tables()
    ledger, releases = MemoryLedger(), MemoryReleases(tables)
    return Store(
        path=":memory:",
        messages=MemoryMessages(tables),
        history=MemoryHistory(tables),
        requests=MemoryRequests(tables),
        ledger=ledger,
        queries=MemoryQueries(tables),
        meta=MemoryMeta(tables),
        durability=MemoryDurability(tables),
        releases=releases,
        changes=MemoryLedgerChanges(ledger, tables),
        audit=MemoryAudit(),
        browse=MemoryBrowse(tables, ledger, releases),
        repeats=MemoryRepeats(),
        conflicts=MemoryConflicts(),
        credits=MemoryCredits(tables),
        presence=MemoryPresence(tables),
        leases=MemoryLeases(),
    )


def _sqlite_tables(database: Database) -> None:
    """The journal's tables not created by Database itself (PostgreSQL: its migrations),
    in the order they always were: the digest's, the ledger's history (keyed once for a
    journal from before its keys), the web's (their indexes are on the tables before)."""
    with database.lock:
        database.db.executescript(RELEASES_SCHEMA)
        database.db.executescript(HISTORY_SCHEMA.format(id=SQLITE_ID))
        add_columns(database.db, "ledger_history", ANNOUNCE_COLUMNS)
        keyed = database.db.execute("SELECT 1 FROM sqlite_master WHERE name='ledger_history_keys'").fetchone()
        if keyed is None:  # a journal from before the table: its changes are keyed once
            database.db.executescript(f"BEGIN; {KEYS_SCHEMA} {SQLITE_KEYS_BACKFILL} COMMIT;")
        database.db.executescript(WEB_SCHEMA)
