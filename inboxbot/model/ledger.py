"""The client ledger's values: the identities a client is known by and whom the client
belongs to since when, and how that came about. Shared by route (reads it), run (writes
first assignments) and store (keeps it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The identities a client can be recognised by, most reliable first: the order a lookup
# tries them in. A domain is never a free-mail one (it names no company).
KEY_KINDS = ("inn", "domain", "name", "address")
KIND_WORDS = {"inn": "ИНН", "domain": "домен", "name": "название", "address": "адрес"}

# How an owner came to own a client. Only the first is written today; hand-overs learned
# from answers, the head's decision and a client-base import come later.
FIRST_ASSIGNMENT = "first"
HOW_WORDS = {FIRST_ASSIGNMENT: "первая заявка", "handover": "передача", "head": "решение руководителя",
             "import": "база клиентов", "owner": "передал(а) прежний менеджер"}  # fmt: skip


@dataclass(frozen=True, slots=True, order=True)
class ClientKey:
    """One identity of a client: `kind` one of KEY_KINDS, `value` normalised (lower case
    address and domain, digits of an INN, the name's comparable key)."""

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in KEY_KINDS:
            raise ValueError(f"unknown client key kind {self.kind!r}; valid: {', '.join(KEY_KINDS)}")

    def describe(self) -> str:
        return f"{KIND_WORDS[self.kind]} {self.value}"


@dataclass(frozen=True, slots=True)
class Assignment:
    """A ledger entry: the client known by `key` belongs to `owner` since `since`.
    `how`: one of HOW_WORDS; `rule`, `pool`: the rule (and queue) of a first assignment;
    `source`: the Message-ID of the mail that made it."""

    key: ClientKey
    owner: str
    since: datetime
    how: str = FIRST_ASSIGNMENT
    rule: str = ""
    pool: str | None = None
    source: str = ""

    def describe_how(self) -> str:
        """«первая заявка, очередь «main»» — how the owner came to own the client."""
        words = HOW_WORDS.get(self.how, self.how)
        if self.how != FIRST_ASSIGNMENT:
            return words
        if self.pool:
            return f"{words}, очередь «{self.pool}»"
        return f"{words}, правило «{self.rule}»" if self.rule else words
