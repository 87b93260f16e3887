"""Disputes over who owns a client, as route finds them, and as the store keeps them
until the head settles them. Shared by route (finds), run (records, tells), store
(keeps), compose (reports) and the CLI (lists, settles)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from inboxbot.model.ledger import ClientKey

# What a dispute is about, in the order the list shows them.
KIND_WORDS = {
    "addressed": "письмо не владельцу клиента",  # the `addressed` rule gave a client to someone else
    "ledger_base": "журнал закреплений и база клиентов расходятся",
    "base_twice": "один ИНН у двух менеджеров в базе",
    "holding": "компания холдинга в округе, где у группы уже есть менеджер",
}
KEEP = "keep"  # the head's verdict: things stay as they are
OWNER = "owner"  # the head's verdict: the client belongs to `owner`


@dataclass(frozen=True, slots=True)
class Dispute:
    """The facts of a dispute: `kind` (KIND_WORDS), `client` the client as the list names
    it («ИНН 7701234567», «домен acme.ru», a company name), `owners` the managers in it
    (who has it by the rules first, then who else claims it), `detail` one Russian
    sentence, `message_id` the mail that raised it ("" for one found in the base), `keys`
    the client's ledger identities as the route found them, most reliable first: what a
    verdict naming an owner moves (run/conflicts.py)."""

    kind: str
    client: str
    owners: tuple[str, ...]
    detail: str
    message_id: str = ""
    keys: tuple[ClientKey, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KIND_WORDS:
            raise ValueError(f"unknown dispute kind {self.kind!r}; valid: {', '.join(KIND_WORDS)}")

    @property
    def facts(self) -> str:
        """What makes two disputes the same: once settled, the same facts are not raised again."""
        return "|".join((self.kind, self.client.casefold(), *self.owners))

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "client": self.client, "owners": list(self.owners), "detail": self.detail,
                "message_id": self.message_id, "keys": keys_json(self.keys)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Dispute:
        owners = data.get("owners")
        names = tuple(str(o) for o in owners) if isinstance(owners, list) else ()
        return cls(str(data["kind"]), str(data["client"]), names, str(data.get("detail") or ""),
                   str(data.get("message_id") or ""), keys_of(data.get("keys")))  # fmt: skip


# The identities a dispute's label names («ИНН 7707083893», «домен acme.ru», «адрес a@acme.ru»,
# as ClientKey.describe() and the route write them).
_LABEL_KEYS = (("inn", re.compile(r"ИНН (\d{12}|\d{10})\b")), ("domain", re.compile(r"домен ([\w.-]+\.[\w-]+)")),
               ("address", re.compile(r"адрес (\S+@[\w.-]+)")))  # fmt: skip


def label_keys(client: str) -> tuple[ClientKey, ...]:
    """The ledger identities a dispute's `client` label names: what a dispute recorded
    before disputes carried their keys is about."""
    return tuple(ClientKey(kind, m.group(1).lower()) for kind, pattern in _LABEL_KEYS for m in pattern.finditer(client))


def keys_json(keys: tuple[ClientKey, ...]) -> list[list[str]]:
    """[["inn", "7707083893"], ["domain", "acme.ru"]]: as the journal keeps them."""
    return [[k.kind, k.value] for k in keys]


def keys_of(data: object) -> tuple[ClientKey, ...]:
    """keys_json read back; a dispute recorded before it had keys has none."""
    if not isinstance(data, list):
        return ()
    return tuple(ClientKey(str(pair[0]), str(pair[1])) for pair in data if isinstance(pair, list) and len(pair) == 2)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A recorded dispute under its `number`: raised at `raised_at`, the owner told
    (`notified`), and once settled, the head's `verdict` (KEEP or OWNER with `owner`, and
    the ledger change that gave `owner` the client, when one was needed)."""

    number: int
    dispute: Dispute
    raised_at: datetime
    notified: bool = False
    settled_at: datetime | None = None
    verdict: str | None = None
    owner: str | None = None
    why: str = ""
    settled_by: str = ""
    change_id: int | None = None  # the ledger change the verdict made (store.changes)

    @property
    def open(self) -> bool:
        return self.settled_at is None
