"""The shared store on PostgreSQL: one connection shared by the noun classes
(sql_*.py, postgres_browse.py), the schema brought up to date on open (postgres_schema.py), and when
commits become durable.

Several workers may share one database. Every step that must happen once is one
statement or one transaction whose guard is in the SQL itself (INSERT … ON CONFLICT DO
NOTHING, UPDATE … WHERE state = …, checked by its row count), never a read followed by a
write: two connections racing the same step get one winner, whatever the timing.

Rows keep the SQLite journal's form (times as ISO text in UTC to the second, lists and
the decision as JSON text), so store/rows.py builds the same records for every backend
and text order stays time order.

Credentials come in the URL from the environment or the secrets file; the URL is only
ever shown with its password masked (`masked_url`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from inboxbot.config import STORE_SCHEMES, masked_url
from inboxbot.errors import StoreError
from inboxbot.store.postgres_schema import migrate
from inboxbot.store.rows import now_text

Row = dict[str, Any]


def is_postgres_url(location: str) -> bool:
    return "://" in location and location.split("://", 1)[0].lower() in STORE_SCHEMES


class PgDatabase:
    """One PostgreSQL database reached by `url`; safe to share between threads of one
    process (one connection under a lock: the worker's steps are short and sequential)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = masked_url(url)  # what Store.path shows: never the password
        self.lock = threading.RLock()
        self._grouping = 0  # depth of grouped() blocks
        self.conn = self._connect()
        with self.lock, self.conn.transaction():
            migrate(self.conn)

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        except psycopg.Error as exc:
            # libpq's message names host, port and user; the password never, but the
            # URL is masked all the same in case a message ever quotes it.
            reason = str(exc).strip().replace(self.url, self.path)
            password = urlsplit(self.url).password
            if password:
                reason = reason.replace(password, "***")
            raise StoreError(f"база PostgreSQL {self.path} недоступна: {reason}") from None

    def _connection(self) -> psycopg.Connection[Row]:
        """The connection, opened anew when the server dropped it (a restart, a failover
        of the future): the next step runs on a fresh one instead of failing forever."""
        if self.conn.closed or self.conn.broken:
            self.conn = self._connect()
            if self._grouping:
                self.conn.execute("SET synchronous_commit = off")
        return self.conn

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- durability --------------------------------------------------------

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """Within the block, commits return before their WAL is flushed
        (synchronous_commit=off); `sync()` makes everything committed so far durable, and
        so does leaving the block.

        Why this is safe, as with SQLite's NORMAL: a commit is visible and ordered the
        moment it returns, and a server crash loses at most the last unflushed commits,
        never an earlier one without the later (the WAL is replayed in order). One
        synchronous commit flushes the WAL up to itself, so every earlier commit with it."""
        with self.lock:
            self._connection().execute("SET synchronous_commit = off")
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
                        self._connection().execute("SET synchronous_commit = on")

    def sync(self) -> None:
        """Make every commit so far durable: one small commit with synchronous_commit on."""
        with self.lock:
            conn = self._connection()
            conn.execute("SET synchronous_commit = on")
            try:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('synced_at', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (now_text(),),
                )
            finally:
                if self._grouping:
                    conn.execute("SET synchronous_commit = off")

    # -- access for the noun classes ------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Row]]:
        """BEGIN … COMMIT under the lock; ROLLBACK when the block raises."""
        with self.lock:
            conn = self._connection()
            with conn.transaction():
                yield conn

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that should agree: one read-only transaction, one snapshot (a
        worker committing meanwhile cannot make them disagree)."""
        with self.transaction() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        with self.lock:
            return self._connection().execute(sql, args).fetchone()

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        with self.lock:
            return self._connection().execute(sql, args).fetchall()

    def execute(self, sql: str, args: Sequence[object] = ()) -> int:
        """One statement, committed on its own; returns the count of rows it changed."""
        with self.lock:
            return self._connection().execute(sql, args).rowcount
