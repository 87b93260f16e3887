"""Where the on-disk client index lives and whether it is fresh.

A large client base (a CRM export of hundreds of thousands of companies) is read, checked
and normalised once; what came out is kept in an SQLite file next to the base
(«clients.csv» → «clients.csv.inboxbot-index»), or under the user's cache directory when
the base's folder is read-only. The file records what it was built from — the base's
path, size, mtime and content hash, the reading options and the index format — and is
rebuilt when any of them changes. It is written to a temporary name and renamed into
place, so a worker that starts while another builds never opens half an index.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inboxbot.directory.base_reader import ReadBase
from inboxbot.directory.client_store import name_entries
from inboxbot.directory.name_index import NameIndex
from inboxbot.directory.stored_base import StoredBase, write_base

log = logging.getLogger(__name__)

# Bump on any change to what the index stores or how a base is read into it.
FORMAT_VERSION = "4"  # 4: CIS and English legal forms dropped from name keys (names.LEGAL_FORMS)
SUFFIX = ".inboxbot-index"


@dataclass(frozen=True, slots=True)
class Source:
    """What an index is built from: the base file as it is now and the reading options."""

    path: str
    size: int
    mtime_ns: int
    options: str  # a digest of the columns, encoding, delimiter, sheet and free-mail list

    @classmethod
    def of(cls, path: Path, options: str) -> Source:
        stat = path.stat()
        return cls(str(path.resolve()), stat.st_size, stat.st_mtime_ns, options)


def content_hash(path: Path) -> str:
    """SHA-256 of the file, read in 1 MB blocks (≈ 0.2 s for a million-row CSV)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def index_path(base: Path) -> Path:
    """Next to the base when its folder is writable, else under the user's cache directory."""
    here = base.with_name(base.name + SUFFIX)
    if os.access(base.parent, os.W_OK):
        return here
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "inboxbot"
    tag = hashlib.sha256(str(base.resolve()).encode()).hexdigest()[:16]
    return cache / f"{base.name}.{tag}{SUFFIX}"


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def open_fresh(index: Path, source: Source) -> sqlite3.Connection | None:
    """The index opened read-only when it was built from this very base with these options;
    None when it is missing, unreadable, of another format or stale. A base touched but
    unchanged (same size, new mtime) is recognised by its content hash."""
    if not index.exists():
        return None
    try:
        conn = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        meta = read_meta(conn)
    except sqlite3.Error as exc:
        log.warning("client index %s unreadable (%s): rebuilding", index, exc)
        return None
    same = (
        meta.get("format") == FORMAT_VERSION
        and meta.get("path") == source.path
        and meta.get("options") == source.options
        and meta.get("size") == str(source.size)
    )
    if same and meta.get("mtime_ns") != str(source.mtime_ns):
        same = meta.get("sha256") == content_hash(Path(source.path))
    if not same:
        conn.close()
        return None
    return conn


def new_index(index: Path) -> tuple[sqlite3.Connection, Path]:
    """A connection to a fresh temporary file beside `index`, for `commit_index`."""
    index.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=index.name + ".", suffix=".tmp", dir=index.parent)
    os.close(fd)
    conn = sqlite3.connect(tmp)
    # A build is redone from the base after a crash: no journal needed, only speed.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID")
    return conn, Path(tmp)


def commit_index(conn: sqlite3.Connection, tmp: Path, index: Path, source: Source, sha256: str) -> None:
    """Record what the index was built from, then move it into place in one rename."""
    meta = {
        "format": FORMAT_VERSION,
        "path": source.path,
        "size": str(source.size),
        "mtime_ns": str(source.mtime_ns),
        "options": source.options,
        "sha256": sha256,
    }
    conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    conn.commit()
    conn.close()
    os.replace(tmp, index)


def indexed_base(path: Path, options: str, read: Callable[[], ReadBase]) -> StoredBase:
    """The base at `path` from its on-disk index, built first when missing or stale."""
    source = Source.of(path, options)
    index = index_path(path)
    conn = open_fresh(index, source)
    if conn is None:
        log.info("client index: building %s from %s", index, path)
        sha256 = content_hash(path)
        read_once = read()
        names = NameIndex(name_entries(read_once.clients))
        conn, tmp = new_index(index)
        try:
            write_base(conn, read_once.clients, read_once.problems, read_once.damage, names)
            commit_index(conn, tmp, index, source, sha256)
        finally:
            tmp.unlink(missing_ok=True)
        conn = open_fresh(index, source)
        if conn is None:  # the base changed while it was read: what was read is still right
            conn = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    else:
        log.debug("client index: %s is fresh", index)
    return StoredBase(conn)
