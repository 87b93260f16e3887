"""What SQLite and PostgreSQL say differently, as one small object the shared noun classes
(sql_*.py) write their SQL through.

The SQL is written once with `?` placeholders and SQLite-and-PostgreSQL common syntax
(INSERT … ON CONFLICT, UPDATE … RETURNING: SQLite has both since 3.35). What remains
different is here: the placeholder, and whose clock a lease is measured on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from inboxbot.store.rows import lease_text

# The row of one message by its IMAP identity, as every noun class looks it up.
BY_KEY = "folder=? AND uidvalidity=? AND uid=?"


class SqlDatabase(Protocol):
    """sqlite.Database and postgres.PgDatabase, as the noun classes use them."""

    def transaction(self) -> contextlib.AbstractContextManager[Any]: ...

    def snapshot(self) -> contextlib.AbstractContextManager[None]: ...

    def one(self, sql: str, args: Sequence[object] = ()) -> Any: ...

    def all(self, sql: str, args: Sequence[object] = ()) -> Any: ...

    def execute(self, sql: str, args: Sequence[object] = ()) -> int: ...


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease's SQL: `until` the new expiry, `expired` the moment a held one lapses
    before; each with the arguments its placeholders take."""

    until: str
    until_args: tuple[object, ...]
    expired: str
    expired_args: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Dialect:
    mark: str  # the placeholder the driver takes
    # PostgreSQL: leases on the database's clock (TIMESTAMPTZ columns, now()), since
    # workers on several hosts share it; SQLite: one host, ISO text from the Python clock.
    db_clock: bool

    def sql(self, text: str) -> str:
        """`text` (written with `?`) in this dialect's placeholders."""
        return text.replace("?", self.mark) if self.mark != "?" else text

    def now(self) -> tuple[str, tuple[object, ...]]:
        """The present moment as a lease column holds it: SQL and its arguments."""
        if self.db_clock:
            return "now()", ()
        return "?", (lease_text(datetime.now(UTC)),)

    def lease(self, seconds: float) -> Lease:
        if self.db_clock:  # several hosts may hold leases: one clock for all of them
            return Lease("now() + make_interval(secs => ?)", (seconds,), "now()", ())
        now = datetime.now(UTC)
        return Lease("?", (lease_text(now + timedelta(seconds=seconds)),), "?", (lease_text(now),))


SQLITE = Dialect("?", db_clock=False)
POSTGRES = Dialect("%s", db_clock=True)


def marks(count: int) -> str:
    """`count` placeholders for an IN (…) list; NULL for none (IN (NULL) matches nothing)."""
    return ", ".join("?" * count) or "NULL"


def execute_many(db: Any, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """`sql` once per row on `db`, a connection of either driver (psycopg's executemany
    is on its cursors only)."""
    with contextlib.closing(db.cursor()) as cursor:
        cursor.executemany(sql, rows)
