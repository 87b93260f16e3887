"""The web pages' views over PostgreSQL (browse_sql.py; schema: migration 4)."""

from __future__ import annotations

from collections.abc import Sequence

from inboxbot.model.ledger import Assignment
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.browse_sql import filter_sql, key_args
from inboxbot.store.interfaces import DigestItem, RequestFilter
from inboxbot.store.postgres import PgDatabase
from inboxbot.store.release_rows import item_of
from inboxbot.store.rows import request_of
from inboxbot.store.sql_ledger import COLUMNS, assignment_of

# lower() folds only what the database's locale knows (ASCII under the C locale initdb
# often gets); the Cyrillic letters are folded by translate(), whatever the locale.
_UPPER = "".join(chr(c) for c in range(ord("А"), ord("Я") + 1)) + "Ёё"
_LOWER = _UPPER[:32].lower() + "ее"


# browse_sql.searched_text, in SQL.
_SEARCHED = " || ' ' || ".join(f"COALESCE({part}, '')" for part in (
    "sender", "subject", "decision::jsonb #>> '{company,name}'", "decision::jsonb #>> '{company,inn}'",
    "decision::jsonb ->> 'client_address'", "decision::jsonb #>> '{decision,client,name}'",
    "decision::jsonb #>> '{decision,client,inn}'",
))  # fmt: skip


def _text_sql(mark: str) -> str:
    return f"translate(lower({_SEARCHED}), '{_UPPER}', '{_LOWER}') LIKE {mark} ESCAPE '\\'"


class PgBrowse:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def search(self, where: RequestFilter, *, before: int | None = None, limit: int = 50) -> list[RequestRow]:
        sql, args = filter_sql(where, "%s", _text_sql)
        if before is not None:
            sql += " AND id < %s"
            args.append(before)
        rows = self.database.all(f"SELECT * FROM messages WHERE {sql} ORDER BY id DESC LIMIT %s", [*args, limit])
        return [request_of(r) for r in rows]

    def request(self, row_id: int) -> RequestRow | None:
        row = self.database.one("SELECT * FROM messages WHERE id=%s", (row_id,))
        return request_of(row) if row is not None else None

    def clients(self, *, owner: str | None = None, after: tuple[str, str] | None = None,
                limit: int = 100) -> list[Assignment]:  # fmt: skip
        parts, args = ["TRUE"], []
        if owner is not None:
            parts.append("owner = %s")
            args.append(owner)
        if after is not None:
            parts.append('(kind COLLATE "C", value COLLATE "C") > (%s, %s)')
            args += list(after)
        # COLLATE "C": the order of bytes, as SQLite sorts, so paging agrees across backends.
        sql = (f"SELECT {COLUMNS} FROM ledger WHERE {' AND '.join(parts)} "
               f'ORDER BY kind COLLATE "C", value COLLATE "C" LIMIT %s')  # fmt: skip
        return [assignment_of(r) for r in self.database.all(sql, [*args, limit])]

    def digest_items(self, keys: Sequence[MessageKey]) -> dict[MessageKey, DigestItem]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        marks = " OR ".join(["(folder=%s AND uidvalidity=%s AND uid=%s)"] * len(wanted))
        rows = self.database.all(f"SELECT * FROM digest_items WHERE {marks} ORDER BY listed_at", key_args(wanted))
        return {item.key: item for item in map(item_of, rows)}
