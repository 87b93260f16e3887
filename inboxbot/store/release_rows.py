"""The tables of the skipped-mail digest and its releases, and their rows → records;
shared by every backend (the DDL is plain enough for SQLite and PostgreSQL alike)."""

from __future__ import annotations

import json
from typing import Final

from inboxbot.model.decision import DIGEST_REPLY_RULE, DUPLICATE_RULE, LEDGER_COMMAND_RULE
from inboxbot.model.records import MessageKey
from inboxbot.store.interfaces import DigestItem, ReleaseCommand
from inboxbot.store.rows import Row, iso, parse_time

RELEASES_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS digest_items (
    digest_id   TEXT NOT NULL,
    number      INTEGER NOT NULL,
    folder      TEXT NOT NULL,
    uidvalidity BIGINT NOT NULL,
    uid         BIGINT NOT NULL,
    listed_at   TEXT NOT NULL,
    claimed_at  TEXT,
    decision    TEXT,
    released_at TEXT,
    outcome     TEXT,
    PRIMARY KEY (digest_id, number)
);
CREATE TABLE IF NOT EXISTS release_commands (
    command_id  TEXT PRIMARY KEY,
    digest_id   TEXT NOT NULL,
    sender      TEXT NOT NULL,
    numbers     TEXT,
    refusal     TEXT,
    received_at TEXT NOT NULL,
    answered_at TEXT
);
"""
# Mail decided `skip` by a rule, not the bot's own bookkeeping (a second delivery, the
# head's reply to a digest).
NOT_LISTED: Final = (DUPLICATE_RULE, DIGEST_REPLY_RULE, LEDGER_COMMAND_RULE)
SKIPPED_WHERE: Final = "action = 'skip' AND rule NOT IN (" + ", ".join(f"'{r}'" for r in NOT_LISTED) + ")"


def item_of(row: Row) -> DigestItem:
    raw = row["decision"]
    return DigestItem(
        digest_id=str(row["digest_id"]),
        number=int(row["number"]),
        key=MessageKey(str(row["folder"]), int(row["uidvalidity"]), int(row["uid"])),
        decision=json.loads(raw) if raw else None,
        released=bool(row["released_at"]),
        outcome=row["outcome"],
    )


def command_of(row: Row) -> ReleaseCommand:
    received = parse_time(row["received_at"])
    assert received is not None
    numbers = row["numbers"]
    return ReleaseCommand(
        command_id=str(row["command_id"]),
        digest_id=str(row["digest_id"]),
        sender=str(row["sender"]),
        numbers=tuple(json.loads(numbers)) if numbers is not None else None,
        refusal=row["refusal"],
        received_at=received,
    )


def command_row(command: ReleaseCommand) -> dict[str, object]:
    return {
        "command_id": command.command_id,
        "digest_id": command.digest_id,
        "sender": command.sender,
        "numbers": json.dumps(list(command.numbers)) if command.numbers is not None else None,
        "refusal": command.refusal,
        "received_at": iso(command.received_at),
    }
