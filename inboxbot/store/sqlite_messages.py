"""Messages over SQLite: the `messages` table's lifecycle columns, each step one commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, Entry, MessageKey
from inboxbot.store.rows import decided_row, entry_of, iso, lease_text, now_text, parse_time, starts_thread
from inboxbot.store.sql_dialect import SQLITE
from inboxbot.store.sql_history import remember_subject, remember_thread
from inboxbot.store.sqlite import BY_KEY, Database


class SqliteMessages:
    def __init__(self, database: Database) -> None:
        self.database = database

    def entry(self, key: MessageKey) -> Entry | None:
        row = self.database.one(f"SELECT * FROM messages WHERE {BY_KEY}", _where(key))
        return entry_of(row) if row else None

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        column, value = ("message_id", message_id) if has_message_id else ("content_hash", content_hash)
        extra = " AND has_message_id=1" if has_message_id else ""
        row = self.database.one(
            f"SELECT * FROM messages WHERE {column}=?{extra} ORDER BY state = ?, id LIMIT 1",
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
            # OR IGNORE: a second connection to the file deciding the same mail keeps the
            # first decision and reads it back.
            inserted = db.execute(
                f"INSERT OR IGNORE INTO messages ({', '.join(row)}) VALUES ({','.join('?' * len(row))})",
                tuple(row.values()),
            ).rowcount
            if inserted and starts_thread(decision):
                assert decision.owner is not None
                remember_thread(db, SQLITE, msg.message_id, decision.owner, decision.rule, now)
                sender = str(row["sender"])
                if sender and msg.subject:
                    remember_subject(db, SQLITE, sender, msg.subject, decision.owner, now)
        entry = self.entry(key)
        assert entry is not None
        return entry

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> bool:
        now = iso(at) if at else now_text()
        with self.database.transaction() as db:
            moved = db.execute(
                "UPDATE messages SET state=?, forward_id=?, forwarded_at=?, updated_at=?, error=NULL "
                f"WHERE {BY_KEY} AND state=?",
                (FORWARDED, forward_id, now, now, *_where(key), DECIDED),
            ).rowcount
            # The manager's reply to our forward carries its Message-ID: same owner.
            remember_thread(db, SQLITE, forward_id, owner, rule, now)
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
        with self.database.transaction() as db:
            db.executemany(
                f"UPDATE messages SET state=?, error=NULL, updated_at=? WHERE {BY_KEY}",
                [(MARKED, now, *_where(k)) for k in keys],
            )

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        now = now_text()
        self.database.execute(
            "UPDATE messages SET attempts=attempts+1, error=?, updated_at=?, "
            f"failing_since=CASE WHEN ? THEN COALESCE(failing_since, ?) ELSE failing_since END WHERE {BY_KEY}",
            (error, now, int(about_message), now, *_where(key)),
        )
        entry = self.entry(key)
        return entry.attempts if entry else 0

    def failing_since(self, key: MessageKey) -> datetime | None:
        row = self.database.one(f"SELECT failing_since FROM messages WHERE {BY_KEY}", _where(key))
        return parse_time(row["failing_since"]) if row else None

    def claim(self, key: MessageKey, holder: str, seconds: float, *, state: str = DECIDED) -> bool:
        now = datetime.now(UTC)
        with self.database.transaction() as db:
            won = db.execute(
                f"UPDATE messages SET claimed_by=?, claim_until=? WHERE {BY_KEY} AND state=? "
                "AND (claimed_by IS NULL OR claimed_by=? OR claim_until < ?)",
                (holder, lease_text(now + timedelta(seconds=seconds)), *_where(key), state, holder, lease_text(now)),
            ).rowcount
        return won == 1

    def _update(self, key: MessageKey, **fields: object) -> None:
        sets = ", ".join(f"{name}=?" for name in fields)
        self.database.execute(
            f"UPDATE messages SET {sets}, updated_at=? WHERE {BY_KEY}",
            (*fields.values(), now_text(), *_where(key)),
        )


def _where(key: MessageKey) -> tuple[str, int, int]:
    return key.folder, key.uidvalidity, key.uid
