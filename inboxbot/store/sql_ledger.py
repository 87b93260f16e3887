"""Ledger over SQL (SQLite and PostgreSQL): the `ledger` table, one row per client
identity (kind, value).

A claim is one transaction of conditional inserts: a key already owned keeps its owner
unless its entry is older than `renew_before` (expired), so two workers claiming the same
new client at once leave the first one's owner, and a claim repeated after a crash
writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from inboxbot.model.ledger import KEY_KINDS, Assignment, ClientKey
from inboxbot.store.rows import Row, iso, parse_time
from inboxbot.store.sql_dialect import Dialect, SqlDatabase, marks

COLUMNS = "kind, value, owner, since, how, rule, pool, source"
_CLAIM = (
    f"INSERT INTO ledger ({COLUMNS}) VALUES ({marks(8)}) ON CONFLICT (kind, value) DO UPDATE SET "
    "owner = excluded.owner, since = excluded.since, how = excluded.how, rule = excluded.rule, "
    "pool = excluded.pool, source = excluded.source WHERE ledger.since < ?"
)


def row_values(entry: Assignment) -> tuple[object, ...]:
    return (entry.key.kind, entry.key.value, entry.owner, iso(entry.since), entry.how, entry.rule, entry.pool, entry.source)


def assignment_of(row: Row) -> Assignment:
    since = parse_time(row["since"])
    assert since is not None
    return Assignment(
        ClientKey(str(row["kind"]), str(row["value"])), str(row["owner"]), since, str(row["how"]),
        str(row["rule"]), row["pool"], str(row["source"]),
    )  # fmt: skip


def sorted_entries(entries: Iterable[Assignment]) -> list[Assignment]:
    return sorted(entries, key=lambda a: (KEY_KINDS.index(a.key.kind), a.key.value))


def _renewal_text(renew_before: datetime | None) -> str:
    """Below every stored time when nothing expires: '' sorts before any ISO text."""
    return iso(renew_before) if renew_before is not None else ""


class SqlLedger:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def claim(self, entries: Sequence[Assignment], *, renew_before: datetime | None = None) -> tuple[ClientKey, ...]:
        sql = self.dialect.sql(_CLAIM)
        written: list[ClientKey] = []
        with self.database.transaction() as db:
            for entry in entries:
                if db.execute(sql, (*row_values(entry), _renewal_text(renew_before))).rowcount:
                    written.append(entry.key)
        return tuple(written)

    def find(self, keys: Sequence[ClientKey]) -> Assignment | None:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return None
        # One round trip; the first key in `keys` that has an entry wins.
        either = " OR ".join(["(kind=? AND value=?)"] * len(wanted))
        rows = self.database.all(self.dialect.sql(f"SELECT {COLUMNS} FROM ledger WHERE {either}"),
                                 [v for k in wanted for v in (k.kind, k.value)])  # fmt: skip
        found = {a.key: a for a in map(assignment_of, rows)}
        return next((found[k] for k in wanted if k in found), None)

    def entries(self) -> list[Assignment]:
        return sorted_entries(assignment_of(r) for r in self.database.all(f"SELECT {COLUMNS} FROM ledger"))
