"""The client dictionary's forms in the on-disk client index (SQLite tables).

The forms of a million clients are several million tuples; held in memory they would cost
gigabytes, and building them (pymorphy3 normal forms of every word) takes minutes. They are
built once, with the index, and each look-up here is one indexed query.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import NameForm, all_forms, unique_initials

# Keys are skeleton tokens ([0-9a-z]+): a space joins them unambiguously.
_SCHEMA = """
CREATE TABLE forms (id INTEGER PRIMARY KEY, keys TEXT, first TEXT, n INTEGER, owner INTEGER,
                    kind TEXT, text TEXT, weak INTEGER);
CREATE TABLE near (key TEXT, form INTEGER, position INTEGER);
CREATE TABLE initials (acronym TEXT PRIMARY KEY, owner INTEGER) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX forms_keys ON forms (keys);
CREATE INDEX near_key ON near (key);
CREATE TABLE lengths (first TEXT PRIMARY KEY, ns TEXT) WITHOUT ROWID;
INSERT INTO lengths SELECT first, group_concat(n) FROM (SELECT DISTINCT first, n FROM forms)
    GROUP BY first;
"""
_FORM_COLUMNS = "f.keys, f.owner, f.kind, f.text, f.weak"


def write_forms(conn: sqlite3.Connection, clients: Sequence[Client]) -> None:
    """Store every form of every client, in base order, and the unique initials."""
    conn.executescript(_SCHEMA)
    forms: list[tuple[int, str, str, int, int, str, str, int]] = []
    near: list[tuple[str, int, int]] = []
    for fid, form in enumerate(all_forms(clients)):
        forms.append((fid, " ".join(form.keys), form.keys[0], len(form.keys), form.owner, form.kind, form.text, form.weak))
        if len(form.keys) >= 2:
            near.extend((key, fid, position) for position, key in enumerate(form.keys))
        if len(forms) >= 100_000:
            _flush(conn, forms, near)
    _flush(conn, forms, near)
    conn.executemany("INSERT INTO initials VALUES (?, ?)", unique_initials(clients).items())
    conn.executescript(_INDEXES)


def _flush(conn: sqlite3.Connection, forms: list[tuple[int, str, str, int, int, str, str, int]], near: list[tuple[str, int, int]]) -> None:
    conn.executemany("INSERT INTO forms VALUES (?, ?, ?, ?, ?, ?, ?, ?)", forms)
    conn.executemany("INSERT INTO near VALUES (?, ?, ?)", near)
    forms.clear()
    near.clear()


def _form(keys: str, owner: int, kind: str, text: str, weak: int) -> NameForm:
    return NameForm(tuple(keys.split(" ")), owner, kind, text, bool(weak))


class StoredForms:
    """FormTable over the index's tables (one connection, queries serialised)."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock) -> None:
        self._conn = conn
        self._lock = lock

    def exact(self, keys: tuple[str, ...]) -> Sequence[NameForm]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_FORM_COLUMNS} FROM forms f WHERE f.keys = ? ORDER BY f.id", (" ".join(keys),)).fetchall()
        return [_form(*row) for row in rows]

    def lengths(self, first: str) -> Sequence[int]:
        with self._lock:
            row = self._conn.execute("SELECT ns FROM lengths WHERE first = ?", (first,)).fetchone()
        return sorted((int(n) for n in row[0].split(",")), reverse=True) if row else []

    def near(self, key: str, limit: int) -> Sequence[tuple[NameForm, int]]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_FORM_COLUMNS}, n.position FROM near n JOIN forms f ON f.id = n.form "
                "WHERE n.key = ? ORDER BY n.rowid LIMIT ?",
                (key, limit),
            ).fetchall()
        return [(_form(*row[:5]), int(row[5])) for row in rows]

    def initial(self, acronym: str) -> int | None:
        with self._lock:
            row = self._conn.execute("SELECT owner FROM initials WHERE acronym = ?", (acronym,)).fetchone()
        return int(row[0]) if row else None
