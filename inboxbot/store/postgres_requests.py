"""Requests over PostgreSQL: answers, reminders, escalations (columns of `messages`) and
the acknowledgements, once per thread (`acks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from inboxbot.model.records import DECIDED, MessageKey, RequestRow
from inboxbot.store.postgres import BY_KEY, PgDatabase
from inboxbot.store.rows import iso, now_text, request_of
from inboxbot.store.sql_dialect import POSTGRES
from inboxbot.store.sql_history import hand_thread


class PgRequests:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return []
        # An answer to a repeat answers the request it repeats (and so stops its reminder).
        ids += [str(r["repeat_of"]) for r in self.database.all(
            "SELECT repeat_of FROM messages WHERE repeat_of IS NOT NULL AND (message_id = ANY(%s) OR forward_id = ANY(%s))",
            (ids, ids),
        )]  # fmt: skip
        # One conditional UPDATE: of two workers seeing answers in the same thread, the
        # first one's counts and the second changes nothing (answered_at is no longer NULL).
        rows = self.database.all(
            "UPDATE messages SET answered_at=%s, answered_by=%s, answer_how=%s, updated_at=%s "
            "WHERE forward_id IS NOT NULL AND answered_at IS NULL "
            "AND (message_id = ANY(%s) OR forward_id = ANY(%s)) RETURNING *",
            (iso(at), by, how, now_text(), ids, ids),
        )
        return [request_of(row) for row in sorted(rows, key=lambda r: int(r["id"]))]

    def awaiting_answer(self) -> list[RequestRow]:
        rows = self.database.all(
            "SELECT * FROM messages WHERE answered_at IS NULL AND forward_id IS NOT NULL AND state != %s "
            "AND repeat_of IS NULL ORDER BY id",
            (DECIDED,),
        )
        return [request_of(r) for r in rows]

    def record_reminder(self, row_id: int, at: datetime) -> None:
        self.database.execute(
            "UPDATE messages SET reminded_at=%s, updated_at=%s WHERE id=%s", (iso(at), now_text(), row_id)
        )

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        if new_owner is None:
            self.database.execute(
                "UPDATE messages SET escalated_at=%s, escalated_to=%s, updated_at=%s WHERE id=%s",
                (iso(at), to, now_text(), row_id),
            )
            return
        with self.database.transaction() as db:
            row = db.execute(
                "UPDATE messages SET escalated_at=%s, escalated_to=%s, owner=%s, forward_id=%s, forwarded_at=%s, "
                "reminded_at=NULL, updated_at=%s WHERE id=%s RETURNING message_id",
                (iso(at), to, new_owner, new_forward_id, iso(at), now_text(), row_id),
            ).fetchone()
            # The client's next reply in this thread goes to the new owner too.
            for mid in (row["message_id"] if row else None, new_forward_id):
                if mid:
                    hand_thread(db, POSTGRES, mid, new_owner, "followup", now_text())

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return False
        return self.database.one("SELECT 1 FROM acks WHERE message_id = ANY(%s) LIMIT 1", (ids,)) is not None

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        with self.database.transaction() as db:
            for mid in dict.fromkeys(thread_ids):
                if mid:
                    db.execute(
                        "INSERT INTO acks (message_id, at) VALUES (%s, %s) ON CONFLICT (message_id) DO NOTHING",
                        (mid, iso(at)),
                    )
            db.execute(
                f"UPDATE messages SET acked_at=%s, ack_error=%s, updated_at=%s WHERE {BY_KEY}",
                (iso(at), error, now_text(), key.folder, key.uidvalidity, key.uid),
            )

    def acked(self, key: MessageKey) -> bool:
        row = self.database.one(
            f"SELECT acked_at FROM messages WHERE {BY_KEY}", (key.folder, key.uidvalidity, key.uid)
        )
        return bool(row and row["acked_at"])
