"""A change of a client's owner in the ledger: who moved the client (all its identities)
from whom to whom, how, when and why, and which open requests went with it. Pure: the
service (run/handover.py) builds changes with these functions, the store keeps them as
the ledger's history, and an undo is one more change that writes the old entries back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inboxbot.model.domains import normalize_domain
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.model.requisites import is_valid_inn

HANDOVER, HEAD, IMPORT, KEPT, OWNER, UNDO = "handover", "head", "import", "kept", "owner", "undo"
# OWNER: the manager who had the client passed it on (by mail or on the web page), not
# learned from an answer (HANDOVER). KEPT: nothing moved — a manager back from an absence
# is told which open requests stay with the backup who started them (after_absence =
# "backup"); undoing it hands them back.
CHANGE_WORDS = {HANDOVER: "передача: ответил клиенту не владелец", HEAD: "решение руководителя",
                IMPORT: "изменение в базе клиентов", OWNER: "передал(а) менеджер, который вёл клиента",
                KEPT: "после отсутствия заявки остались у замещавшего", UNDO: "отмена изменения"}  # fmt: skip

_DOMAIN_RE = re.compile(r"(?i)^(?:[a-z0-9а-яё](?:[a-z0-9а-яё-]{0,61}[a-z0-9а-яё])?\.)+[a-zа-яё]{2,}$")
_ADDRESS_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Change:
    """One change of the ledger: the client's entries `before` and `after` it (an empty
    `before`: a client new to the ledger; an empty `after`: the client left it, by an
    undo; both empty: only the requests moved, the client stays). `owner`, `previous`:
    whom the client (or the requests) went to and from (None: nobody). `by`: who decided
    (a manager id, or «командная строка (user)»); `requests`: the journal rows of the
    open requests that moved; `command`: the Message-ID of the mail command that made
    it, '' otherwise; `undoes`: the id of the change this one undoes. `id` is the store's."""

    before: tuple[Assignment, ...]
    after: tuple[Assignment, ...]
    how: str
    by: str
    at: datetime
    owner: str | None
    previous: str | None
    why: str = ""
    requests: tuple[int, ...] = ()
    command: str = ""
    undoes: int | None = None
    id: int = 0
    announced_at: datetime | None = None

    @property
    def threads_only(self) -> bool:
        """Only open requests moved; the client's owner stayed."""
        return not self.before and not self.after

    @property
    def moves_requests(self) -> bool:
        """Whether applying the change hands its requests to `owner` (KEPT only lists them:
        they are the owner's already, and their reminders must not start over)."""
        return self.how != KEPT

    @property
    def keys(self) -> tuple[ClientKey, ...]:
        return tuple(dict.fromkeys(e.key for e in (*self.after, *self.before)))

    def describe_keys(self) -> str:
        return "; ".join(k.describe() for k in self.keys)

    def describe_how(self) -> str:
        words = CHANGE_WORDS.get(self.how, self.how)
        return f"{words} №{self.undoes}" if self.how == UNDO and self.undoes else words


def read_identity(text: str) -> ClientKey | str:
    """The client identity a person typed: an INN (10 or 12 digits, checked), an address or
    a domain; or, as a string, why it is none of them (Russian, for the person)."""
    value = text.strip().lower()
    if value.isdigit():
        if len(value) not in (10, 12):
            return f"«{text}» — не ИНН: в ИНН 10 цифр (организация) или 12 (ИП)"
        if not is_valid_inn(value):
            return f"«{text}» — не ИНН: контрольная цифра не сходится, проверьте номер"
        return ClientKey("inn", value)
    if "@" in value:
        if not _ADDRESS_RE.fullmatch(value):
            return f"«{text}» — не похоже на адрес почты"
        return ClientKey("address", value)
    domain = normalize_domain(value.removeprefix("www."))
    if _DOMAIN_RE.fullmatch(domain):
        return ClientKey("domain", domain)
    return f"«{text}» — не ИНН, не домен и не адрес почты. Примеры: 7707083893, polimer-trade.ru, anna@polimer-trade.ru"


def moved_entries(current: Sequence[Assignment], owner: str, how: str, at: datetime) -> tuple[Assignment, ...]:
    """The client's entries given to `owner` now: the identities and their source kept
    (the source ties them together as one client)."""
    return tuple(dataclasses.replace(e, owner=owner, since=at, how=how, rule="", pool=None) for e in current)


def new_entries(keys: Sequence[ClientKey], owner: str, how: str, at: datetime) -> tuple[Assignment, ...]:
    """Entries for a client new to the ledger, tied together by the first key."""
    source = f"{keys[0].kind}:{keys[0].value}" if keys else ""
    return tuple(Assignment(k, owner, at, how=how, source=source) for k in keys)


def client_requests(rows: Sequence[RequestRow], keys: Sequence[ClientKey], owner: str | None) -> tuple[int, ...]:
    """The journal rows among `rows` (open requests) that are this client's and `owner`'s:
    its address, its domain or its INN."""
    if owner is None:
        return ()
    wanted = {(k.kind, k.value) for k in keys}
    found: list[int] = []
    for row in rows:
        if row.owner != owner:
            continue
        address = row.client_address.lower()
        mine = {("address", address), ("domain", address.rpartition("@")[2]), ("inn", row.inn or "")}
        if wanted & mine:
            found.append(row.id)
    return tuple(found)


def undo_of(change: Change, current: Sequence[Assignment], by: str, at: datetime) -> Change:
    """The change that undoes `change` (check undo_refusal first): the old entries back,
    the requests back to their previous owner."""
    return Change(tuple(current), change.before, UNDO, by, at, change.previous, change.owner,
                  requests=change.requests, undoes=change.id)  # fmt: skip


def undo_refusal(change: Change, current: Sequence[Assignment]) -> str | None:
    """Why `change` cannot be undone now (Russian), or None. Only the latest state can be
    undone: a client moved again since (or its entries gone) needs that undone first."""
    if change.how == UNDO:
        return f"изменение №{change.id} само отменяет №{change.undoes}: чтобы вернуть, передайте клиента заново"
    if change.threads_only:
        return None
    owners = {e.owner for e in current}
    if owners != {change.owner} or {e.key for e in current} != {e.key for e in change.after}:
        now = ", ".join(sorted(owners)) or "ни за кем"
        return (f"после изменения №{change.id} клиент уже менялся (сейчас: {now}); "
                "отмените сначала более позднее изменение (inboxbot clients history)")  # fmt: skip
    return None
