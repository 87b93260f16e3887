"""The ledger change service: move a client (all its identities), and optionally its open
requests, to another manager; undo a change. One function per change for every caller —
`inboxbot clients assign/undo`, the head's «передать Сидорову» by mail, a hand-over
learned from an answer, the web page's «передать клиента» button: each takes the store,
the rules, the actor, what to change and `now`, and returns a HandoverResult. The change
is one transaction (store.changes.apply); its notices are queued with it (the change is
unannounced until handover_mail.Announcer sends them), never sent here.

Bad input changes nothing and says why in Russian (`HandoverResult.refusal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inboxbot.model.domains import domain_in
from inboxbot.model.handover import (
    HANDOVER,
    HEAD,
    IMPORT,
    KEPT,
    OWNER,
    Change,
    client_requests,
    moved_entries,
    new_entries,
    read_identity,
    undo_of,
    undo_refusal,
)
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.route.conditions.ledger import ledger_options
from inboxbot.route.handover_command import manager_named, managers_list
from inboxbot.rules.model import Rules
from inboxbot.store.interfaces import Store
from inboxbot.store.ledger_change_rows import LedgerConflict


@dataclass(frozen=True, slots=True)
class HandoverResult:
    """The change made (None when refused), or `refusal`: why nothing changed (Russian)."""

    change: Change | None = None
    refusal: str | None = None


def assign(
    store: Store, rules: Rules, actor: str, identity: str, target: str, now: datetime, *, why: str = "",
    threads: bool = True, create: bool = False, holder: str | None = None,
) -> HandoverResult:
    """The head's decision: the client `identity` names (INN, domain or address, as typed)
    goes to the manager `target` names (id, address or name). `threads`: its open requests
    go too. `create`: a client not in the ledger is written to it (INN or domain only).
    `holder`: a manager handing over a client of their own (not the head's decision) —
    refused unless the ledger gives the client to them now, recorded as theirs (OWNER); the
    store's transaction refuses it too if the client moves in between."""
    key = read_identity(identity)
    if isinstance(key, str):
        return HandoverResult(refusal=key)
    manager = manager_named(target, rules)
    if manager is None:
        return HandoverResult(refusal=f"нет такого менеджера «{target}». Менеджеры: {managers_list(rules)}")
    if key.kind == "domain" and rules.clients.is_free_mail(key.value):
        return HandoverResult(refusal=f"{key.value} — бесплатная почта, домен не называет компанию: укажите ИНН или адрес")
    current = store.changes.entries(key)
    if holder is not None and (not current or current[0].owner != holder):
        return HandoverResult(refusal=f"{key.describe()}: клиента ведёт не {_name(rules, holder)}; передать его "
                                      "может руководитель или менеджер, который его ведёт")  # fmt: skip
    if not current:
        refusal = _not_in_ledger(rules, key, create=create)
        if refusal is not None:
            return HandoverResult(refusal=refusal)
    how = HEAD if holder is None else OWNER
    return move(store, rules, actor, current, (key,), manager, now, how=how, why=why, threads=threads)


def _not_in_ledger(rules: Rules, key: ClientKey, *, create: bool) -> str | None:
    """Why a client the ledger does not know cannot be assigned, or None (it can, as new)."""
    base = rules.clients.by_inn(key.value) if key.kind == "inn" else None
    if key.kind == "domain":
        base = next(iter(rules.clients.by_domain(key.value)), None)
    if base is not None:
        who = f" (менеджер {base.manager})" if base.manager else ""
        return (f"{key.describe()} — клиент из базы клиентов «{base.name}»{who}, {base.file}, строка {base.line}: "
                "его менеджера меняют в базе клиентов, бот следует ей")  # fmt: skip
    if key.kind == "address":
        return (f"{key.describe()} нет в журнале закреплений. По одному адресу нового клиента не закрепляют: "
                "укажите его ИНН или домен")  # fmt: skip
    if not create:
        return (f"{key.describe()} нет в журнале закреплений: бот ещё не закреплял этого клиента. "
                "Чтобы закрепить нового клиента, повторите команду с --new")  # fmt: skip
    return None


def move(
    store: Store, rules: Rules, actor: str, current: Sequence[Assignment], keys: Sequence[ClientKey], target: str,
    now: datetime, *, how: str, why: str = "", threads: bool = True, command: str = "", also: tuple[int, ...] = (),
) -> HandoverResult:
    """Move the client whose entries are `current` (none: a new client known by `keys`) to
    `target` (a manager id of `rules`); with `threads`, its open requests too, and the
    requests `also` (an answered one whose thread goes along)."""
    if target not in rules.managers:
        return HandoverResult(refusal=f"нет такого менеджера «{target}». Менеджеры: {managers_list(rules)}")
    previous = current[0].owner if current else None
    if previous == target:
        return HandoverResult(refusal=f"клиента ({current[0].key.describe()}) уже ведёт {_name(rules, target)}")
    after = moved_entries(current, target, how, now) if current else new_entries(keys, target, how, now)
    every_key = [e.key for e in after]
    requests = client_requests(store.requests.awaiting_answer(), every_key, previous) if threads else ()
    requests = tuple(dict.fromkeys((*also, *requests)))
    change = Change(tuple(current), after, how, actor, now, target, previous, why, requests, command)
    return _apply(store, change)


def move_thread(store: Store, actor: str, request_id: int, previous: str, target: str, now: datetime,
                *, why: str, how: str = HANDOVER) -> HandoverResult:  # fmt: skip
    """Only one open request (its thread) goes to `target`: a colleague answered it, or
    the client base gave the client to another manager."""
    return _apply(store, Change((), (), how, actor, now, target, previous, why, (request_id,)))


BASE_RULES = ("client_inn", "client_domain", "client_name")
BASE_ACTOR = "база клиентов"
BACKUP_ACTOR = "конец отсутствия"


def follow_base(store: Store, rules: Rules, now: datetime) -> list[Change]:
    """The open requests of clients the client base now gives to another manager than the
    one who has them (the head edited the base), moved to that manager, when the ledger
    rule's on_base_change is "threads". Requests a backup holds for the base's manager
    stay with the backup."""
    if ledger_options(rules).on_base_change == "none":
        return []
    moved: list[Change] = []
    for row in store.requests.awaiting_answer():
        if row.rule not in BASE_RULES and row.base_rule not in BASE_RULES:
            continue
        manager = _base_manager(rules, row)
        if manager is None or manager not in rules.managers or manager in (row.owner, row.base_owner) or row.owner is None:
            continue
        why = f"в базе клиентов клиент ({row.company or row.client_address}) теперь у {_name(rules, manager)}"
        result = move_thread(store, BASE_ACTOR, row.id, row.owner, manager, now, why=why, how=IMPORT)
        if result.change is not None:
            moved.append(result.change)
    return moved


def return_after_absence(store: Store, rules: Rules, now: datetime) -> list[Change]:
    """The open requests a backup holds for a manager who is back (not away at `now`: back
    at 12:00 from the doctor is back), by the ledger rule's after_absence: "owner" — they
    go back to that manager; "backup" — they stay, and one change (KEPT, once per absence
    and backup) lists them. Everyone is told either way, by the change's notice."""
    keep = ledger_options(rules).after_absence != "owner"
    moved: list[Change] = []
    kept: dict[tuple[str, str, str], list[RequestRow]] = {}
    for row in store.requests.awaiting_answer():
        owner, backup = row.base_owner, row.owner
        if owner is None or backup is None or owner == backup or owner not in rules.managers:
            continue
        if rules.absence_at(owner, now) is not None:
            continue
        if keep:
            kept.setdefault((owner, backup, _absence_key(rules, owner, row)), []).append(row)
            continue
        why = f"{_name(rules, owner)} вернулся(ась) из отсутствия: заявка «{row.subject[:80]}» снова у него (неё)"
        result = move_thread(store, BACKUP_ACTOR, row.id, backup, owner, now, why=why)
        if result.change is not None:
            moved.append(result.change)
    for (owner, backup, absence), rows in kept.items():
        why = 'правило after_absence = "backup": заявки, начатые замещавшим, остаются у него (неё)'
        # The command key makes the change once per absence: the next polls find it.
        command = f"after-absence:{owner}:{backup}:{absence}"
        if store.changes.by_command(command) is not None:
            continue
        change = Change((), (), KEPT, BACKUP_ACTOR, now, backup, owner, why, tuple(r.id for r in rows), command)
        result = _apply(store, change)
        if result.change is not None:
            moved.append(result.change)
    return moved


def _absence_key(rules: Rules, owner: str, row: RequestRow) -> str:
    """The absence during which `row` went to the backup, as a stable text: its first
    moment (the day it arrived when the absence is no longer known)."""
    at = row.forwarded_at or row.seen_at
    absence = rules.absence_at(owner, at)
    if absence is None:
        return f"{at.astimezone(rules.department.timezone):%Y-%m-%d}"
    return f"{absence.start:%Y-%m-%d}T{absence.start_time or ''}"


def _base_manager(rules: Rules, row: RequestRow) -> str | None:
    """The manager the client base gives the request's client to now (by INN, else by the
    client's domain when one base client has it)."""
    client = rules.clients.by_inn(row.inn) if row.inn else None
    if client is None:
        found = rules.clients.by_domain(row.client_address.lower().rpartition("@")[2])
        client = found[0] if len(found) == 1 else None
    return client.manager if client is not None else None


def learn_from_answer(store: Store, rules: Rules, row: RequestRow, by: str, now: datetime) -> HandoverResult | None:
    """A colleague `by` (a manager id) answered request `row` of another manager: by the
    ledger rule's `on_answer`, the thread ("thread") or the client with its open requests
    ("client") goes to them. None when nothing is to move."""
    policy = ledger_options(rules).on_answer
    if policy == "none" or by not in rules.managers or row.owner in (None, by):
        return None
    assert row.owner is not None
    why = f"ответил(а) клиенту на заявку «{row.subject[:80]}» вместо {_name(rules, row.owner)}"
    if policy == "client":
        keys = request_keys(rules, row)
        current = next((found for k in keys if (found := store.changes.entries(k))), ())
        if current and current[0].owner != by:
            return move(store, rules, by, current, keys, by, now, how=HANDOVER, why=why, also=(row.id,))
    return move_thread(store, by, row.id, row.owner, by, now, why=why)


def request_keys(rules: Rules, row: RequestRow) -> tuple[ClientKey, ...]:
    """The identities of a request's client, as the ledger would write them: its INN, its
    domain (not free mail, not ours), its address."""
    address = row.client_address.lower()
    domain = address.rpartition("@")[2]
    keys = [ClientKey("inn", row.inn)] if row.inn else []
    if domain and not rules.clients.is_free_mail(domain) and not domain_in(domain, rules.department.internal_domains):
        keys.append(ClientKey("domain", domain))
    if "@" in address:
        keys.append(ClientKey("address", address))
    return tuple(keys)


def undo(store: Store, rules: Rules, actor: str, change_id: int, now: datetime) -> HandoverResult:
    """Undo change `change_id`: the client's previous entries (and its requests) back,
    itself a change in the history."""
    change = store.changes.get(change_id)
    if change is None:
        return HandoverResult(refusal=f"изменения №{change_id} нет в истории (inboxbot clients history)")
    undone = next((c for c in store.changes.history(change.keys, 1000) if c.undoes == change_id), None)
    if undone is not None:
        return HandoverResult(refusal=f"изменение №{change_id} уже отменено (изменение №{undone.id})")
    current = store.changes.entries(change.after[0].key) if change.after else ()
    refusal = undo_refusal(change, current)
    if refusal is not None:
        return HandoverResult(refusal=refusal)
    return _apply(store, undo_of(change, current, actor, now))


def _apply(store: Store, change: Change) -> HandoverResult:
    try:
        return HandoverResult(store.changes.apply(change))
    except LedgerConflict as exc:
        return HandoverResult(refusal=str(exc))


def _name(rules: Rules, manager_id: str) -> str:
    manager = rules.managers.get(manager_id)
    return manager.name if manager is not None else manager_id


def actor_name(rules: Rules, actor: str) -> str:
    """Who decided, as people read it: a manager's name, else the actor as recorded."""
    return _name(rules, actor) if actor in rules.managers else actor
