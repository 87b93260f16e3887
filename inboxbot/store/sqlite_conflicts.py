"""Conflicts over SQLite: the `conflicts` table, one row per dispute's facts (UNIQUE), so
a dispute is recorded once however often its mail comes, and once settled stays settled."""

from __future__ import annotations

import json
from datetime import datetime

from inboxbot.model.conflicts import Conflict, Dispute, keys_json, keys_of
from inboxbot.store.rows import Row, iso, parse_time
from inboxbot.store.sqlite import Database

# Shared with postgres_conflicts.py.
COLUMNS = ("number, facts, kind, client, owners, detail, message_id, raised_at, notified_at, settled_at, verdict, owner, "
           "why, settled_by, client_keys, change_id")  # fmt: skip
NEW = "facts, kind, client, owners, detail, message_id, raised_at, client_keys"
SETTLE = "settled_at=?, verdict=?, owner=?, why=?, settled_by=?, change_id=? WHERE number=? AND settled_at IS NULL"


def new_values(dispute: Dispute, at: datetime) -> tuple[object, ...]:
    return (dispute.facts, dispute.kind, dispute.client, json.dumps(list(dispute.owners), ensure_ascii=False),
            dispute.detail, dispute.message_id, iso(at), json.dumps(keys_json(dispute.keys), ensure_ascii=False))  # fmt: skip


def conflict_of(row: Row) -> Conflict:
    raised = parse_time(row["raised_at"])
    assert raised is not None
    dispute = Dispute(str(row["kind"]), str(row["client"]), tuple(json.loads(row["owners"])), str(row["detail"]),
                      str(row["message_id"]), keys_of(json.loads(row["client_keys"] or "[]")))  # fmt: skip
    change = int(row["change_id"]) if row["change_id"] is not None else None
    return Conflict(int(row["number"]), dispute, raised, row["notified_at"] is not None, parse_time(row["settled_at"]),
                    row["verdict"], row["owner"], str(row["why"] or ""), str(row["settled_by"] or ""), change)  # fmt: skip


class SqliteConflicts:
    def __init__(self, database: Database) -> None:
        self.database = database

    def raise_conflict(self, dispute: Dispute, at: datetime) -> Conflict:
        with self.database.transaction() as db:
            db.execute(f"INSERT OR IGNORE INTO conflicts ({NEW}) VALUES ({','.join('?' * 8)})", new_values(dispute, at))
            row = db.execute(f"SELECT {COLUMNS} FROM conflicts WHERE facts=?", (dispute.facts,)).fetchone()
        return conflict_of(row)

    def mark_notified(self, number: int, at: datetime) -> None:
        self.database.execute("UPDATE conflicts SET notified_at=? WHERE number=? AND notified_at IS NULL", (iso(at), number))

    def get(self, number: int) -> Conflict | None:
        row = self.database.one(f"SELECT {COLUMNS} FROM conflicts WHERE number=?", (number,))
        return conflict_of(row) if row is not None else None

    def listing(self, *, open_only: bool = True) -> list[Conflict]:
        where = " WHERE settled_at IS NULL" if open_only else ""
        return [conflict_of(r) for r in self.database.all(f"SELECT {COLUMNS} FROM conflicts{where} ORDER BY number")]

    def settle(self, number: int, verdict: str, owner: str | None, why: str, by: str, at: datetime, *,
               change_id: int | None = None) -> Conflict | None:  # fmt: skip
        with self.database.transaction() as db:
            db.execute(f"UPDATE conflicts SET {SETTLE}", (iso(at), verdict, owner, why, by, change_id, number))
            row = db.execute(f"SELECT {COLUMNS} FROM conflicts WHERE number=?", (number,)).fetchone()
        return conflict_of(row) if row is not None else None
