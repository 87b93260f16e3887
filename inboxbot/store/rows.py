"""A stored message row → the records the bot reads (model/records.py), and the text
form of times in the store. Shared by every backend, so they return the same values.

A row is the `messages` table's columns by name: an sqlite3.Row, or the in-memory
store's dict holding the same texts (times as ISO text in UTC, lists and the decision as
JSON text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.records import DECIDED, Entry, MessageKey, RequestRow


class Row(Protocol):
    def __getitem__(self, column: str, /) -> Any: ...


def now_text() -> str:
    """The store's clock: this moment as it is stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def lease_text(moment: datetime) -> str:
    """A lease's or claim's expiry as SQLite and memory store it: to the millisecond (a
    lease of a few seconds must not round to the next one), text order still time order."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def iso(moment: datetime) -> str:
    """A moment as it is stored: ISO text in UTC, to the second (text order = time order)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: object) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_of(row: Row) -> MessageKey:
    return MessageKey(str(row["folder"]), int(row["uidvalidity"]), int(row["uid"]))


def entry_of(row: Row) -> Entry:
    raw = row["decision"]
    return Entry(
        id=int(row["id"]),
        key=key_of(row),
        message_id=str(row["message_id"]),
        content_hash=str(row["content_hash"]),
        state=str(row["state"]),
        action=row["action"],
        owner=row["owner"],
        rule=row["rule"],
        forward_id=row["forward_id"],
        attempts=int(row["attempts"]),
        decision=json.loads(raw) if raw else None,
        claimed_by=row["claimed_by"],
    )


def request_of(row: Row) -> RequestRow:
    payload = json.loads(row["decision"]) if row["decision"] else {}
    company = payload.get("company") or {}
    # A client the base knows is named as the base names it: the mail may say «Алтайских
    # сыров» (the word as written) or nothing at all (known by its domain).
    known = (payload.get("decision") or {}).get("client") or {}
    if known.get("name"):
        company = {"name": known["name"], "inn": known.get("inn") or company.get("inn")}
    region = payload.get("region") or {}
    seen = parse_time(row["seen_at"])
    assert seen is not None
    return RequestRow(
        id=int(row["id"]),
        key=key_of(row),
        message_id=str(row["message_id"]),
        sender=str(row["sender"] or ""),
        subject=str(row["subject"] or ""),
        sent_at=parse_time(row["sent_at"]),
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
        forwarded_at=parse_time(row["forwarded_at"]),
        answered_at=parse_time(row["answered_at"]),
        answered_by=row["answered_by"],
        answer_how=row["answer_how"],
        reminded_at=parse_time(row["reminded_at"]),
        escalated_at=parse_time(row["escalated_at"]),
        escalated_to=row["escalated_to"],
        acked_at=parse_time(row["acked_at"]),
        error=row["error"],
        client=str(payload.get("client_address") or ""),
        repeat_of=row["repeat_of"],
    )


def decided_row(
    key: MessageKey, msg: ParsedMessage, decision: Decision, details: Mapping[str, object] | None, now: str
) -> dict[str, object]:
    """The new row of a message decided `now` (state `decided`): the columns a backend inserts."""
    payload = dict(details or {})
    payload["decision"] = decision.to_dict()
    return {
        "folder": key.folder,
        "uidvalidity": key.uidvalidity,
        "uid": key.uid,
        "message_id": msg.message_id,
        "has_message_id": int(msg.has_message_id),
        "content_hash": msg.content_hash,
        "sender": msg.sender.email if msg.sender else "",
        "subject": msg.subject,
        "sent_at": msg.date.isoformat() if msg.date else None,
        "seen_at": now,
        "state": DECIDED,
        "action": decision.action,
        "owner": decision.owner,
        "rule": decision.rule,
        "base_owner": decision.base_owner,
        "base_rule": decision.base_rule,
        "pool": decision.pool,
        "reasons": json.dumps(list(decision.reasons), ensure_ascii=False),
        "decision": json.dumps(payload, ensure_ascii=False, default=str),
        "updated_at": now,
        # A repeat (route/conditions/repeat.py) is not counted again in the shares.
        "repeat_of": decision.repeat_of.message_id if decision.repeat_of else None,
    }


def starts_thread(decision: Decision) -> bool:
    """Whether the decision makes its owner the owner of the mail's thread (and subject)."""
    return bool(decision.owner) and decision.action != "skip"
