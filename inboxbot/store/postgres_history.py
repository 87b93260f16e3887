"""RoutingHistory over PostgreSQL: thread owners (`threads`), the subject + sender
fallback (`subjects`) and the round robin's past (the `messages` rows of a pool).

The writes happen with the message steps that cause them (postgres_messages.py,
postgres_requests.py), in their transactions: the functions for them live here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from inboxbot.model.subjects import subject_key
from inboxbot.store.credit_rows import NOT_CREDITED
from inboxbot.store.postgres import PgDatabase


def remember_thread(db: psycopg.Connection[Any], message_id: str, owner: str, rule: str, at: str) -> None:
    """The first owner of a thread stays its owner (a backup keeps the thread)."""
    db.execute(
        "INSERT INTO threads (message_id, owner, rule, at) VALUES (%s, %s, %s, %s) ON CONFLICT (message_id) DO NOTHING",
        (message_id, owner, rule, at),
    )


def hand_thread(db: psycopg.Connection[Any], message_id: str, owner: str, rule: str, at: str) -> None:
    """The thread goes to `owner` from now on (a reassigned request)."""
    db.execute(
        "INSERT INTO threads (message_id, owner, rule, at) VALUES (%s, %s, %s, %s) ON CONFLICT (message_id) "
        "DO UPDATE SET owner = EXCLUDED.owner, rule = EXCLUDED.rule, at = EXCLUDED.at",
        (message_id, owner, rule, at),
    )


def remember_subject(db: psycopg.Connection[Any], sender: str, subject: str, owner: str, at: str) -> None:
    """The latest owner of a sender's subject."""
    db.execute(
        "INSERT INTO subjects (sender, subject, owner, at) VALUES (%s, %s, %s, %s) ON CONFLICT (sender, subject) "
        "DO UPDATE SET owner = EXCLUDED.owner, at = EXCLUDED.at",
        (sender.lower(), subject_key(subject), owner, at),
    )


class PgHistory:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        ids = list(message_ids)
        if not ids:
            return None
        # One round trip; the nearest id (first in `message_ids`) wins, as in the loop SQLite runs.
        row = self.database.one(
            "SELECT t.owner, t.message_id FROM threads t "
            "JOIN unnest(%s::text[]) WITH ORDINALITY AS wanted(message_id, n) USING (message_id) "
            "ORDER BY wanted.n LIMIT 1",
            (ids,),
        )
        return (str(row["owner"]), str(row["message_id"])) if row else None

    def subject_owner(self, sender: str, subject: str) -> str | None:
        row = self.database.one(
            "SELECT owner FROM subjects WHERE sender=%s AND subject=%s",
            (sender.lower(), subject_key(subject)),
        )
        return str(row["owner"]) if row else None

    def last_pool_owner(self, pool: str) -> str | None:
        row = self.database.one(
            "SELECT owner FROM messages WHERE pool=%s AND owner IS NOT NULL ORDER BY id DESC LIMIT 1",
            (pool,),
        )
        return str(row["owner"]) if row else None

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        sql = f"SELECT owner, COUNT(*) AS n FROM messages WHERE owner IS NOT NULL AND repeat_of IS NULL AND seen_at >= %s AND {NOT_CREDITED}"
        args: list[object] = [since.astimezone(UTC).isoformat(timespec="seconds")]
        if pool is not None:
            sql += " AND pool=%s"
            args.append(pool)
        if rules is not None:
            marks = ", ".join(["%s"] * len(rules)) or "NULL"
            sql += f" AND (rule IN ({marks}) OR base_rule IN ({marks}))"
            args.extend([*rules, *rules])
        rows = self.database.all(sql + " GROUP BY owner ORDER BY owner", args)
        return {str(r["owner"]): int(r["n"]) for r in rows}
