"""The web pages' views over SQLite (browse_sql.py): request lists, one request, the
ledger's entries, the digest listings of skipped mail.

A text search looks in `search_text`: each message's searched text (browse_sql.
searched_text), folded in Python once — SQLite's lower() folds ASCII only, and folding
every row's decision on every search took seconds over 100,000 requests. The table is
brought up to date before each search (the rows added since; a message's searched
columns never change once decided, and SQLite's single writer gives ids in commit order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from inboxbot.model.ledger import Assignment
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.browse_sql import WEB_SCHEMA, filter_sql, fold_text, key_args, searched_text
from inboxbot.store.interfaces import DigestItem, RequestFilter
from inboxbot.store.release_rows import item_of
from inboxbot.store.rows import request_of
from inboxbot.store.sql_ledger import COLUMNS, assignment_of
from inboxbot.store.sqlite import Database

SEARCH_SCHEMA = "CREATE TABLE IF NOT EXISTS search_text (row_id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
_CHUNK = 2000


class SqliteBrowse:
    def __init__(self, database: Database) -> None:
        self.database = database
        with database.lock:
            database.db.executescript(WEB_SCHEMA + SEARCH_SCHEMA)

    def _index_new_rows(self) -> None:
        """search_text for every message added since the last search."""
        while True:
            with self.database.transaction() as db:
                (last,) = db.execute("SELECT COALESCE(MAX(row_id), 0) FROM search_text").fetchone()
                rows = db.execute("SELECT id, sender, subject, decision FROM messages WHERE id > ? ORDER BY id LIMIT ?",
                                  (last, _CHUNK)).fetchall()  # fmt: skip
                db.executemany("INSERT INTO search_text (row_id, text) VALUES (?, ?)",
                               [(r[0], searched_text(r[1], r[2], r[3])) for r in rows])  # fmt: skip
            if len(rows) < _CHUNK:
                return

    def search(self, where: RequestFilter, *, before: int | None = None, limit: int = 50) -> list[RequestRow]:
        text = fold_text(where.text)
        sql, args = filter_sql(replace(where, text=""), "?", lambda mark: "")
        if not text:
            if before is not None:
                sql += " AND id < ?"
                args.append(before)
            rows = self.database.all(f"SELECT * FROM messages WHERE {sql} ORDER BY id DESC LIMIT ?", [*args, limit])
            return [request_of(r) for r in rows]
        self._index_new_rows()
        # The matches in search_text (both sides folded: instr, no LIKE needed), newest
        # first, a chunk at a time (its narrow rows);
        # the other filters then on those messages only, until the page is full. One
        # join instead lets SQLite build a Bloom filter over every messages row first.
        found: list[RequestRow] = []
        below = before
        while len(found) < limit:
            ids = [int(r[0]) for r in self.database.all(
                "SELECT row_id FROM search_text WHERE instr(text, ?) > 0 AND row_id < ? ORDER BY row_id DESC LIMIT ?",
                (text, below if below is not None else 2**62, _CHUNK))]  # fmt: skip
            if not ids:
                break
            marks = ", ".join("?" * len(ids))
            rows = self.database.all(f"SELECT * FROM messages WHERE id IN ({marks}) AND {sql} ORDER BY id DESC LIMIT ?",
                                     [*ids, *args, limit - len(found)])  # fmt: skip
            found += [request_of(r) for r in rows]
            below = ids[-1]
        return found

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
