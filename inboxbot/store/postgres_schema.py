"""The PostgreSQL schema as numbered migrations, applied on open.

`schema_migrations` lists the versions applied. Opening applies the missing ones in
order, each in the opening transaction, under a transaction-scoped advisory lock: two
workers starting together do not both create the tables, and opening an up-to-date
database changes nothing (idempotent). A migration, once released, is never edited: a
change is a new version at the end.
"""

from __future__ import annotations

from typing import Any, Final

import psycopg
from psycopg.rows import tuple_row

from inboxbot.errors import StoreError
from inboxbot.store.browse_sql import PG_WEB_SCHEMA
from inboxbot.store.credit_rows import CREDITS_SCHEMA
from inboxbot.store.ledger_changes_sql import HISTORY_SCHEMA, KEYS_SCHEMA, POSTGRES_ID
from inboxbot.store.presence_rows import PRESENCE_SCHEMA
from inboxbot.store.release_rows import RELEASES_SCHEMA

# Any 64-bit number of our own: the lock only has to be the same for every inboxbot.
_LOCK: Final = 0x1B0B_5701

# Version 1 holds what SQLite's journal holds after its own migrations (sqlite.py:
# SCHEMA + ADDED_COLUMNS), in the same column order, so rows read alike.
MIGRATIONS: Final[tuple[tuple[int, str], ...]] = (
    (1, """
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder          TEXT NOT NULL,
    uidvalidity     BIGINT NOT NULL,
    uid             BIGINT NOT NULL,
    message_id      TEXT NOT NULL,
    has_message_id  INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    sender          TEXT,
    subject         TEXT,
    sent_at         TEXT,
    seen_at         TEXT NOT NULL,
    state           TEXT NOT NULL,
    action          TEXT,
    owner           TEXT,
    rule            TEXT,
    base_owner      TEXT,
    base_rule       TEXT,
    pool            TEXT,
    reasons         TEXT,
    decision        TEXT,
    forward_id      TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    forwarded_at    TEXT,
    answered_at     TEXT,
    answered_by     TEXT,
    answer_how      TEXT,
    reminded_at     TEXT,
    escalated_at    TEXT,
    escalated_to    TEXT,
    acked_at        TEXT,
    ack_error       TEXT,
    failing_since   TEXT,
    notified_at     TEXT,
    UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_content_hash ON messages (content_hash);
CREATE INDEX messages_pool ON messages (pool, id);
CREATE INDEX messages_forward_id ON messages (forward_id);
CREATE INDEX messages_seen_at ON messages (seen_at);
CREATE INDEX messages_awaiting ON messages (id) WHERE answered_at IS NULL AND forward_id IS NOT NULL;
CREATE TABLE threads (
    message_id  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    rule        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TABLE subjects (
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (sender, subject)
);
CREATE TABLE meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
CREATE TABLE acks (
    message_id  TEXT PRIMARY KEY,
    at          TEXT NOT NULL
);
"""),
    (2, RELEASES_SCHEMA),  # the digest of skipped mail and its releases
    # The client ledger (store/sql_ledger.py), as SQLite's `ledger` table.
    (3, """
CREATE TABLE ledger (
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    owner   TEXT NOT NULL,
    since   TEXT NOT NULL,
    how     TEXT NOT NULL,
    rule    TEXT NOT NULL,
    pool    TEXT,
    source  TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
"""),
    (4, HISTORY_SCHEMA.format(id=POSTGRES_ID)),  # the ledger's changes (store/ledger_changes_sql.py)
    (5, PG_WEB_SCHEMA),  # the web pages: the audit of their actions, the indexes of their lists
    # Near-duplicate requests (store/sql_repeats.py), as SQLite's `recent_requests`
    # table and its `messages.repeat_of` column.
    (6, """
ALTER TABLE messages ADD COLUMN repeat_of TEXT;
CREATE TABLE recent_requests (
    message_id  TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    at          TEXT NOT NULL,
    owner       TEXT NOT NULL,
    text        TEXT NOT NULL,
    first_id    TEXT NOT NULL,
    first_at    TEXT NOT NULL
);
CREATE INDEX recent_requests_sender ON recent_requests (sender, at);
"""),
    # Disputes over who owns a client (store/sql_conflicts.py), as SQLite's `conflicts`.
    (7, """
CREATE TABLE conflicts (
    number      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    facts       TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    client      TEXT NOT NULL,
    owners      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    raised_at   TEXT NOT NULL,
    notified_at TEXT,
    settled_at  TEXT,
    verdict     TEXT,
    owner       TEXT,
    why         TEXT,
    settled_by  TEXT
);
"""),
    (8, CREDITS_SCHEMA),  # the head's credit-backs of junk leads (store/credit_rows.py)
    # Several workers on one database (run/lease.py): a mailbox's lease, and each mail's
    # claim before its forward, both on the database's clock.
    (9, """
ALTER TABLE messages ADD COLUMN claimed_by TEXT, ADD COLUMN claim_until TIMESTAMPTZ;
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   TIMESTAMPTZ NOT NULL
);
"""),
    # A notice claimed by its sender before it goes (run/handover_mail.py), on the
    # database's clock; a dispute's client by its ledger identities, and the change its
    # verdict made (run/conflicts.py).
    (10, """
ALTER TABLE ledger_history ADD COLUMN announce_by TEXT, ADD COLUMN announce_until TIMESTAMPTZ;
ALTER TABLE conflicts ADD COLUMN client_keys TEXT NOT NULL DEFAULT '[]', ADD COLUMN change_id BIGINT;
"""),
    (11, PRESENCE_SCHEMA),  # days away by the head's mail command (store/presence_rows.py)
    # The identities each ledger change touched, for a client's history by index
    # (store/ledger_changes_sql.py); the changes kept so far keyed here.
    (12, KEYS_SCHEMA + """
INSERT INTO ledger_history_keys (kind, value, change_id)
SELECT e->>'kind', e->>'value', h.id
FROM ledger_history h, jsonb_array_elements(h.entries_after::jsonb || h.entries_before::jsonb) e
ON CONFLICT DO NOTHING;
"""),
)  # fmt: skip


def migrate(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply the migrations `conn`'s database lacks; call inside a transaction. Returns
    the versions applied now (empty when the database was up to date). Refuses a
    database migrated by a newer inboxbot: this one would not know its columns."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    with conn.cursor(row_factory=tuple_row) as cursor:
        done = {int(row[0]) for row in cursor.execute("SELECT version FROM schema_migrations").fetchall()}
    known = MIGRATIONS[-1][0]
    if max(done, default=0) > known:
        raise StoreError(
            f"схема базы новее этой версии inboxbot (миграция {max(done)}, известны до {known}): обновите inboxbot"
        )
    applied: list[int] = []
    for version, sql in MIGRATIONS:
        if version not in done:
            conn.execute(sql)  # a script of several statements: allowed without parameters
            conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (%s, now()::text)", (version,))
            applied.append(version)
    return applied
