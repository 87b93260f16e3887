"""Releases in memory (tests, explain, replay): the same rows as release_rows.py's
tables, next to memory.py's messages."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.store.interfaces import DigestItem, ReleaseCommand
from inboxbot.store.memory import Tables
from inboxbot.store.release_rows import NOT_LISTED, command_of, command_row, item_of
from inboxbot.store.rows import iso, request_of


class MemoryReleases:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.digest_items: dict[tuple[str, int], dict[str, Any]] = {}
        self.commands: dict[str, dict[str, Any]] = {}

    def skipped(self, since: datetime, until: datetime) -> list[RequestRow]:
        start, end = iso(since), iso(until)
        with self.tables.lock:
            return [request_of(r) for r in self.tables.messages
                    if r["action"] == "skip" and r["rule"] not in NOT_LISTED and start <= r["seen_at"] < end]  # fmt: skip

    def record_digest(self, digest_id: str, keys: Sequence[MessageKey], at: datetime) -> None:
        with self.tables.lock:
            for number, key in enumerate(keys, 1):
                self.digest_items.setdefault((digest_id, number), {
                    "digest_id": digest_id, "number": number, "folder": key.folder, "uidvalidity": key.uidvalidity,
                    "uid": key.uid, "listed_at": iso(at), "claimed_at": None, "decision": None, "released_at": None,
                    "outcome": None,
                })  # fmt: skip

    def items(self, digest_id: str) -> list[DigestItem]:
        with self.tables.lock:
            return [item_of(r) for (d, _), r in sorted(self.digest_items.items()) if d == digest_id]

    def digest_of(self, message_ids: Sequence[str]) -> str | None:
        with self.tables.lock:
            listed = {d for d, _ in self.digest_items}
        return next((m for m in message_ids if m in listed), None)

    def record_command(self, command: ReleaseCommand) -> bool:
        with self.tables.lock:
            if command.command_id in self.commands:
                return False
            self.commands[command.command_id] = {**command_row(command), "answered_at": None}
            return True

    def open_commands(self) -> list[ReleaseCommand]:
        with self.tables.lock:
            rows = sorted((r for r in self.commands.values() if r["answered_at"] is None),
                          key=lambda r: (r["received_at"], r["command_id"]))  # fmt: skip
            return [command_of(r) for r in rows]

    def claim(self, digest_id: str, number: int, decision: Mapping[str, object], at: datetime) -> DigestItem:
        with self.tables.lock:
            row = self.digest_items.get((digest_id, number))
            if row is None:
                raise KeyError(f"digest {digest_id!r} has no item {number}")
            if row["claimed_at"] is None:
                row.update(claimed_at=iso(at), decision=json.dumps(dict(decision), ensure_ascii=False))
            return item_of(row)

    def finish(self, digest_id: str, number: int, outcome: str, at: datetime, *, released: bool) -> None:
        with self.tables.lock:
            row = self.digest_items.get((digest_id, number))
            if row is not None:
                row["outcome"] = outcome
                if released and row["released_at"] is None:
                    row["released_at"] = iso(at)

    def close_command(self, command_id: str, at: datetime) -> None:
        with self.tables.lock:
            row = self.commands.get(command_id)
            if row is not None and row["answered_at"] is None:
                row["answered_at"] = iso(at)
