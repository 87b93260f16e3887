"""A ledger history row ↔ model.handover.Change, shared by every backend: the row holds
the entries before and after as JSON, times as ISO text (store/rows.py)."""

from __future__ import annotations

import json
from typing import Any

from inboxbot.errors import StoreError
from inboxbot.model.handover import Change
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.rows import Row, iso, parse_time


class LedgerConflict(StoreError):
    """The client changed between reading it and writing the change (another worker, the
    web page, a second command): nothing was written."""

    def __init__(self, key: str) -> None:
        super().__init__(f"клиента ({key}) только что изменили в другом месте — ничего не изменено, повторите команду")


def entry_json(entry: Assignment) -> dict[str, object]:
    return {"kind": entry.key.kind, "value": entry.key.value, "owner": entry.owner, "since": iso(entry.since),
            "how": entry.how, "rule": entry.rule, "pool": entry.pool, "source": entry.source}  # fmt: skip


def entry_of(data: dict[str, Any]) -> Assignment:
    since = parse_time(data["since"])
    assert since is not None
    return Assignment(ClientKey(str(data["kind"]), str(data["value"])), str(data["owner"]), since, str(data["how"]),
                      str(data["rule"]), data["pool"], str(data["source"]))  # fmt: skip


def change_row(change: Change) -> dict[str, object]:
    """The columns of a new history row (the id is the store's)."""
    return {
        "at": iso(change.at), "how": change.how, "by_whom": change.by, "why": change.why, "owner": change.owner,
        "previous": change.previous, "client_keys": change.describe_keys(),
        "entries_before": json.dumps([entry_json(e) for e in change.before], ensure_ascii=False),
        "entries_after": json.dumps([entry_json(e) for e in change.after], ensure_ascii=False),
        "requests": json.dumps(list(change.requests)), "command": change.command or None, "undoes": change.undoes,
        "announced_at": None,
    }  # fmt: skip


def change_of(row: Row) -> Change:
    at = parse_time(row["at"])
    assert at is not None
    return Change(
        before=tuple(entry_of(d) for d in json.loads(row["entries_before"])),
        after=tuple(entry_of(d) for d in json.loads(row["entries_after"])),
        how=str(row["how"]), by=str(row["by_whom"]), at=at, owner=row["owner"], previous=row["previous"], why=str(row["why"]),
        requests=tuple(int(i) for i in json.loads(row["requests"])), command=str(row["command"] or ""),
        undoes=int(row["undoes"]) if row["undoes"] is not None else None, id=int(row["id"]),
        announced_at=parse_time(row["announced_at"]),
    )  # fmt: skip
