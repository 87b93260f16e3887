"""The ledger's history (`ledger_history`) over SQL, shared by SQLite and PostgreSQL: the
two differ only in the dialect (sql_dialect.py) and the id column.

A change is one transaction: the client's entries checked against what the change saw
(`before`), the ledger rows rewritten, the open requests and their threads handed to the
new owner, the history row written. A mail command's change carries its Message-ID
(`command`, unique): applying it again after a crash writes nothing and returns the
stored change.

`history(keys)` (the client page, on every view) finds a client's changes through
`ledger_history_keys`, one row per identity a change touched, keyed by the identity: an
index lookup and a LIMIT, whatever the length of the history.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from inboxbot.model.handover import Change
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.store.ledger_change_rows import LedgerConflict, change_of, change_row
from inboxbot.store.rows import iso, now_text, request_of
from inboxbot.store.sql_dialect import Dialect, SqlDatabase
from inboxbot.store.sql_history import hand_thread
from inboxbot.store.sql_ledger import COLUMNS, assignment_of, row_values

# Columns added after the first release (PostgreSQL migration 10; SQLite on open).
ANNOUNCE_COLUMNS = {"announce_by": "TEXT", "announce_until": "TEXT"}
HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_history (
    id              {id},
    at              TEXT NOT NULL,
    how             TEXT NOT NULL,
    by_whom         TEXT NOT NULL,
    why             TEXT NOT NULL,
    owner           TEXT,
    previous        TEXT,
    client_keys     TEXT NOT NULL,
    entries_before  TEXT NOT NULL,
    entries_after   TEXT NOT NULL,
    requests        TEXT NOT NULL,
    command         TEXT UNIQUE,
    undoes          BIGINT,
    announced_at    TEXT
);
"""
# The identities each change touched (Change.keys); filled by `apply`, and for the changes
# written before it existed by SQLITE_KEYS_BACKFILL / the PostgreSQL migration.
KEYS_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_history_keys (
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    change_id  BIGINT NOT NULL,
    PRIMARY KEY (kind, value, change_id)
);
"""
SQLITE_KEYS_BACKFILL = """
INSERT OR IGNORE INTO ledger_history_keys (kind, value, change_id)
SELECT json_extract(e.value, '$.kind'), json_extract(e.value, '$.value'), h.id
FROM ledger_history h, json_each(h.entries_after) e
UNION
SELECT json_extract(e.value, '$.kind'), json_extract(e.value, '$.value'), h.id
FROM ledger_history h, json_each(h.entries_before) e;
"""
SQLITE_ID = "INTEGER PRIMARY KEY"
POSTGRES_ID = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"


class SqlLedgerChanges:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def _sql(self, text: str) -> str:
        return self.dialect.sql(text)

    def entries(self, key: ClientKey) -> tuple[Assignment, ...]:
        row = self.database.one(self._sql(f"SELECT {COLUMNS} FROM ledger WHERE kind=? AND value=?"), (key.kind, key.value))
        if row is None:
            return ()
        found = assignment_of(row)
        if not found.source:
            return (found,)
        rows = self.database.all(
            self._sql(f"SELECT {COLUMNS} FROM ledger WHERE source=? AND owner=? ORDER BY kind, value"), (found.source, found.owner)
        )
        return tuple(sorted((assignment_of(r) for r in rows), key=_key_order))

    def apply(self, change: Change) -> Change:
        with self.database.transaction() as db:
            if change.command:
                done = db.execute(self._sql("SELECT * FROM ledger_history WHERE command=?"), (change.command,)).fetchone()
                if done is not None:
                    return change_of(done)
            for entry in change.before:
                now = db.execute(self._sql("SELECT owner FROM ledger WHERE kind=? AND value=?"),
                                 (entry.key.kind, entry.key.value)).fetchone()  # fmt: skip
                if now is None or str(now["owner"]) != entry.owner:
                    raise LedgerConflict(entry.key.describe())
            kept = {e.key for e in change.after}
            for entry in change.before:
                if entry.key not in kept:
                    db.execute(self._sql("DELETE FROM ledger WHERE kind=? AND value=?"), (entry.key.kind, entry.key.value))
            for entry in change.after:
                db.execute(self._sql(
                    f"INSERT INTO ledger ({COLUMNS}) VALUES ({', '.join('?' * 8)}) ON CONFLICT (kind, value) DO UPDATE SET "
                    "owner = excluded.owner, since = excluded.since, how = excluded.how, rule = excluded.rule, "
                    "pool = excluded.pool, source = excluded.source"), row_values(entry))  # fmt: skip
            if change.owner is not None and change.moves_requests:
                self._hand_requests(db, change.requests, change.owner)
            row = change_row(change)
            stored = db.execute(
                self._sql(f"INSERT INTO ledger_history ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) RETURNING *"),
                list(row.values()),
            ).fetchone()
            for key in change.keys:
                db.execute(self._sql("INSERT INTO ledger_history_keys (kind, value, change_id) VALUES (?, ?, ?) "
                                     "ON CONFLICT DO NOTHING"), (key.kind, key.value, stored["id"]))  # fmt: skip
        return change_of(stored)

    def _hand_requests(self, db: Any, row_ids: Sequence[int], owner: str) -> None:
        stamp = now_text()
        for row_id in row_ids:
            db.execute(self._sql("UPDATE messages SET owner=?, reminded_at=NULL, updated_at=? WHERE id=?"),
                       (owner, stamp, row_id))  # fmt: skip
            row = db.execute(self._sql("SELECT message_id, forward_id FROM messages WHERE id=?"), (row_id,)).fetchone()
            for mid in (row["message_id"], row["forward_id"]) if row else ():
                if mid:
                    hand_thread(db, self.dialect, str(mid), owner, "ledger", stamp)

    def get(self, change_id: int) -> Change | None:
        row = self.database.one(self._sql("SELECT * FROM ledger_history WHERE id=?"), (change_id,))
        return change_of(row) if row is not None else None

    def by_command(self, command: str) -> Change | None:
        row = self.database.one(self._sql("SELECT * FROM ledger_history WHERE command=?"), (command,)) if command else None
        return change_of(row) if row is not None else None

    def history(self, keys: Sequence[ClientKey] = (), limit: int = 50) -> list[Change]:
        wanted = list(dict.fromkeys(keys))
        return [change_of(r) for r in self.database.all(self._sql(history_sql(len(wanted))),
                                                        (*(v for k in wanted for v in (k.kind, k.value)), limit))]  # fmt: skip

    def unannounced(self) -> list[Change]:
        return [change_of(r) for r in self.database.all("SELECT * FROM ledger_history WHERE announced_at IS NULL ORDER BY id")]

    def claim_announcement(self, change_id: int, holder: str, seconds: float) -> bool:
        lease = self.dialect.lease(seconds)  # several hosts may send: on PostgreSQL one clock for all of them
        with self.database.transaction() as db:
            won = db.execute(self._sql(
                f"UPDATE ledger_history SET announce_by=?, announce_until={lease.until} WHERE id=? AND announced_at IS NULL "
                f"AND (announce_by IS NULL OR announce_by=? OR announce_until < {lease.expired})"),
                (holder, *lease.until_args, change_id, holder, *lease.expired_args)).rowcount  # fmt: skip
        return bool(won == 1)

    def mark_announced(self, change_id: int, at: datetime) -> None:
        self.database.execute(
            self._sql("UPDATE ledger_history SET announced_at=? WHERE id=? AND announced_at IS NULL"), (iso(at), change_id)
        )

    def forwarded_request(self, message_ids: Sequence[str]) -> RequestRow | None:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return None
        marks = ", ".join("?" * len(ids))
        row = self.database.one(
            self._sql(f"SELECT * FROM messages WHERE forward_id IN ({marks}) OR (message_id IN ({marks}) "
                      "AND forward_id IS NOT NULL) ORDER BY id DESC LIMIT 1"), (*ids, *ids))  # fmt: skip
        return request_of(row) if row is not None else None


def _key_order(entry: Assignment) -> int:
    return ("inn", "domain", "name", "address").index(entry.key.kind)


def history_sql(keys: int) -> str:
    """The newest changes touching any of `keys` identities (all when 0), LIMIT the last
    argument; the arguments: kind, value of each identity."""
    if not keys:
        return "SELECT * FROM ledger_history ORDER BY id DESC LIMIT ?"
    touched = " UNION ".join(["SELECT change_id FROM ledger_history_keys WHERE kind=? AND value=?"] * keys)
    return f"SELECT * FROM ledger_history WHERE id IN ({touched}) ORDER BY id DESC LIMIT ?"


def select(changes: Iterator[Change] | Sequence[Change], keys: Sequence[ClientKey], limit: int) -> list[Change]:
    """The newest `limit` changes (given newest first) touching any of `keys` (all when none)."""
    wanted = set(keys)
    found = [c for c in changes if not wanted or wanted & set(c.keys)]
    return found[:limit]
