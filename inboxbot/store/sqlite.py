"""The SQLite journal file: one connection shared by the noun classes (sql_*.py,
sqlite_browse.py), its schema and migrations, and when commits become durable.

The on-disk format is the journal's since the first release: a file written by an older
version opens and keeps working (columns added later are added on open). The IMAP
server's marks stay the ground truth of what was handled; the journal adds what the
marks cannot hold: the reasons, the state between forwarding and marking, thread owners
and the fair-share history.

Each step commits on its own, before the next side effect starts, so a kill -9 at any
point leaves a state the next run can finish from (see run/plan.py).

Durability: every commit is fsynced (synchronous=FULL), except inside `grouped()`,
where commits are written but fsynced together at `sync()` (see there for why that is
safe for the worker's batches).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from inboxbot.store.credit_rows import CREDITS_SCHEMA
from inboxbot.store.presence_rows import PRESENCE_SCHEMA
from inboxbot.store.rows import now_text

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id              INTEGER PRIMARY KEY,
    folder          TEXT NOT NULL,
    uidvalidity     INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
    message_id      TEXT NOT NULL,
    has_message_id  INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    sender          TEXT,
    subject         TEXT,
    sent_at         TEXT,
    seen_at         TEXT NOT NULL,
    state           TEXT NOT NULL,
    action          TEXT,
    owner           TEXT,
    rule            TEXT,
    base_owner      TEXT,
    base_rule       TEXT,
    pool            TEXT,
    reasons         TEXT,
    decision        TEXT,
    forward_id      TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id);
CREATE INDEX IF NOT EXISTS messages_content_hash ON messages (content_hash);
CREATE INDEX IF NOT EXISTS messages_pool ON messages (pool, id);
CREATE TABLE IF NOT EXISTS threads (
    message_id  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    rule        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subjects (
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (sender, subject)
);
CREATE TABLE IF NOT EXISTS meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acks (
    message_id  TEXT PRIMARY KEY,
    at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    owner   TEXT NOT NULL,
    since   TEXT NOT NULL,
    how     TEXT NOT NULL,
    rule    TEXT NOT NULL,
    pool    TEXT,
    source  TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE TABLE IF NOT EXISTS recent_requests (
    message_id  TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    at          TEXT NOT NULL,
    owner       TEXT NOT NULL,
    text        TEXT NOT NULL,
    first_id    TEXT NOT NULL,
    first_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS recent_requests_sender ON recent_requests (sender, at);
CREATE TABLE IF NOT EXISTS conflicts (
    number      INTEGER PRIMARY KEY,
    facts       TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    client      TEXT NOT NULL,
    owners      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    raised_at   TEXT NOT NULL,
    notified_at TEXT,
    settled_at  TEXT,
    verdict     TEXT,
    owner       TEXT,
    why         TEXT,
    settled_by  TEXT
);
"""
# Columns added after the first release: a journal written by an older version gets
# them on open (ALTER TABLE … ADD COLUMN keeps every row).
ADDED_COLUMNS = (
    "forwarded_at", "answered_at", "answered_by", "answer_how",
    "reminded_at", "escalated_at", "escalated_to", "acked_at", "ack_error",
    "failing_since", "notified_at", "repeat_of", "claimed_by", "claim_until",
)  # fmt: skip
# Columns of other tables added after their first release, as `messages`' above.
CONFLICT_COLUMNS = {"client_keys": "TEXT NOT NULL DEFAULT '[]'", "change_id": "INTEGER"}


def add_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add each of `columns` (name → type) `table` lacks; rows keep their values."""
    present = {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
    for name, kind in columns.items():
        if name not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


_FOLLOWUP_INDEX = "CREATE INDEX IF NOT EXISTS messages_awaiting ON messages (answered_at, forward_id)"


class Database:
    """One SQLite file (or ":memory:"); safe to share between threads of one process."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        self._grouping = 0  # depth of grouped() blocks
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            # A damaged journal must not stop the bot: the IMAP marks say what was handled,
            # so a fresh journal loses only reasons and history. The old file is kept.
            aside = f"{self.path}.corrupt-{datetime.now(UTC):%Y%m%d%H%M%S}"
            if os.path.exists(aside):  # damaged twice within a second: keep both
                aside += f"-{os.getpid()}-{id(self):x}"
            log.error("журнал %s повреждён (%s): сохранён как %s, начат новый", self.path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.replace(self.path + suffix, aside + suffix)
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
                # FULL: a step reported done survives power loss, not just a crash.
                db.execute("PRAGMA synchronous=FULL")
                # A file that opens can still have damaged pages (a torn write, garbage
                # over the middle): without this check they surface later as "database
                # disk image is malformed" in the middle of a poll, on every poll.
                problems = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
                if problems != ["ok"]:
                    first = " ".join(problems[0].split("\n")[:2])
                    raise sqlite3.DatabaseError(f"quick_check: {first[:200]}")
            db.executescript(SCHEMA + CREDITS_SCHEMA + PRESENCE_SCHEMA)
            present = {str(row[1]) for row in db.execute("PRAGMA table_info(messages)").fetchall()}
            for column in ADDED_COLUMNS:
                if column not in present:
                    db.execute(f"ALTER TABLE messages ADD COLUMN {column} TEXT")
            add_columns(db, "conflicts", CONFLICT_COLUMNS)
            db.execute(_FOLLOWUP_INDEX)
            db.execute("SELECT COUNT(*) FROM messages").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- durability --------------------------------------------------------

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """Within the block, commits are written to the WAL but not fsynced one by one
        (synchronous=NORMAL); `sync()` makes everything committed so far durable with one
        fsync, and so does leaving the block.

        Why this is safe: a commit under NORMAL is in the operating system's page cache
        the moment COMMIT returns, so a killed process (kill -9, OOM, a crash) loses
        nothing — only a power loss or kernel crash can. After one, SQLite recovers the
        WAL up to the first frame that was not fully written (frames carry cumulative
        checksums), so what survives is always a *prefix* of the commits: never a later
        step without the earlier ones. The caller puts `sync()` where a step must
        survive even a power loss before an effect outside the journal happens (the
        worker: all decisions of a batch before its first forward)."""
        with self.lock:
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._grouping += 1
        try:
            yield
        finally:
            with self.lock:
                self._grouping -= 1
                try:
                    self.sync()
                finally:
                    if not self._grouping:
                        self.db.execute("PRAGMA synchronous=FULL")

    def sync(self) -> None:
        """Make every commit so far durable, power loss included: one small commit under
        synchronous=FULL fsyncs the WAL, and with it every frame written before."""
        with self.lock:
            self.db.execute("PRAGMA synchronous=FULL")
            try:
                self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('synced_at', ?)", (now_text(),))
            finally:
                if self._grouping:
                    self.db.execute("PRAGMA synchronous=NORMAL")

    # -- access for the noun classes ------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the lock; ROLLBACK when the block raises.
        IMMEDIATE: the write lock is taken first (a second connection to the file waits
        its turn) instead of on the first write, where upgrading a read snapshot another
        connection has overtaken fails with "database is locked"."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that should agree: under the lock, no other thread of this
        process writes between them."""
        with self.lock:
            yield

    def one(self, sql: str, args: Sequence[object] = ()) -> sqlite3.Row | None:
        with self.lock:
            row: sqlite3.Row | None = self.db.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return list(self.db.execute(sql, args).fetchall())

    def execute(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement, committed on its own (autocommit); returns the count of rows it changed."""
        with self.lock:
            return self.db.execute(sql, args).rowcount
