"""Messages over PostgreSQL: the `messages` table's lifecycle, each step one transaction
guarded in SQL, so that workers sharing the database cannot both take the same step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, Entry, MessageKey
from inboxbot.store.postgres import BY_KEY, PgDatabase
from inboxbot.store.rows import decided_row, entry_of, iso, now_text, parse_time, starts_thread
from inboxbot.store.sql_dialect import POSTGRES
from inboxbot.store.sql_history import remember_subject, remember_thread


class PgMessages:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def entry(self, key: MessageKey) -> Entry | None:
        row = self.database.one(f"SELECT * FROM messages WHERE {BY_KEY}", _where(key))
        return entry_of(row) if row else None

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        column, value = ("message_id", message_id) if has_message_id else ("content_hash", content_hash)
        extra = " AND has_message_id=1" if has_message_id else ""
        row = self.database.one(
            f"SELECT * FROM messages WHERE {column}=%s{extra} ORDER BY state = %s, id LIMIT 1",
            (value, DECIDED),
        )
        return entry_of(row) if row else None

    def record_decision(
        self,
        key: MessageKey,
        msg: ParsedMessage,
        decision: Decision,
        *,
        details: Mapping[str, object] | None = None,
        seen_at: datetime | None = None,
    ) -> Entry:
        now = iso(seen_at) if seen_at else now_text()
        row = decided_row(key, msg, decision, details, now)
        with self.database.transaction() as db:
            # ON CONFLICT DO NOTHING: of two workers deciding the same mail, the first
            # insert stays and the second reads it back (it must act on that decision).
            inserted = db.execute(
                f"INSERT INTO messages ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))}) "
                "ON CONFLICT (folder, uidvalidity, uid) DO NOTHING",
                tuple(row.values()),
            ).rowcount
            if inserted and starts_thread(decision):
                assert decision.owner is not None
                remember_thread(db, POSTGRES, msg.message_id, decision.owner, decision.rule, now)
                sender = str(row["sender"])
                if sender and msg.subject:
                    remember_subject(db, POSTGRES, sender, msg.subject, decision.owner, now)
        entry = self.entry(key)
        assert entry is not None
        return entry

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> bool:
        now = iso(at) if at else now_text()
        with self.database.transaction() as db:
            moved = db.execute(
                "UPDATE messages SET state=%s, forward_id=%s, forwarded_at=%s, updated_at=%s, error=NULL "
                f"WHERE {BY_KEY} AND state=%s",
                (FORWARDED, forward_id, now, now, *_where(key), DECIDED),
            ).rowcount
            # The manager's reply to our forward carries its Message-ID: same owner. Kept
            # for a losing forward too: if it went out, its replies still find the owner.
            remember_thread(db, POSTGRES, forward_id, owner, rule, now)
        return moved == 1

    def mark_notified(self, key: MessageKey, *, at: datetime | None = None) -> None:
        self._update(key, notified_at=iso(at) if at else now_text())

    def notified(self, key: MessageKey) -> bool:
        row = self.database.one(f"SELECT notified_at FROM messages WHERE {BY_KEY}", _where(key))
        return bool(row and row["notified_at"])

    def mark_done(self, key: MessageKey, *, error: str | None = None) -> None:
        self._update(key, state=MARKED, error=error)

    def mark_done_many(self, keys: Sequence[MessageKey]) -> None:
        now = now_text()
        with self.database.transaction() as db, db.cursor() as cursor:
            cursor.executemany(
                f"UPDATE messages SET state=%s, error=NULL, updated_at=%s WHERE {BY_KEY}",
                [(MARKED, now, *_where(k)) for k in keys],
            )

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        now = now_text()
        row = self.database.one(
            "UPDATE messages SET attempts=attempts+1, error=%s, updated_at=%s, "
            f"failing_since=CASE WHEN %s THEN COALESCE(failing_since, %s) ELSE failing_since END WHERE {BY_KEY} "
            "RETURNING attempts",
            (error, now, about_message, now, *_where(key)),
        )
        return int(row["attempts"]) if row else 0

    def failing_since(self, key: MessageKey) -> datetime | None:
        row = self.database.one(f"SELECT failing_since FROM messages WHERE {BY_KEY}", _where(key))
        return parse_time(row["failing_since"]) if row else None

    def claim(self, key: MessageKey, holder: str, seconds: float, *, state: str = DECIDED) -> bool:
        # The database's clock, not the workers': theirs may disagree by seconds.
        won = self.database.execute(
            "UPDATE messages SET claimed_by=%s, claim_until=now() + make_interval(secs => %s) "
            f"WHERE {BY_KEY} AND state=%s AND (claimed_by IS NULL OR claimed_by=%s OR claim_until < now())",
            (holder, seconds, *_where(key), state, holder),
        )
        return won == 1

    def _update(self, key: MessageKey, **fields: object) -> None:
        sets = ", ".join(f"{name}=%s" for name in fields)
        self.database.execute(
            f"UPDATE messages SET {sets}, updated_at=%s WHERE {BY_KEY}",
            (*fields.values(), now_text(), *_where(key)),
        )


def _where(key: MessageKey) -> tuple[str, int, int]:
    return key.folder, key.uidvalidity, key.uid
