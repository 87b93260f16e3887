"""Conflicts over SQL (SQLite and PostgreSQL): the `conflicts` table, one row per
dispute's facts (UNIQUE), so a dispute is recorded once however often its mail comes, and
once settled stays settled."""

from __future__ import annotations

import json
from datetime import datetime

from inboxbot.model.conflicts import Conflict, Dispute, keys_json, keys_of
from inboxbot.store.rows import Row, iso, parse_time
from inboxbot.store.sql_dialect import Dialect, SqlDatabase, marks

_COLUMNS = ("number, facts, kind, client, owners, detail, message_id, raised_at, notified_at, settled_at, verdict, owner, "
           "why, settled_by, client_keys, change_id")  # fmt: skip
_NEW = "facts, kind, client, owners, detail, message_id, raised_at, client_keys"
_SETTLE = "settled_at=?, verdict=?, owner=?, why=?, settled_by=?, change_id=? WHERE number=? AND settled_at IS NULL"


def _new_values(dispute: Dispute, at: datetime) -> tuple[object, ...]:
    return (dispute.facts, dispute.kind, dispute.client, json.dumps(list(dispute.owners), ensure_ascii=False),
            dispute.detail, dispute.message_id, iso(at), json.dumps(keys_json(dispute.keys), ensure_ascii=False))  # fmt: skip


def _conflict_of(row: Row) -> Conflict:
    raised = parse_time(row["raised_at"])
    assert raised is not None
    dispute = Dispute(str(row["kind"]), str(row["client"]), tuple(json.loads(row["owners"])), str(row["detail"]),
                      str(row["message_id"]), keys_of(json.loads(row["client_keys"] or "[]")))  # fmt: skip
    change = int(row["change_id"]) if row["change_id"] is not None else None
    return Conflict(int(row["number"]), dispute, raised, row["notified_at"] is not None, parse_time(row["settled_at"]),
                    row["verdict"], row["owner"], str(row["why"] or ""), str(row["settled_by"] or ""), change)  # fmt: skip


class SqlConflicts:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def raise_conflict(self, dispute: Dispute, at: datetime) -> Conflict:
        select = self.dialect.sql(f"SELECT {_COLUMNS} FROM conflicts WHERE facts=?")
        row = self.database.one(select, (dispute.facts,))
        if row is None:
            # Only when it is new: on PostgreSQL a conflicting insert would use up a number
            # (an identity is not rolled back), and the head would see № 3 after № 1.
            with self.database.transaction() as db:
                db.execute(self.dialect.sql(f"INSERT INTO conflicts ({_NEW}) VALUES ({marks(8)}) ON CONFLICT (facts) DO NOTHING"),
                           _new_values(dispute, at))  # fmt: skip
            row = self.database.one(select, (dispute.facts,))
        assert row is not None
        return _conflict_of(row)

    def mark_notified(self, number: int, at: datetime) -> None:
        self.database.execute(
            self.dialect.sql("UPDATE conflicts SET notified_at=? WHERE number=? AND notified_at IS NULL"), (iso(at), number)
        )

    def get(self, number: int) -> Conflict | None:
        row = self.database.one(self.dialect.sql(f"SELECT {_COLUMNS} FROM conflicts WHERE number=?"), (number,))
        return _conflict_of(row) if row is not None else None

    def listing(self, *, open_only: bool = True) -> list[Conflict]:
        where = " WHERE settled_at IS NULL" if open_only else ""
        return [_conflict_of(r) for r in self.database.all(f"SELECT {_COLUMNS} FROM conflicts{where} ORDER BY number")]

    def settle(self, number: int, verdict: str, owner: str | None, why: str, by: str, at: datetime, *,
               change_id: int | None = None) -> Conflict | None:  # fmt: skip
        with self.database.transaction() as db:
            db.execute(self.dialect.sql(f"UPDATE conflicts SET {_SETTLE}"), (iso(at), verdict, owner, why, by, change_id, number))
        return self.get(number)
