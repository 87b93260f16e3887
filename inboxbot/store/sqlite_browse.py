"""The web pages' views over SQLite (browse_sql.py): request lists, one request, the
ledger's entries, the digest listings of skipped mail."""

from __future__ import annotations

from collections.abc import Sequence

from inboxbot.model.ledger import Assignment
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.browse_sql import WEB_SCHEMA, filter_sql, fold_text, key_args
from inboxbot.store.interfaces import DigestItem, RequestFilter
from inboxbot.store.release_rows import item_of
from inboxbot.store.rows import request_of
from inboxbot.store.sqlite import Database
from inboxbot.store.sqlite_ledger import COLUMNS, assignment_of

# SQLite's lower() folds ASCII only; a search must find «Рыба» by «рыба».
FOLD = "inboxbot_fold"


def _fold(value: object) -> str | None:
    return fold_text(value) if isinstance(value, str) else None


class SqliteBrowse:
    def __init__(self, database: Database) -> None:
        self.database = database
        with database.lock:
            database.db.executescript(WEB_SCHEMA)
            database.db.create_function(FOLD, 1, _fold, deterministic=True)

    def search(self, where: RequestFilter, *, before: int | None = None, limit: int = 50) -> list[RequestRow]:
        sql, args = filter_sql(where, "?", lambda expr: f"{FOLD}({expr})")
        if before is not None:
            sql += " AND id < ?"
            args.append(before)
        rows = self.database.all(f"SELECT * FROM messages WHERE {sql} ORDER BY id DESC LIMIT ?", [*args, limit])
        return [request_of(r) for r in rows]

    def request(self, row_id: int) -> RequestRow | None:
        row = self.database.one("SELECT * FROM messages WHERE id=?", (row_id,))
        return request_of(row) if row is not None else None

    def clients(self, *, owner: str | None = None, after: tuple[str, str] | None = None,
                limit: int = 100) -> list[Assignment]:  # fmt: skip
        parts, args = ["1=1"], []
        if owner is not None:
            parts.append("owner = ?")
            args.append(owner)
        if after is not None:
            parts.append("(kind, value) > (?, ?)")
            args += list(after)
        sql = f"SELECT {COLUMNS} FROM ledger WHERE {' AND '.join(parts)} ORDER BY kind, value LIMIT ?"
        return [assignment_of(r) for r in self.database.all(sql, [*args, limit])]

    def digest_items(self, keys: Sequence[MessageKey]) -> dict[MessageKey, DigestItem]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        marks = " OR ".join(["(folder=? AND uidvalidity=? AND uid=?)"] * len(wanted))
        rows = self.database.all(f"SELECT * FROM digest_items WHERE {marks} ORDER BY listed_at, rowid", key_args(wanted))
        return {item.key: item for item in map(item_of, rows)}  # the newest listing last, so it stays
