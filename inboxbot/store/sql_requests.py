"""Requests over SQL (SQLite and PostgreSQL): answers, reminders, escalations (columns of
`messages`) and the acknowledgements, once per thread (`acks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.records import DECIDED, MessageKey, RequestRow
from inboxbot.store.rows import iso, now_text, request_of
from inboxbot.store.sql_dialect import BY_KEY, Dialect, SqlDatabase, marks
from inboxbot.store.sql_history import hand_thread


class SqlRequests:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return []
        with self.database.transaction() as db:
            # An answer to a repeat answers the request it repeats (and so stops its reminder).
            ids += [str(r["repeat_of"]) for r in db.execute(self.dialect.sql(
                "SELECT repeat_of FROM messages WHERE repeat_of IS NOT NULL "
                f"AND (message_id IN ({marks(len(ids))}) OR forward_id IN ({marks(len(ids))}))"), (*ids, *ids),
            ).fetchall()]  # fmt: skip
            # One conditional UPDATE: of two connections seeing answers in the same thread,
            # the first one's counts and the second changes nothing (answered_at is no
            # longer NULL).
            rows = db.execute(self.dialect.sql(
                "UPDATE messages SET answered_at=?, answered_by=?, answer_how=?, updated_at=? "
                "WHERE forward_id IS NOT NULL AND answered_at IS NULL "
                f"AND (message_id IN ({marks(len(ids))}) OR forward_id IN ({marks(len(ids))})) RETURNING *"),
                (iso(at), by, how, now_text(), *ids, *ids),
            ).fetchall()  # fmt: skip
        return [request_of(row) for row in sorted(rows, key=lambda r: int(r["id"]))]

    def awaiting_answer(self) -> list[RequestRow]:
        rows = self.database.all(
            self.dialect.sql("SELECT * FROM messages WHERE answered_at IS NULL AND forward_id IS NOT NULL AND state != ? "
                             "AND repeat_of IS NULL ORDER BY id"),
            (DECIDED,),
        )  # fmt: skip
        return [request_of(r) for r in rows]

    def record_reminder(self, row_id: int, at: datetime) -> None:
        self.database.execute(
            self.dialect.sql("UPDATE messages SET reminded_at=?, updated_at=? WHERE id=?"), (iso(at), now_text(), row_id)
        )

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        if new_owner is None:
            self.database.execute(
                self.dialect.sql("UPDATE messages SET escalated_at=?, escalated_to=?, updated_at=? WHERE id=?"),
                (iso(at), to, now_text(), row_id),
            )
            return
        with self.database.transaction() as db:
            row = db.execute(self.dialect.sql(
                "UPDATE messages SET escalated_at=?, escalated_to=?, owner=?, forward_id=?, forwarded_at=?, "
                "reminded_at=NULL, updated_at=? WHERE id=? RETURNING message_id"),
                (iso(at), to, new_owner, new_forward_id, iso(at), now_text(), row_id),
            ).fetchone()  # fmt: skip
            # The client's next reply in this thread goes to the new owner too.
            for mid in (row["message_id"] if row else None, new_forward_id):
                if mid:
                    hand_thread(db, self.dialect, mid, new_owner, "followup", now_text())

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return False
        row = self.database.one(self.dialect.sql(f"SELECT 1 FROM acks WHERE message_id IN ({marks(len(ids))}) LIMIT 1"), ids)
        return row is not None

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        with self.database.transaction() as db:
            for mid in dict.fromkeys(thread_ids):
                if mid:
                    db.execute(self.dialect.sql("INSERT INTO acks (message_id, at) VALUES (?, ?) "
                                                "ON CONFLICT (message_id) DO NOTHING"), (mid, iso(at)))  # fmt: skip
            db.execute(
                self.dialect.sql(f"UPDATE messages SET acked_at=?, ack_error=?, updated_at=? WHERE {BY_KEY}"),
                (iso(at), error, now_text(), key.folder, key.uidvalidity, key.uid),
            )

    def acked(self, key: MessageKey) -> bool:
        row = self.database.one(
            self.dialect.sql(f"SELECT acked_at FROM messages WHERE {BY_KEY}"), (key.folder, key.uidvalidity, key.uid)
        )
        return bool(row and row["acked_at"])
