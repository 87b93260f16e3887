"""Requests over SQLite: answers, reminders, escalations (columns of `messages`) and the
acknowledgements, once per thread (`acks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.records import DECIDED, MessageKey, RequestRow
from inboxbot.store.rows import iso, now_text, request_of
from inboxbot.store.sql_dialect import SQLITE
from inboxbot.store.sql_history import hand_thread
from inboxbot.store.sqlite import BY_KEY, Database


class SqliteRequests:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self.database.transaction() as db:
            # An answer to a repeat answers the request it repeats (and so stops its reminder).
            ids += [str(r["repeat_of"]) for r in db.execute(
                f"SELECT repeat_of FROM messages WHERE repeat_of IS NOT NULL AND (message_id IN ({marks}) OR forward_id IN ({marks}))",
                (*ids, *ids),
            ).fetchall()]  # fmt: skip
            marks = ",".join("?" * len(ids))
            rows = db.execute(
                f"SELECT id FROM messages WHERE forward_id IS NOT NULL AND answered_at IS NULL "
                f"AND (message_id IN ({marks}) OR forward_id IN ({marks}))",
                (*ids, *ids),
            ).fetchall()
            # `answered_at IS NULL` again in the UPDATE: another connection to the file may
            # have counted the same answer since the SELECT; then this one counts nothing.
            won = [
                int(row["id"]) for row in rows
                if db.execute(
                    "UPDATE messages SET answered_at=?, answered_by=?, answer_how=?, updated_at=? "
                    "WHERE id=? AND answered_at IS NULL",
                    (iso(at), by, how, now_text(), row["id"]),
                ).rowcount
            ]  # fmt: skip
        answered = [self.database.one("SELECT * FROM messages WHERE id=?", (row_id,)) for row_id in won]
        return [request_of(row) for row in answered if row is not None]

    def awaiting_answer(self) -> list[RequestRow]:
        rows = self.database.all(
            "SELECT * FROM messages WHERE answered_at IS NULL AND forward_id IS NOT NULL AND state != ? "
            "AND repeat_of IS NULL ORDER BY id",
            (DECIDED,),
        )
        return [request_of(r) for r in rows]

    def record_reminder(self, row_id: int, at: datetime) -> None:
        self.database.execute("UPDATE messages SET reminded_at=?, updated_at=? WHERE id=?", (iso(at), now_text(), row_id))

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        if new_owner is None:
            self.database.execute(
                "UPDATE messages SET escalated_at=?, escalated_to=?, updated_at=? WHERE id=?",
                (iso(at), to, now_text(), row_id),
            )
            return
        with self.database.transaction() as db:
            db.execute(
                "UPDATE messages SET escalated_at=?, escalated_to=?, owner=?, forward_id=?, forwarded_at=?, "
                "reminded_at=NULL, updated_at=? WHERE id=?",
                (iso(at), to, new_owner, new_forward_id, iso(at), now_text(), row_id),
            )
            # The client's next reply in this thread goes to the new owner too.
            row = db.execute("SELECT message_id FROM messages WHERE id=?", (row_id,)).fetchone()
            for mid in (row["message_id"] if row else None, new_forward_id):
                if mid:
                    hand_thread(db, SQLITE, mid, new_owner, "followup", now_text())

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return False
        row = self.database.one(f"SELECT 1 FROM acks WHERE message_id IN ({','.join('?' * len(ids))}) LIMIT 1", ids)
        return row is not None

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        with self.database.transaction() as db:
            for mid in dict.fromkeys(thread_ids):
                if mid:
                    db.execute("INSERT OR IGNORE INTO acks (message_id, at) VALUES (?, ?)", (mid, iso(at)))
            db.execute(
                f"UPDATE messages SET acked_at=?, ack_error=?, updated_at=? WHERE {BY_KEY}",
                (iso(at), error, now_text(), key.folder, key.uidvalidity, key.uid),
            )

    def acked(self, key: MessageKey) -> bool:
        row = self.database.one(
            f"SELECT acked_at FROM messages WHERE {BY_KEY}", (key.folder, key.uidvalidity, key.uid)
        )
        return bool(row and row["acked_at"])
