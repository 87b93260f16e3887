"""The journal: every message seen, its decision and how far its handling got.

SQLite by default. All SQL lives here so that another backend (PostgreSQL for a team
with two workers) replaces one module. The IMAP server's marks stay the ground truth
of what was handled; the journal adds what the marks cannot hold: the reasons, the
state between forwarding and marking, thread owners and the fair-share history.

Each step commits on its own, before the next side effect starts, so a kill -9 at any
point leaves a state the next run can finish from (see worker.py).

Durability: every commit is fsynced (synchronous=FULL), except inside `grouped()`,
where commits are written but fsynced together at `sync()` (see there for why that is
safe for the worker's batches).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.subjects import subject_key

log = logging.getLogger(__name__)

# decided → forwarded → marked; skipped/quarantined end in marked too once the IMAP
# mark is set. `state` is the last step that is known to have completed.
DECIDED, FORWARDED, MARKED = "decided", "forwarded", "marked"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id              INTEGER PRIMARY KEY,
    folder          TEXT NOT NULL,
    uidvalidity     INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
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
    UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages (message_id);
CREATE INDEX IF NOT EXISTS messages_content_hash ON messages (content_hash);
CREATE INDEX IF NOT EXISTS messages_pool ON messages (pool, id);
CREATE TABLE IF NOT EXISTS threads (
    message_id  TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    rule        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subjects (
    sender      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (sender, subject)
);
CREATE TABLE IF NOT EXISTS meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acks (
    message_id  TEXT PRIMARY KEY,
    at          TEXT NOT NULL
);
"""
# Columns added after the first release: a journal written by an older version gets
# them on open (ALTER TABLE … ADD COLUMN keeps every row).
_ADDED_COLUMNS = (
    "forwarded_at", "answered_at", "answered_by", "answer_how",
    "reminded_at", "escalated_at", "escalated_to", "acked_at", "ack_error",
    "failing_since", "notified_at",
)  # fmt: skip
_FOLLOWUP_INDEX = "CREATE INDEX IF NOT EXISTS messages_awaiting ON messages (answered_at, forward_id)"


