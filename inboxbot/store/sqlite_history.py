"""RoutingHistory over SQLite: thread owners (`threads`), the subject + sender fallback
(`subjects`) and the round robin's past (the `messages` rows of a pool).

The writes happen with the message steps that cause them (sqlite_messages.py,
sqlite_requests.py), in their transactions: the functions for them live here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from inboxbot.model.subjects import subject_key
from inboxbot.store.credit_rows import NOT_CREDITED
from inboxbot.store.sqlite import Database


def remember_thread(db: sqlite3.Connection, message_id: str, owner: str, rule: str, at: str) -> None:
    """The first owner of a thread stays its owner (a backup keeps the thread)."""
    db.execute(
        "INSERT OR IGNORE INTO threads (message_id, owner, rule, at) VALUES (?,?,?,?)",
        (message_id, owner, rule, at),
    )


def hand_thread(db: sqlite3.Connection, message_id: str, owner: str, rule: str, at: str) -> None:
    """The thread goes to `owner` from now on (a reassigned request)."""
    db.execute(
        "INSERT OR REPLACE INTO threads (message_id, owner, rule, at) VALUES (?,?,?,?)",
        (message_id, owner, rule, at),
    )


def remember_subject(db: sqlite3.Connection, sender: str, subject: str, owner: str, at: str) -> None:
    """The latest owner of a sender's subject."""
    db.execute(
        "INSERT OR REPLACE INTO subjects (sender, subject, owner, at) VALUES (?,?,?,?)",
        (sender.lower(), subject_key(subject), owner, at),
    )


class SqliteHistory:
    def __init__(self, database: Database) -> None:
        self.database = database

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        for mid in message_ids:
            row = self.database.one("SELECT owner FROM threads WHERE message_id=?", (mid,))
            if row:
                return str(row["owner"]), mid
        return None

    def subject_owner(self, sender: str, subject: str) -> str | None:
        row = self.database.one(
            "SELECT owner FROM subjects WHERE sender=? AND subject=?",
            (sender.lower(), subject_key(subject)),
        )
        return str(row["owner"]) if row else None

    def last_pool_owner(self, pool: str) -> str | None:
        row = self.database.one(
            "SELECT owner FROM messages WHERE pool=? AND owner IS NOT NULL ORDER BY id DESC LIMIT 1",
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
            marks = ", ".join(["?"] * len(rules)) or "NULL"
            sql += f" AND (rule IN ({marks}) OR base_rule IN ({marks}))"
            args.extend([*rules, *rules])
        rows = self.database.all(sql + " GROUP BY owner", args)
        return {str(r["owner"]): int(r["n"]) for r in rows}
