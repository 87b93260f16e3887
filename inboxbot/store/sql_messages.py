"""Messages over SQL (SQLite and PostgreSQL): the `messages` table's lifecycle, each step
one transaction guarded in SQL, so that two connections (to the file, or workers sharing
the database) cannot both take the same step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, Entry, MessageKey
from inboxbot.store.rows import decided_row, entry_of, iso, now_text, parse_time, starts_thread
from inboxbot.store.sql_dialect import BY_KEY, Dialect, SqlDatabase, execute_many, marks
from inboxbot.store.sql_history import remember_subject, remember_thread


class SqlMessages:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def entry(self, key: MessageKey) -> Entry | None:
        row = self.database.one(self.dialect.sql(f"SELECT * FROM messages WHERE {BY_KEY}"), _where(key))
        return entry_of(row) if row else None

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        column, value = ("message_id", message_id) if has_message_id else ("content_hash", content_hash)
        extra = " AND has_message_id=1" if has_message_id else ""
        row = self.database.one(
            self.dialect.sql(f"SELECT * FROM messages WHERE {column}=?{extra} ORDER BY state = ?, id LIMIT 1"),
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
            # ON CONFLICT DO NOTHING: of two connections deciding the same mail, the first
            # insert stays and the second reads it back (it must act on that decision).
            inserted = db.execute(
                self.dialect.sql(f"INSERT INTO messages ({', '.join(row)}) VALUES ({marks(len(row))}) "
                                 "ON CONFLICT (folder, uidvalidity, uid) DO NOTHING"),
                tuple(row.values()),
            ).rowcount  # fmt: skip
            if inserted and starts_thread(decision):
                assert decision.owner is not None
                remember_thread(db, self.dialect, msg.message_id, decision.owner, decision.rule, now)
                sender = str(row["sender"])
                if sender and msg.subject:
                    remember_subject(db, self.dialect, sender, msg.subject, decision.owner, now)
        entry = self.entry(key)
        assert entry is not None
        return entry

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> bool:
        now = iso(at) if at else now_text()
        with self.database.transaction() as db:
            moved = db.execute(
                self.dialect.sql("UPDATE messages SET state=?, forward_id=?, forwarded_at=?, updated_at=?, error=NULL "
                                 f"WHERE {BY_KEY} AND state=?"),
                (FORWARDED, forward_id, now, now, *_where(key), DECIDED),
            ).rowcount  # fmt: skip
            # The manager's reply to our forward carries its Message-ID: same owner. Kept
            # for a losing forward too: if it went out, its replies still find the owner.
            remember_thread(db, self.dialect, forward_id, owner, rule, now)
        return bool(moved == 1)

    def mark_notified(self, key: MessageKey, *, at: datetime | None = None) -> None:
        self._update(key, notified_at=iso(at) if at else now_text())

    def notified(self, key: MessageKey) -> bool:
        row = self.database.one(self.dialect.sql(f"SELECT notified_at FROM messages WHERE {BY_KEY}"), _where(key))
        return bool(row and row["notified_at"])

    def mark_done(self, key: MessageKey, *, error: str | None = None) -> None:
        self._update(key, state=MARKED, error=error)

    def mark_done_many(self, keys: Sequence[MessageKey]) -> None:
        now = now_text()
        with self.database.transaction() as db:
            execute_many(
                db,
                self.dialect.sql(f"UPDATE messages SET state=?, error=NULL, updated_at=? WHERE {BY_KEY}"),
                [(MARKED, now, *_where(k)) for k in keys],
            )

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        now = now_text()
        row = self.database.one(
            self.dialect.sql("UPDATE messages SET attempts=attempts+1, error=?, updated_at=?, "
                             "failing_since=CASE WHEN ? THEN COALESCE(failing_since, ?) ELSE failing_since END "
                             f"WHERE {BY_KEY} RETURNING attempts"),
            (error, now, about_message, now, *_where(key)),
        )  # fmt: skip
        return int(row["attempts"]) if row else 0

    def failing_since(self, key: MessageKey) -> datetime | None:
        row = self.database.one(self.dialect.sql(f"SELECT failing_since FROM messages WHERE {BY_KEY}"), _where(key))
        return parse_time(row["failing_since"]) if row else None

    def claim(
        self, key: MessageKey, holder: str, seconds: float, *, state: str = DECIDED, taking_over: str | None = None
    ) -> bool:
        lease = self.dialect.lease(seconds)  # on PostgreSQL the database's clock: the workers' may disagree
        won = self.database.execute(
            self.dialect.sql(f"UPDATE messages SET claimed_by=?, claim_until={lease.until} WHERE {BY_KEY} AND state=? "
                             f"AND (claimed_by IS NULL OR claimed_by IN (?, ?) OR claim_until < {lease.expired})"),
            (holder, *lease.until_args, *_where(key), state, holder, taking_over or holder, *lease.expired_args),
        )  # fmt: skip
        return won == 1

    def _update(self, key: MessageKey, **fields: object) -> None:
        sets = ", ".join(f"{name}=?" for name in fields)
        self.database.execute(
            self.dialect.sql(f"UPDATE messages SET {sets}, updated_at=? WHERE {BY_KEY}"),
            (*fields.values(), now_text(), *_where(key)),
        )


def _where(key: MessageKey) -> tuple[str, int, int]:
    return key.folder, key.uidvalidity, key.uid
