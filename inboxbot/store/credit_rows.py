"""The `credits` table as SQLite and PostgreSQL both write it, and its rows as Credits.
The placeholders differ ({p}: ? or %s); the SQL does not."""

from __future__ import annotations

from typing import Final

from inboxbot.model.credit import Credit
from inboxbot.store.rows import Row, parse_time

CREDITS_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS credits (
    message_id  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    pool        TEXT,
    rule        TEXT,
    subject     TEXT NOT NULL,
    at          TEXT NOT NULL,
    by_manager  TEXT NOT NULL,
    reason      TEXT NOT NULL
);
"""
# What the fair-share counts leave out (history.owner_counts).
NOT_CREDITED: Final = "message_id NOT IN (SELECT message_id FROM credits)"
COLUMNS: Final = "message_id, owner, pool, rule, subject, at, by_manager, reason"


def find_sql(refs: int) -> str:
    """The latest assigned row whose own or forward Message-ID is one of `refs`."""
    marks = ", ".join("?" * refs)
    return (
        "SELECT message_id, owner, pool, rule, subject FROM messages WHERE owner IS NOT NULL "
        f"AND (message_id IN ({marks}) OR forward_id IN ({marks})) ORDER BY id DESC LIMIT 1"
    )


INSERT_SQL: Final = f"INSERT INTO credits ({COLUMNS}) VALUES ({', '.join('?' * 8)}) ON CONFLICT (message_id) DO NOTHING"


def credit_of(row: Row, *, new: bool = True) -> Credit:
    at = parse_time(row["at"])
    assert at is not None
    return Credit(
        message_id=str(row["message_id"]), owner=str(row["owner"]), pool=row["pool"], rule=row["rule"],
        subject=str(row["subject"]), at=at, by=str(row["by_manager"]), reason=str(row["reason"]), new=new,
    )  # fmt: skip
