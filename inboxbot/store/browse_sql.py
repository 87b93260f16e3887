"""The web pages' tables and queries, shared by SQLite and PostgreSQL (the placeholders
differ): the audit table, the indexes the lists need, and a RequestFilter as SQL.

The lists page by row id (id < the last one shown), newest first, so every page costs
the same whatever its depth; the filters on owner and period are served by indexes.
A text search reads the rows newest first until a page is full.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

from inboxbot.model.records import MessageKey
from inboxbot.store.interfaces import AuditEntry, RequestFilter
from inboxbot.store.release_rows import SKIPPED_WHERE
from inboxbot.store.rows import Row, iso, parse_time

WEB_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    who     TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL,
    ip      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject, id);
CREATE INDEX IF NOT EXISTS messages_owner ON messages (owner, id);
CREATE INDEX IF NOT EXISTS messages_base_owner ON messages (base_owner, id);
CREATE INDEX IF NOT EXISTS messages_seen ON messages (seen_at);
CREATE INDEX IF NOT EXISTS ledger_owner ON ledger (owner, kind, value);
CREATE INDEX IF NOT EXISTS digest_items_key ON digest_items (folder, uidvalidity, uid);
CREATE INDEX IF NOT EXISTS messages_escalated ON messages (id) WHERE escalated_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_triage ON messages (id) WHERE action = 'triage';
CREATE INDEX IF NOT EXISTS messages_skipped ON messages (id) WHERE action = 'skip';
CREATE INDEX IF NOT EXISTS messages_failed ON messages (id) WHERE error IS NOT NULL;
"""
# PostgreSQL numbers the audit rows itself (SQLite's INTEGER PRIMARY KEY does so too).
PG_WEB_SCHEMA: Final = WEB_SCHEMA.replace("id      INTEGER PRIMARY KEY", "id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")

# The states a list can be filtered by: key → (Russian label, SQL condition). A list wants
# the newest rows first, walked by id (or by owner, id): the common states are written so
# that no index matches them (COALESCE keeps the planner off the follow-up's index on
# answered_at, which would sort a third of the journal); each rare one has a partial index
# of its own (WEB_SCHEMA), matched by its condition word for word.
STATES: Final = {
    "waiting": ("ждёт ответа", "forward_id IS NOT NULL AND COALESCE(answered_at, '') = ''"),
    "answered": ("отвечено", "COALESCE(answered_at, '') != ''"),
    "escalated": ("эскалировано", "escalated_at IS NOT NULL"),
    "triage": ("ручной разбор", "action = 'triage'"),
    "skipped": ("не переслано", SKIPPED_WHERE),
    "failed": ("ошибка", "error IS NOT NULL"),
}


def filter_sql(where: RequestFilter, mark: str, text_sql: Callable[[str], str]) -> tuple[str, list[object]]:
    """`where` as an SQL condition with `mark` placeholders, and its arguments.
    `text_sql(mark)`: the backend's condition that a row's searched text (searched_text,
    folded) is LIKE the pattern at `mark` (ESCAPE '\\')."""
    parts: list[str] = []
    args: list[object] = []
    if where.visible_to is not None:
        mine = f"(owner = {mark} OR base_owner = {mark})"
        args += [where.visible_to, where.visible_to]
        parts.append(f"({mine} OR (owner IS NULL AND action != 'skip'))" if where.unassigned else mine)
    if where.owner:
        parts.append(f"owner = {mark}")
        args.append(where.owner)
    if where.state in STATES:
        parts.append(f"({STATES[where.state][1]})")
    if where.since is not None:
        parts.append(f"seen_at >= {mark}")
        args.append(iso(where.since))
    if where.until is not None:
        parts.append(f"seen_at < {mark}")
        args.append(iso(where.until))
    pattern = like_pattern(where.text)
    if pattern is not None:
        parts.append(text_sql(mark))
        args.append(pattern)
    return (" AND ".join(parts) or "1=1"), args


def like_pattern(text: str) -> str | None:
    """The LIKE pattern (ESCAPE '\\') finding a search text anywhere; None for no text."""
    folded = fold_text(text)
    return f"%{like_escaped(folded)}%" if folded else None


def fold_text(text: str) -> str:
    """A search text as compared: lower case, ё as е, no spaces around."""
    return text.strip().lower().replace("ё", "е")


def searched_text(sender: object, subject: object, decision: object) -> str:
    """What a search looks in, folded: the sender, the subject, and from the stored
    decision the company and INN found, the client's address, the client base's name."""
    payload = json.loads(str(decision)) if decision else {}
    company = payload.get("company") or {}
    client = (payload.get("decision") or {}).get("client") or {}
    parts = (sender, subject, company.get("name"), company.get("inn"), payload.get("client_address"),
             client.get("name"), client.get("inn"))  # fmt: skip
    return fold_text(" ".join(str(p) for p in parts if p))


def like_escaped(text: str) -> str:
    """`text` matched literally by LIKE … ESCAPE '\\' (its % and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_values(entry: AuditEntry) -> tuple[object, ...]:
    return (iso(entry.at), entry.who, entry.action, entry.subject, entry.detail, entry.ip)


def audit_of(row: Row) -> AuditEntry:
    at = parse_time(row["at"])
    assert at is not None
    return AuditEntry(at, str(row["who"]), str(row["action"]), str(row["subject"]), str(row["detail"]), str(row["ip"]))


def key_args(keys: list[MessageKey]) -> list[object]:
    return [part for k in keys for part in (k.folder, k.uidvalidity, k.uid)]
