"""Meta over SQL (SQLite and PostgreSQL): the `meta` table, one value per key."""

from __future__ import annotations

from inboxbot.store.sql_dialect import Dialect, SqlDatabase


class SqlMeta:
    def __init__(self, database: SqlDatabase, dialect: Dialect) -> None:
        self.database = database
        self.dialect = dialect

    def get(self, key: str) -> str | None:
        row = self.database.one(self.dialect.sql("SELECT value FROM meta WHERE key=?"), (key,))
        return str(row["value"]) if row else None

    def set(self, key: str, value: str) -> None:
        self.database.execute(
            self.dialect.sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
            (key, value),
        )
