"""RoutingHistory over SQL (SQLite and PostgreSQL): thread owners (`threads`), the
subject + sender fallback (`subjects`) and the round robin's past (the `messages` rows of
a pool).

The writes happen with the message steps that cause them (sql_messages.py, the requests,
the ledger's changes), in their transactions: the functions for them live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from inboxbot.model.subjects import subject_key
from inboxbot.store.credit_rows import NOT_CREDITED
from inboxbot.store.sql_dialect import Dialect, SqlDatabase, marks


def remember_thread(db: Any, dialect: Dialect, message_id: str, owner: str, rule: str, at: str) -> None:
    """The first owner of a thread stays its owner (a backup keeps the thread)."""
    db.execute(
        dialect.sql("INSERT INTO threads (message_id, owner, rule, at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (message_id) DO NOTHING"),
        (message_id, owner, rule, at),
    )  # fmt: skip


def hand_thread(db: Any, dialect: Dialect, message_id: str, owner: str, rule: str, at: str) -> None:
    """The thread goes to `owner` from now on (a reassigned request)."""
    db.execute(
        dialect.sql("INSERT INTO threads (message_id, owner, rule, at) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) "
                    "DO UPDATE SET owner = excluded.owner, rule = excluded.rule, at = excluded.at"),
        (message_id, owner, rule, at),
    )  # fmt: skip


def remember_subject(db: Any, dialect: Dialect, sender: str, subject: str, owner: str, at: str) -> None:
    """The latest owner of a sender's subject."""
    db.execute(
        dialect.sql("INSERT INTO subjects (sender, subject, owner, at) VALUES (?, ?, ?, ?) ON CONFLICT (sender, subject) "
                    "DO UPDATE SET owner = excluded.owner, at = excluded.at"),
        (sender.lower(), subject_key(subject), owner, at),
    )  # fmt: skip


class SqlHistory:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return None
        # One round trip; the nearest id (first in `message_ids`) wins.
        rows = self.database.all(
            self.dialect.sql(f"SELECT owner, message_id FROM threads WHERE message_id IN ({marks(len(ids))})"), ids
        )
        owners = {str(r["message_id"]): str(r["owner"]) for r in rows}
        return next(((owners[mid], mid) for mid in ids if mid in owners), None)

    def subject_owner(self, sender: str, subject: str) -> str | None:
        row = self.database.one(
            self.dialect.sql("SELECT owner FROM subjects WHERE sender=? AND subject=?"),
            (sender.lower(), subject_key(subject)),
        )
        return str(row["owner"]) if row else None

    def last_pool_owner(self, pool: str) -> str | None:
        row = self.database.one(
            self.dialect.sql("SELECT owner FROM messages WHERE pool=? AND owner IS NOT NULL ORDER BY id DESC LIMIT 1"),
            (pool,),
        )
        return str(row["owner"]) if row else None

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        sql = f"SELECT owner, COUNT(*) AS n FROM messages WHERE owner IS NOT NULL AND repeat_of IS NULL AND seen_at >= ? AND {NOT_CREDITED}"
        args: list[object] = [since.astimezone(UTC).isoformat(timespec="seconds")]
        if pool is not None:
            sql += " AND pool=?"
            args.append(pool)
        if rules is not None:
            listed = marks(len(rules))
            sql += f" AND (rule IN ({listed}) OR base_rule IN ({listed}))"
            args.extend([*rules, *rules])
        rows = self.database.all(self.dialect.sql(sql + " GROUP BY owner ORDER BY owner"), args)
        return {str(r["owner"]): int(r["n"]) for r in rows}