@dataclass(frozen=True, slots=True)
class MessageKey:
    """Where a message lives: IMAP identity, never a sequence number or a bare UID."""

    folder: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    key: MessageKey
    message_id: str
    content_hash: str
    state: str
    action: str | None
    owner: str | None
    rule: str | None
    forward_id: str | None
    attempts: int
    decision: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One journalled message as the report and the follow-up see it. Times are aware
    datetimes in UTC; `action` is the internal action (forward, forward_and_tag, tag,
    skip, triage)."""

    id: int
    key: MessageKey
    message_id: str
    sender: str
    subject: str
    sent_at: datetime | None
    seen_at: datetime
    state: str
    action: str | None
    owner: str | None
    rule: str | None
    base_owner: str | None
    base_rule: str | None
    pool: str | None
    reasons: tuple[str, ...]
    company: str | None
    inn: str | None
    region_code: str | None
    region_name: str | None
    district: str | None
    forward_id: str | None
    forwarded_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    answer_how: str | None  # "reply" (seen in the thread) | "flag" (\Answered in the mailbox)
    reminded_at: datetime | None
    escalated_at: datetime | None
    escalated_to: str | None
    acked_at: datetime | None
    error: str | None

    @property
    def forwarded(self) -> bool:
        return self.forward_id is not None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _time(text: object) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Journal:
    """One SQLite database; safe to share between threads of one process."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._grouping = 0  # depth of grouped() blocks
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            # A damaged journal must not stop the bot: the IMAP marks say what was handled,
            # so a fresh journal loses only reasons and history. The old file is kept.
            aside = f"{self.path}.corrupt-{datetime.now(UTC):%Y%m%d%H%M%S}"
            if os.path.exists(aside):  # damaged twice within a second: keep both
                aside += f"-{os.getpid()}-{id(self):x}"
            log.error("журнал %s повреждён (%s): сохранён как %s, начат новый", self.path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(self.path + suffix):
                    os.replace(self.path + suffix, aside + suffix)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode=WAL")
                # FULL: a step reported done survives power loss, not just a crash.
                db.execute("PRAGMA synchronous=FULL")
                # A file that opens can still have damaged pages (a torn write, garbage
                # over the middle): without this check they surface later as "database
                # disk image is malformed" in the middle of a poll, on every poll.
                problems = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
                if problems != ["ok"]:
                    first = " ".join(problems[0].split("\n")[:2])
                    raise sqlite3.DatabaseError(f"quick_check: {first[:200]}")
            db.executescript(_SCHEMA)
            present = {str(row[1]) for row in db.execute("PRAGMA table_info(messages)").fetchall()}
            for column in _ADDED_COLUMNS:
                if column not in present:
                    db.execute(f"ALTER TABLE messages ADD COLUMN {column} TEXT")
            db.execute(_FOLLOWUP_INDEX)
            db.execute("SELECT COUNT(*) FROM messages").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- durability --------------------------------------------------------

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        """Within the block, commits are written to the WAL but not fsynced one by one
        (synchronous=NORMAL); `sync()` makes everything committed so far durable with one
        fsync, and so does leaving the block.

        Why this is safe: a commit under NORMAL is in the operating system's page cache
        the moment COMMIT returns, so a killed process (kill -9, OOM, a crash) loses
        nothing — only a power loss or kernel crash can. After one, SQLite recovers the
        WAL up to the first frame that was not fully written (frames carry cumulative
        checksums), so what survives is always a *prefix* of the commits: never a later
        step without the earlier ones. The caller puts `sync()` where a step must
        survive even a power loss before an effect outside the journal happens (the
        worker: all decisions of a batch before its first forward)."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._grouping += 1
        try:
            yield
        finally:
            with self._lock:
                self._grouping -= 1
                try:
                    self.sync()
                finally:
                    if not self._grouping:
                        self._db.execute("PRAGMA synchronous=FULL")

    def sync(self) -> None:
        """Make every commit so far durable, power loss included: one small commit under
        synchronous=FULL fsyncs the WAL, and with it every frame written before."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=FULL")
            try:
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('synced_at', ?)", (_now(),))
            finally:
                if self._grouping:
                    self._db.execute("PRAGMA synchronous=NORMAL")

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- message lifecycle -------------------------------------------------

    def entry(self, key: MessageKey) -> Entry | None:
        row = self._one(
            "SELECT * FROM messages WHERE folder=? AND uidvalidity=? AND uid=?",
            (key.folder, key.uidvalidity, key.uid),
        )
        return _entry(row) if row else None

    def find_copy(self, message_id: str, content_hash: str, *, has_message_id: bool) -> Entry | None:
        """The same mail journalled under another key: a second delivery of the same
        Message-ID (or, without one, the same bytes), or the mail after a UIDVALIDITY
        change. A copy that went out or was marked wins over one only `decided` (still
        waiting for its forward); among equals, the first."""
        column, value = ("message_id", message_id) if has_message_id else ("content_hash", content_hash)
        extra = " AND has_message_id=1" if has_message_id else ""
        row = self._one(
            f"SELECT * FROM messages WHERE {column}=?{extra} ORDER BY state = ?, id LIMIT 1",
            (value, DECIDED),
        )
        return _entry(row) if row else None

    def record_decision(
        self,
        key: MessageKey,
        msg: ParsedMessage,
        decision: Decision,
        *,
        details: Mapping[str, object] | None = None,
        seen_at: datetime | None = None,
    ) -> Entry:
        """Store the decision for a message (state `decided`) and remember its thread.
        Recording the same key again keeps the first decision: a retry must act on
        what was decided, not decide anew (the round robin would move on)."""
        message_id, has_message_id, content_hash = msg.message_id, msg.has_message_id, msg.content_hash
        sender = msg.sender.email if msg.sender else ""
        subject, sent_at = msg.subject, msg.date
        existing = self.entry(key)
        if existing is not None:
            return existing
        now = _iso(seen_at) if seen_at else _now()
        payload = dict(details or {})
        payload["decision"] = decision.to_dict()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO messages (folder, uidvalidity, uid, message_id, has_message_id,"
                    " content_hash, sender, subject, sent_at, seen_at, state, action, owner, rule,"
                    " base_owner, base_rule, pool, reasons, decision, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        key.folder, key.uidvalidity, key.uid, message_id, int(has_message_id),
                        content_hash, sender, subject,
                        sent_at.isoformat() if sent_at else None, now, DECIDED,
                        decision.action, decision.owner, decision.rule, decision.base_owner,
                        decision.base_rule, decision.pool,
                        json.dumps(list(decision.reasons), ensure_ascii=False),
                        json.dumps(payload, ensure_ascii=False, default=str), now,
                    ),
                )
                if decision.owner and decision.action != "skip":
                    self._remember_thread(message_id, decision.owner, decision.rule, now)
                    if sender and subject:
                        self._db.execute(
                            "INSERT OR REPLACE INTO subjects (sender, subject, owner, at) VALUES (?,?,?,?)",
                            (sender.lower(), subject_key(subject), decision.owner, now),
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        entry = self.entry(key)
        assert entry is not None
        return entry

    def mark_forwarded(
        self, key: MessageKey, forward_id: str, owner: str, rule: str, *, at: datetime | None = None
    ) -> None:
        now = _iso(at) if at else _now()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE messages SET state=?, forward_id=?, forwarded_at=?, updated_at=?, error=NULL "
                "WHERE folder=? AND uidvalidity=? AND uid=?",
                (FORWARDED, forward_id, now, now, key.folder, key.uidvalidity, key.uid),
            )
            # The manager's reply to our forward carries its Message-ID: same owner.
            self._remember_thread(forward_id, owner, rule, now)
            self._db.execute("COMMIT")

    def mark_notified(self, key: MessageKey, *, at: datetime | None = None) -> None:
        """The absence notices of a forwarded message went out (or were refused for good)."""
        self._update(key, notified_at=_iso(at) if at else _now())

    def notified(self, key: MessageKey) -> bool:
        row = self._one(
            "SELECT notified_at FROM messages WHERE folder=? AND uidvalidity=? AND uid=?",
            (key.folder, key.uidvalidity, key.uid),
        )
        return bool(row and row["notified_at"])

    def mark_done(self, key: MessageKey, *, error: str | None = None) -> None:
        """The IMAP mark is set. `error`: why the mail went to manual triage instead of
        its owner; it stays in the journal for the human who picks the mail up."""
        self._update(key, state=MARKED, error=error)

    def mark_done_many(self, keys: Sequence[MessageKey]) -> None:
        """mark_done for many messages in one transaction (their marks were set together)."""
        now = _now()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "UPDATE messages SET state=?, error=NULL, updated_at=? WHERE folder=? AND uidvalidity=? AND uid=?",
                    [(MARKED, now, k.folder, k.uidvalidity, k.uid) for k in keys],
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_failure(self, key: MessageKey, error: str, *, about_message: bool = False) -> int:
        """Count a failed attempt (SMTP down, IMAP refused); returns the attempt count.
        `about_message`: the server refused this very mail for now (not the server being
        down); the first such failure starts the clock of `failing_since`."""
        now = _now()
        with self._lock:
            self._db.execute(
                "UPDATE messages SET attempts=attempts+1, error=?, updated_at=?, "
                "failing_since=CASE WHEN ? THEN COALESCE(failing_since, ?) ELSE failing_since END "
                "WHERE folder=? AND uidvalidity=? AND uid=?",
                (error, now, int(about_message), now, key.folder, key.uidvalidity, key.uid),
            )
        entry = self.entry(key)
        return entry.attempts if entry else 0

    def failing_since(self, key: MessageKey) -> datetime | None:
        """When the server first refused this mail for now (record_failure(about_message=True))."""
        row = self._one(
            "SELECT failing_since FROM messages WHERE folder=? AND uidvalidity=? AND uid=?",
            (key.folder, key.uidvalidity, key.uid),
        )
        return _time(row["failing_since"]) if row else None

    # -- routing history (route.History) ----------------------------------

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        """(owner, matched Message-ID) of the nearest message of a known thread."""
        for mid in message_ids:
            row = self._one("SELECT owner FROM threads WHERE message_id=?", (mid,))
            if row:
                return str(row["owner"]), mid
        return None

    def subject_owner(self, sender: str, subject: str) -> str | None:
        row = self._one(
            "SELECT owner FROM subjects WHERE sender=? AND subject=?",
            (sender.lower(), subject_key(subject)),
        )
        return str(row["owner"]) if row else None

    def last_pool_owner(self, pool: str) -> str | None:
        row = self._one(
            "SELECT owner FROM messages WHERE pool=? AND owner IS NOT NULL ORDER BY id DESC LIMIT 1",
            (pool,),
        )
        return str(row["owner"]) if row else None

    def owner_counts(self, since: datetime, *, pool: str | None = None) -> dict[str, int]:
        sql = "SELECT owner, COUNT(*) AS n FROM messages WHERE owner IS NOT NULL AND seen_at >= ?"
        args: list[object] = [since.astimezone(UTC).isoformat(timespec="seconds")]
        if pool is not None:
            sql += " AND pool=?"
            args.append(pool)
        sql += " GROUP BY owner"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return {str(r["owner"]): int(r["n"]) for r in rows}

    # -- answers, follow-ups, acknowledgements ------------------------------

    def record_answer(self, message_ids: Sequence[str], by: str, at: datetime, how: str) -> list[RequestRow]:
        """A manager answered in the thread of a forwarded request: `message_ids` are the
        ids the answer refers to (In-Reply-To, References), matched against the request's
        own Message-ID and our forward's. The first answer counts; returns the requests
        that became answered."""
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM messages WHERE forward_id IS NOT NULL AND answered_at IS NULL "
                f"AND (message_id IN ({marks}) OR forward_id IN ({marks}))",
                (*ids, *ids),
            ).fetchall()
            for row in rows:
                self._db.execute(
                    "UPDATE messages SET answered_at=?, answered_by=?, answer_how=?, updated_at=? WHERE id=?",
                    (_iso(at), by, how, _now(), row["id"]),
                )
        return [_request(self._by_id(int(r["id"]))) for r in rows]

    def awaiting_answer(self) -> list[RequestRow]:
        """Forwarded requests nobody has answered yet, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM messages WHERE answered_at IS NULL AND forward_id IS NOT NULL "
                "AND state != ? ORDER BY id",
                (DECIDED,),
            ).fetchall()
        return [_request(r) for r in rows]

    def record_reminder(self, row_id: int, at: datetime) -> None:
        with self._lock:
            self._db.execute("UPDATE messages SET reminded_at=?, updated_at=? WHERE id=?", (_iso(at), _now(), row_id))

    def record_escalation(
        self, row_id: int, at: datetime, to: str, *, new_owner: str | None = None, new_forward_id: str | None = None
    ) -> None:
        """The head was told (`to` = head id), or the request handed to `new_owner`: then
        it waits for the new owner's answer, with a reminder of its own."""
        with self._lock:
            if new_owner is None:
                self._db.execute(
                    "UPDATE messages SET escalated_at=?, escalated_to=?, updated_at=? WHERE id=?",
                    (_iso(at), to, _now(), row_id),
                )
                return
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE messages SET escalated_at=?, escalated_to=?, owner=?, forward_id=?, forwarded_at=?, "
                "reminded_at=NULL, updated_at=? WHERE id=?",
                (_iso(at), to, new_owner, new_forward_id, _iso(at), _now(), row_id),
            )
            # The client's next reply in this thread goes to the new owner too.
            row = self._db.execute("SELECT message_id FROM messages WHERE id=?", (row_id,)).fetchone()
            for mid in (row["message_id"] if row else None, new_forward_id):
                if mid:
                    self._db.execute(
                        "INSERT OR REPLACE INTO threads (message_id, owner, rule, at) VALUES (?,?,?,?)",
                        (mid, new_owner, "followup", _now()),
                    )
            self._db.execute("COMMIT")

    def thread_acknowledged(self, message_ids: Sequence[str]) -> bool:
        """Whether the client already got an acknowledgement in this thread."""
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return False
        row = self._one(f"SELECT 1 FROM acks WHERE message_id IN ({','.join('?' * len(ids))}) LIMIT 1", ids)
        return row is not None

    def record_ack(self, key: MessageKey, thread_ids: Sequence[str], at: datetime, *, error: str | None = None) -> None:
        """The acknowledgement went out (or failed for good, `error`): never again for
        this message or any message of its thread."""
        with self._lock:
            self._db.execute("BEGIN")
            for mid in dict.fromkeys(thread_ids):
                if mid:
                    self._db.execute("INSERT OR IGNORE INTO acks (message_id, at) VALUES (?, ?)", (mid, _iso(at)))
            self._db.execute(
                "UPDATE messages SET acked_at=?, ack_error=?, updated_at=? WHERE folder=? AND uidvalidity=? AND uid=?",
                (_iso(at), error, _now(), key.folder, key.uidvalidity, key.uid),
            )
            self._db.execute("COMMIT")

    def acked(self, key: MessageKey) -> bool:
        row = self._one(
            "SELECT acked_at FROM messages WHERE folder=? AND uidvalidity=? AND uid=?",
            (key.folder, key.uidvalidity, key.uid),
        )
        return bool(row and row["acked_at"])

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return str(row["value"]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- reports -----------------------------------------------------------

    def requests(self, since: datetime, until: datetime | None = None) -> list[RequestRow]:
        """Every message first seen in [since, until), in order: the report's input."""
        sql = "SELECT * FROM messages WHERE seen_at >= ?"
        args: list[object] = [_iso(since)]
        if until is not None:
            sql += " AND seen_at < ?"
            args.append(_iso(until))
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [_request(r) for r in rows]

    def summary(self) -> dict[str, object]:
        with self._lock:
            states = dict(self._db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
            actions = dict(self._db.execute("SELECT action, COUNT(*) FROM messages GROUP BY action").fetchall())
            owners = dict(
                self._db.execute(
                    "SELECT owner, COUNT(*) FROM messages WHERE owner IS NOT NULL GROUP BY owner"
                ).fetchall()
            )
            rules = dict(self._db.execute("SELECT rule, COUNT(*) FROM messages GROUP BY rule").fetchall())
            failing = [
                dict(r)
                for r in self._db.execute(
                    "SELECT folder, uid, subject, state, error, attempts FROM messages "
                    "WHERE error IS NOT NULL ORDER BY id DESC LIMIT 20"
                ).fetchall()
            ]
            total = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        return {
            "total": total,
            "states": states,
            "actions": actions,
            "owners": owners,
            "rules": rules,
            "failing": failing,
        }

    def recent(self, limit: int = 50) -> list[dict[str, object]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT uid, sender, subject, state, action, owner, rule, reasons, error "
                "FROM messages ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(r) for r in rows]

    # -- internals -----------------------------------------------------------

    def _remember_thread(self, message_id: str, owner: str, rule: str, at: str) -> None:
        # The first owner of a thread stays its owner (a backup keeps the thread).
        self._db.execute(
            "INSERT OR IGNORE INTO threads (message_id, owner, rule, at) VALUES (?,?,?,?)",
            (message_id, owner, rule, at),
        )

    def _update(self, key: MessageKey, **fields: object) -> None:
        sets = ", ".join(f"{name}=?" for name in fields)
        with self._lock:
            self._db.execute(
                f"UPDATE messages SET {sets}, updated_at=? WHERE folder=? AND uidvalidity=? AND uid=?",
                (*fields.values(), _now(), key.folder, key.uidvalidity, key.uid),
            )

    def _by_id(self, row_id: int) -> sqlite3.Row:
        row = self._one("SELECT * FROM messages WHERE id=?", (row_id,))
        assert row is not None
        return row

    def _one(self, sql: str, args: Sequence[object]) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
        return row


def _entry(row: sqlite3.Row) -> Entry:
    raw = row["decision"]
    return Entry(
        id=int(row["id"]),
        key=MessageKey(str(row["folder"]), int(row["uidvalidity"]), int(row["uid"])),
        message_id=str(row["message_id"]),
        content_hash=str(row["content_hash"]),
        state=str(row["state"]),
        action=row["action"],
        owner=row["owner"],
        rule=row["rule"],
        forward_id=row["forward_id"],
        attempts=int(row["attempts"]),
        decision=json.loads(raw) if raw else None,
    )


def _request(row: sqlite3.Row) -> RequestRow:
    payload = json.loads(row["decision"]) if row["decision"] else {}
    company = payload.get("company") or {}
    region = payload.get("region") or {}
    seen = _time(row["seen_at"])
    assert seen is not None
    return RequestRow(
        id=int(row["id"]),
        key=MessageKey(str(row["folder"]), int(row["uidvalidity"]), int(row["uid"])),
        message_id=str(row["message_id"]),
        sender=str(row["sender"] or ""),
        subject=str(row["subject"] or ""),
        sent_at=_time(row["sent_at"]),
        seen_at=seen,
        state=str(row["state"]),
        action=row["action"],
        owner=row["owner"],
        rule=row["rule"],
        base_owner=row["base_owner"],
        base_rule=row["base_rule"],
        pool=row["pool"],
        reasons=tuple(json.loads(row["reasons"])) if row["reasons"] else (),
        company=company.get("name"),
        inn=company.get("inn"),
        region_code=region.get("code"),
        region_name=region.get("name"),
        district=region.get("district"),
        forward_id=row["forward_id"],
        forwarded_at=_time(row["forwarded_at"]),
        answered_at=_time(row["answered_at"]),
        answered_by=row["answered_by"],
        answer_how=row["answer_how"],
        reminded_at=_time(row["reminded_at"]),
        escalated_at=_time(row["escalated_at"]),
        escalated_to=row["escalated_to"],
        acked_at=_time(row["acked_at"]),
        error=row["error"],
    )
