"""The routing decision: who owns a mail, what to do with it, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from inboxbot.model.conflicts import Dispute
from inboxbot.model.ledger import ClientKey
from inboxbot.model.repeats import RepeatOf

# forward: send to the owner; tag: only mark it in the mailbox for the owner;
# forward_and_tag: both; skip: not a request (auto-reply, bulk, our own mail…);
# triage: a human must look at it (broken mail, ambiguity with that fallback).
ACTIONS = ("forward", "tag", "forward_and_tag", "skip", "triage")
# Rule ids of decisions no rule of rules.toml made: a mail that could not be read (left to
# triage) and the same mail delivered again. Here, not in pipeline.py, so that the report
# and `inboxbot status` can name them without importing the NLP stack.
QUARANTINE_RULE = "quarantine"
DUPLICATE_RULE = "duplicate"
DIGEST_REPLY_RULE = "digest_reply"  # the head's reply to the digest of skipped mail
LEDGER_COMMAND_RULE = "ledger_command"  # «передать Сидорову» in reply to a forward or a ledger notice
PRESENCE_COMMAND_RULE = "presence_command"  # «сегодня нет: Петров», the head's mail to the bot
CREDIT_COMMAND_RULE = "credit_command"  # «не в счёт: спам», the head's reply to a forward
# Decision.public_action in words, as `replay` and `explain` print it.
PUBLIC_ACTION_WORDS = {"forward": "переслать", "tag": "пометить", "skip": "не пересылать"}


@dataclass(frozen=True, slots=True)
class Step:
    """One rule evaluated for a mail, matched or not, with a human-readable detail."""

    rule: str
    matched: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ClientRef:
    """A client-base entry: enough to name it and find it again, and to tell the manager
    who it is (its holding, since when it is a client)."""

    name: str
    inn: str | None
    manager: str | None
    file: str
    line: int
    region_code: str | None = None
    group: str | None = None
    since: date | None = None  # in the client base since (the `since` column)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the date as YYYY-MM-DD."""
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClientRef:
        """Inverse of to_dict; a dict stored before `since` existed has no such key."""
        since = data.get("since")
        return cls(**{**data, "since": date.fromisoformat(since) if since else None})


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    owner: str | None
    rule: str
    reasons: tuple[str, ...]
    trail: tuple[Step, ...] = ()
    base_rule: str | None = None
    base_owner: str | None = None
    client: ClientRef | None = None
    pool: str | None = None
    notify: tuple[str, ...] = ()
    # A new client's identities, written to the client ledger once the forward went out
    # (a first assignment); kept here so a forward resumed after a crash still writes them.
    claim: tuple[ClientKey, ...] = ()
    # The earlier request this mail repeats (route/conditions/repeat.py): same owner, and
    # not counted again in the shares.
    repeat_of: RepeatOf | None = None
    # Who-owns-the-client disputes the decision reveals (route/disputes.py): recorded once
    # the forward went out, the owner told.
    disputes: tuple[Dispute, ...] = ()

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; valid: {', '.join(ACTIONS)}")

    @property
    def forwards(self) -> bool:
        return self.action in ("forward", "forward_and_tag")

    @property
    def tags(self) -> bool:
        return self.action in ("tag", "forward_and_tag", "triage")

    @property
    def public_action(self) -> str:
        """forward | tag | skip, as `--json` reports it."""
        if self.forwards:
            return "forward"
        return "skip" if self.action == "skip" else "tag"

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready form, as the journal stores it. `repeat_of` and `disputes` only when set."""
        data: dict[str, object] = {
            "action": self.public_action,
            "internal_action": self.action,
            "owner": self.owner,
            "rule": self.rule,
            "reasons": list(self.reasons),
            "base_rule": self.base_rule,
            "base_owner": self.base_owner,
            "pool": self.pool,
            "notify": list(self.notify),
            "claim": [[key.kind, key.value] for key in self.claim],
            "client": self.client.to_dict() if self.client else None,
            "trail": [asdict(step) for step in self.trail],
        }
        if self.repeat_of is not None:
            data["repeat_of"] = self.repeat_of.to_dict()
        if self.disputes:
            data["disputes"] = [d.to_dict() for d in self.disputes]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """Inverse of to_dict: a stored decision is acted on as it was made."""
        client = data.get("client")
        repeat = data.get("repeat_of")
        return cls(
            action=str(data.get("internal_action") or data["action"]),
            owner=data.get("owner"),
            rule=str(data["rule"]),
            reasons=tuple(data.get("reasons") or ()),
            trail=tuple(Step(**step) for step in data.get("trail") or ()),
            base_rule=data.get("base_rule"),
            base_owner=data.get("base_owner"),
            client=ClientRef.from_dict(client) if client else None,
            pool=data.get("pool"),
            notify=tuple(data.get("notify") or ()),
            claim=tuple(ClientKey(str(kind), str(value)) for kind, value in data.get("claim") or ()),
            repeat_of=RepeatOf.from_dict(repeat) if repeat else None,
            disputes=tuple(Dispute.from_dict(d) for d in data.get("disputes") or ()),
        )

    @property
    def summary(self) -> str:
        """One line for logs and tables."""
        return self.reasons[-1] if self.reasons else self.rule
