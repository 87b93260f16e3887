"""Releases over SQL (SQLite and PostgreSQL): the digest's listings and the head's replies
(release_rows.py). Each guard is in the SQL (ON CONFLICT DO NOTHING, UPDATE … WHERE
claimed_at IS NULL)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.interfaces import DigestItem, ReleaseCommand
from inboxbot.store.release_rows import SKIPPED_WHERE, command_of, command_row, item_of
from inboxbot.store.rows import iso, request_of
from inboxbot.store.sql_dialect import Dialect, SqlDatabase, execute_many, marks

_ITEM = "digest_id=? AND number=?"


class SqlReleases:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def skipped(self, since: datetime, until: datetime) -> list[RequestRow]:
        rows = self.database.all(
            self.dialect.sql(f"SELECT * FROM messages WHERE {SKIPPED_WHERE} AND seen_at >= ? AND seen_at < ? ORDER BY id"),
            (iso(since), iso(until)),
        )
        return [request_of(r) for r in rows]

    def record_digest(self, digest_id: str, keys: Sequence[MessageKey], at: datetime) -> None:
        with self.database.transaction() as db:
            execute_many(
                db,
                self.dialect.sql("INSERT INTO digest_items (digest_id, number, folder, uidvalidity, uid, listed_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
                [(digest_id, n, k.folder, k.uidvalidity, k.uid, iso(at)) for n, k in enumerate(keys, 1)],
            )  # fmt: skip

    def items(self, digest_id: str) -> list[DigestItem]:
        rows = self.database.all(
            self.dialect.sql("SELECT * FROM digest_items WHERE digest_id=? ORDER BY number"), (digest_id,)
        )
        return [item_of(r) for r in rows]

    def digest_of(self, message_ids: Sequence[str]) -> str | None:
        ids = [m for m in message_ids if m]
        if not ids:
            return None
        row = self.database.one(
            self.dialect.sql(f"SELECT digest_id FROM digest_items WHERE digest_id IN ({marks(len(ids))}) LIMIT 1"), ids
        )
        return str(row["digest_id"]) if row else None

    def record_command(self, command: ReleaseCommand) -> bool:
        row = command_row(command)
        sql = f"INSERT INTO release_commands ({', '.join(row)}) VALUES ({marks(len(row))}) ON CONFLICT DO NOTHING"
        return self.database.execute(self.dialect.sql(sql), list(row.values())) == 1

    def open_commands(self) -> list[ReleaseCommand]:
        rows = self.database.all(
            "SELECT * FROM release_commands WHERE answered_at IS NULL ORDER BY received_at, command_id"
        )
        return [command_of(r) for r in rows]

    def claim(self, digest_id: str, number: int, decision: Mapping[str, object], at: datetime) -> DigestItem:
        with self.database.transaction() as db:
            db.execute(
                self.dialect.sql(f"UPDATE digest_items SET claimed_at=?, decision=? WHERE {_ITEM} AND claimed_at IS NULL"),
                (iso(at), json.dumps(dict(decision), ensure_ascii=False), digest_id, number),
            )
            row = db.execute(self.dialect.sql(f"SELECT * FROM digest_items WHERE {_ITEM}"), (digest_id, number)).fetchone()
        if row is None:
            raise KeyError(f"digest {digest_id!r} has no item {number}")
        return item_of(row)

    def finish(self, digest_id: str, number: int, outcome: str, at: datetime, *, released: bool) -> None:
        self.database.execute(
            self.dialect.sql(f"UPDATE digest_items SET outcome=?, released_at=COALESCE(released_at, ?) WHERE {_ITEM}"),
            (outcome, iso(at) if released else None, digest_id, number),
        )

    def close_command(self, command_id: str, at: datetime) -> None:
        self.database.execute(
            self.dialect.sql("UPDATE release_commands SET answered_at=? WHERE command_id=? AND answered_at IS NULL"),
            (iso(at), command_id),
        )
