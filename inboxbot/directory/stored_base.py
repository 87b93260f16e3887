"""A client base kept in its on-disk index (SQLite): clients by row, INN, domain and group,
the load's problem notes, the name index's arrays and the client dictionary's forms.

Nothing is read into memory at start but the notes; the name index's arrays (≈ 100 MB for
a million companies) on the first name look-up; clients one query at a time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.name_index import ARRAYS, NameIndex, PackedStrings
from inboxbot.directory.stored_forms import StoredForms, write_forms
from inboxbot.model.domains import normalize_domain

_SEP = "\x1f"  # between the items of a list cell (never in a cell: it is a control character)
_SCHEMA = """
CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT, inn TEXT, kpp TEXT, ogrn TEXT, region_code TEXT,
    city TEXT, manager TEXT, grp TEXT, domains TEXT, alt_names TEXT, file TEXT, line INTEGER, since TEXT,
    former_names TEXT);
CREATE TABLE inns (inn TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID;
CREATE TABLE domains (domain TEXT, id INTEGER);
CREATE TABLE groups (grp TEXT, id INTEGER);
CREATE TABLE notes (kind TEXT, text TEXT);
CREATE TABLE parts (name TEXT PRIMARY KEY, dtype TEXT, data BLOB) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX domains_domain ON domains (domain); CREATE INDEX groups_grp ON groups (grp);
CREATE INDEX clients_line ON clients (line);
"""
_COLUMNS = "name, inn, kpp, ogrn, region_code, city, manager, grp, domains, alt_names, file, line, since, former_names"
_Row = tuple[Any, ...]


def _row(i: int, c: Client) -> _Row:
    since = c.since.isoformat() if c.since else None
    return (i, c.name, c.inn, c.kpp, c.ogrn, c.region_code, c.city, c.manager, c.group, _SEP.join(c.domains),
            _SEP.join(c.alt_names), c.file, c.line, since, _SEP.join(c.former_names))  # fmt: skip


def _items(cell: str) -> tuple[str, ...]:
    return tuple(cell.split(_SEP)) if cell else ()


def _client(row: _Row) -> Client:
    name, inn, kpp, ogrn, region, city, manager, group, domains, alt, file, line, since, former = row
    return Client(name, inn, kpp, ogrn, region, city, manager, group, _items(domains), _items(alt), file, line,
                  date.fromisoformat(since) if since else None, _items(former))  # fmt: skip


def write_base(conn: sqlite3.Connection, clients: Sequence[Client], problems: Sequence[str], damage: Sequence[str], names: NameIndex) -> None:
    """Store a base read from its file: clients, look-up tables, notes, name index and forms."""
    conn.executescript(_SCHEMA)
    conn.executemany(f"INSERT INTO clients (id, {_COLUMNS}) VALUES ({', '.join('?' * 15)})", (_row(i, c) for i, c in enumerate(clients)))
    # The first client of an INN wins, as in memory (later ones were reported at load).
    conn.executemany("INSERT OR IGNORE INTO inns VALUES (?, ?)", ((c.inn, i) for i, c in enumerate(clients) if c.inn))
    conn.executemany("INSERT INTO domains VALUES (?, ?)", ((normalize_domain(d), i) for i, c in enumerate(clients) for d in c.domains))
    conn.executemany("INSERT INTO groups VALUES (?, ?)", ((c.group.casefold(), i) for i, c in enumerate(clients) if c.group))
    conn.executemany("INSERT INTO notes VALUES (?, ?)", [*(("damage", d) for d in damage), *(("problem", p) for p in problems)])
    conn.executescript(_INDEXES)
    parts = names.parts()
    blobs = [(name, str(parts[name].dtype), parts[name].tobytes()) for name in ARRAYS]
    keys = [k.encode() for k in parts["_keys"]]
    import numpy as np

    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(k) for k in keys], out=offsets[1:])
    blobs += [("_keys", "utf-8", b"".join(keys)), ("_key_offsets", "int64", offsets.tobytes())]
    # Token and trigram ids are their positions in insertion order (dicts keep it).
    blobs += [(name, "lines", "\n".join(parts[name]).encode()) for name in ("_vocab", "_tri_ids")]
    conn.executemany("INSERT INTO parts VALUES (?, ?, ?)", blobs)
    write_forms(conn, clients)


class StoredBase:
    """ClientStore over an opened index file; safe to share between threads."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        # Ids run 0…n-1: the last one gives the count without a scan of a million rows.
        self._len = int(conn.execute("SELECT coalesce(max(id) + 1, 0) FROM clients").fetchone()[0])
        self.names = NameIndex.stored(self._name_parts)

    def notes(self, kind: str) -> list[str]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT text FROM notes WHERE kind = ? ORDER BY rowid", (kind,))]

    def _name_parts(self) -> dict[str, Any]:
        import numpy as np

        with self._lock:
            stored = {name: (dtype, data) for name, dtype, data in self._conn.execute("SELECT name, dtype, data FROM parts")}
        parts: dict[str, Any] = {name: np.frombuffer(stored[name][1], dtype=stored[name][0]) for name in ARRAYS}
        offsets = np.frombuffer(stored["_key_offsets"][1], dtype=np.int64)
        parts["_keys"] = PackedStrings(stored["_keys"][1], offsets)
        for name in ("_vocab", "_tri_ids"):
            text = stored[name][1].decode()
            tokens = text.split("\n") if text else []
            parts[name] = dict(zip(tokens, range(len(tokens)), strict=True))
        return parts

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Client]:
        last = -1
        while True:
            with self._lock:
                rows = self._conn.execute(f"SELECT id, {_COLUMNS} FROM clients WHERE id > ? ORDER BY id LIMIT 5000", (last,)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (_client(row[1:]) for row in rows)

    def __getitem__(self, i: int) -> Client:
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM clients WHERE id = ?", (i,)).fetchone()
        if row is None:
            raise IndexError(i)
        return _client(row)

    def many(self, ids: Sequence[int]) -> list[Client]:
        if not ids:
            return []
        wanted = sorted(set(ids))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT id, {_COLUMNS} FROM clients WHERE id IN ({', '.join('?' * len(wanted))})", wanted
            ).fetchall()
        found = {row[0]: _client(row[1:]) for row in rows}
        return [found[i] for i in ids]

    def regions(self, ids: Sequence[int]) -> list[str | None]:
        wanted = sorted(set(ids))
        with self._lock:
            found = dict(self._conn.execute(
                f"SELECT id, region_code FROM clients WHERE id IN ({', '.join('?' * len(wanted))})", wanted
            ).fetchall())  # fmt: skip
        return [found[i] for i in ids]

    def _clients(self, sql: str, *key: object) -> tuple[Client, ...]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM clients WHERE id IN ({sql}) ORDER BY id", key).fetchall()
        return tuple(_client(row) for row in rows)

    def by_inn(self, inn: str) -> Client | None:
        found = self._clients("SELECT id FROM inns WHERE inn = ?", inn)
        return found[0] if found else None

    def at_domain(self, domain: str) -> tuple[Client, ...]:
        return self._clients("SELECT id FROM domains WHERE domain = ?", domain)

    def in_group(self, key: str) -> tuple[Client, ...]:
        return self._clients("SELECT id FROM groups WHERE grp = ?", key)

    def at_line(self, file: str, line: int) -> Client | None:
        found = self._clients("SELECT id FROM clients WHERE line = ? AND file = ?", line, file)
        return found[0] if found else None

    def dictionary(self) -> ClientDictionary:
        return ClientDictionary(_Rows(self), StoredForms(self._conn, self._lock), lookup=self)


class _Rows(Sequence[Client]):
    """The base's clients as a sequence, read a row at a time (ClientDictionary.clients)."""

    def __init__(self, base: StoredBase) -> None:
        self._base = base

    def __len__(self) -> int:
        return len(self._base)

    def __getitem__(self, i: int) -> Client:  # type: ignore[override]
        return self._base[i]
