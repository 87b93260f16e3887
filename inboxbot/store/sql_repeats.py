"""Recent requests over SQL (SQLite and PostgreSQL): the `recent_requests` table, one row
per forwarded request (its Message-ID), read by sender for the `repeat` rule."""

from __future__ import annotations

from datetime import datetime

from inboxbot.model.repeats import RecentRequest
from inboxbot.store.rows import Row, iso, parse_time
from inboxbot.store.sql_dialect import Dialect, SqlDatabase, marks

_COLUMNS = "message_id, sender, at, owner, text, first_id, first_at"
# A sender's requests within the window, newest first; more than this many in a few days
# is a mailing, not resends, and the oldest of them would not be the one repeated.
LIMIT = 50


def _row_values(request: RecentRequest) -> tuple[object, ...]:
    return (request.message_id, request.sender.lower(), iso(request.at), request.owner, request.text,
            request.first_id, iso(request.first_at))  # fmt: skip


def _request_of(row: Row) -> RecentRequest:
    at, first_at = parse_time(row["at"]), parse_time(row["first_at"])
    assert at is not None and first_at is not None
    return RecentRequest(str(row["sender"]), str(row["message_id"]), at, str(row["owner"]), str(row["text"]),
                         str(row["first_id"]), first_at)  # fmt: skip


class SqlRepeats:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def remember(self, request: RecentRequest) -> bool:
        with self.database.transaction() as db:
            sql = f"INSERT INTO recent_requests ({_COLUMNS}) VALUES ({marks(7)}) ON CONFLICT DO NOTHING"
            return bool(db.execute(self.dialect.sql(sql), _row_values(request)).rowcount)

    def recent(self, sender: str, since: datetime) -> list[RecentRequest]:
        rows = self.database.all(
            self.dialect.sql(f"SELECT {_COLUMNS} FROM recent_requests WHERE sender=? AND at >= ? "
                             f"ORDER BY at DESC, message_id LIMIT {LIMIT}"),
            (sender.lower(), iso(since)),
        )  # fmt: skip
        return [_request_of(r) for r in rows]
