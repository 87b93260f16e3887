"""Who owns a client, when the rules, the ledger and the client base disagree: the
disputes a decision reveals (per mail) and the ones the client base and the ledger hold
by themselves (a sweep). Pure: the situation, the base and the ledger's entries go in,
`Dispute` values (model/conflicts.py) come out; run/ records them once and tells the
owner, the head settles them (`inboxbot conflicts settle`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from inboxbot.directory.client import Client
from inboxbot.directory.gazetteer import region_by_code
from inboxbot.directory.holdings import find_group_mentions
from inboxbot.model.conflicts import Dispute
from inboxbot.model.decision import Decision
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.route.conditions.ledger import client_keys
from inboxbot.route.context import Situation
from inboxbot.route.reasons import quoted, who
from inboxbot.rules.model import Rules


def disputes_of(s: Situation, condition: str, decision: Decision) -> tuple[Dispute, ...]:
    """The disputes a forwarded decision reveals: (a) the `addressed` rule gave a client
    to someone other than its owner (by the base, else the ledger); (b) the ledger and the
    base name different owners; (d) a company of a holding goes to someone other than the
    manager who has the group's companies in its federal district."""
    owner = decision.owner
    if not decision.forwards or owner is None:
        return ()
    rules, client = s.rules, s.identity.client
    entry = s.ledger.find(client_keys(s)) if s.ledger is not None else None
    found: list[Dispute] = []
    base_owner = client.manager if client is not None and client.manager in rules.managers else None
    ledger_owner = entry.owner if entry is not None and entry.owner in rules.managers else None
    claimed = base_owner or ledger_owner
    keys = client_keys(s)
    if condition == "addressed" and claimed is not None and claimed != (decision.base_owner or owner):
        label = _client_label(client) if client is not None and base_owner else _entry_label(entry)
        by = "по базе клиентов" if base_owner else "по журналу закреплений"
        found.append(Dispute(
            "addressed", label, (decision.base_owner or owner, claimed),
            f"клиент {label} — {who(rules, claimed)} ({by}), а письмо адресовано {who(rules, owner)} и ушло ему",
            s.msg.message_id, _with_base(client, keys),
        ))  # fmt: skip
    if entry is not None and base_owner is not None and ledger_owner is not None and base_owner != ledger_owner:
        found.append(_ledger_base(rules, entry, base_owner, s.msg.message_id, keys))
    found += _holding(s, decision.base_owner or owner, keys)
    return tuple(found)


def _with_base(client: Client | None, keys: tuple[ClientKey, ...]) -> tuple[ClientKey, ...]:
    """The route's keys, the base client's INN first when the mail did not carry it."""
    inn = ClientKey("inn", client.inn) if client is not None and client.inn else None
    return tuple(dict.fromkeys((inn, *keys) if inn is not None else keys))


def _holding(s: Situation, owner: str, keys: tuple[ClientKey, ...]) -> list[Dispute]:
    region = s.facts.region
    if region is None or not region.district:
        return []
    group = _group_of(s)
    if group is None:
        return []
    members = [c for c in s.rules.clients.group_members(group)
               if c.manager in s.rules.managers and c != s.identity.client and _district(c) == region.district]  # fmt: skip
    # The owner already has a company of the group there, or nobody does: nothing to dispute.
    if not members or any(c.manager == owner for c in members):
        return []
    other = members[0].manager
    assert other is not None
    label = f"группа «{group}», {region.district}"
    return [Dispute(
        "holding", label, (owner, other),
        f"компания группы «{group}» из {region.name} ушла {who(s.rules, owner)}, а компании группы в этом округе "
        f"ведёт {who(s.rules, other)} ({quoted(members[0].name)})",
        s.msg.message_id, _with_base(s.identity.client, keys),
    )]  # fmt: skip


def _group_of(s: Situation) -> str | None:
    client = s.identity.client
    if client is not None:
        return client.group or None
    groups = {c.group for c in s.identity.domain_clients if c.group}
    if len(groups) == 1:
        return next(iter(groups))
    company = s.facts.company
    if company is not None and company.name:
        mentioned = find_group_mentions(company.name, s.rules.groups)
        if mentioned:
            return mentioned[0][0].name
    return None


def _district(client: Client) -> str | None:
    info = region_by_code(client.region_code) if client.region_code else None
    return info.district if info is not None else None


def _client_label(client: Client) -> str:
    return f"{quoted(client.name)}" + (f" (ИНН {client.inn})" if client.inn else "")


def _entry_label(entry: Assignment | None) -> str:
    return entry.key.describe() if entry is not None else "—"


def _ledger_base(rules: Rules, entry: Assignment, base_owner: str, message_id: str = "",
                 keys: tuple[ClientKey, ...] = ()) -> Dispute:  # fmt: skip
    since = entry.since.astimezone(rules.department.timezone)
    return Dispute(
        "ledger_base", entry.key.describe(), (base_owner, entry.owner),
        f"по базе клиентов клиента ведёт {who(rules, base_owner)}, а в журнале закреплений он за "
        f"{who(rules, entry.owner)} с {since:%d.%m.%Y}",
        message_id, tuple(dict.fromkeys((entry.key, *keys))),
    )  # fmt: skip


def base_clients_of(rules: Rules, entry: Assignment) -> tuple[Client, ...]:
    """The base's clients a ledger entry names: by INN, or by the company domain (only
    when the domain stands for one client)."""
    if entry.key.kind == "inn":
        client = rules.clients.by_inn(entry.key.value)
        return (client,) if client is not None else ()
    if entry.key.kind == "domain":
        clients = rules.clients.by_domain(entry.key.value)
        return clients if len(clients) == 1 else ()
    return ()


def ledger_disagreements(rules: Rules, entries: Iterable[Assignment]) -> list[Dispute]:
    """(b) every ledger entry whose client the base gives to another manager."""
    found: list[Dispute] = []
    for entry in entries:
        for client in base_clients_of(rules, entry):
            if client.manager and client.manager != entry.owner:
                found.append(_ledger_base(rules, entry, client.manager))
    return found


def inn_twice(rules: Rules, clients: Iterable[Client]) -> list[Dispute]:
    """(c) an INN under two or more managers in the client base."""
    managers: dict[str, list[Client]] = defaultdict(list)
    for client in clients:
        if client.inn and client.manager:
            managers[client.inn].append(client)
    found: list[Dispute] = []
    for inn, rows in managers.items():
        names = tuple(dict.fromkeys(c.manager for c in rows if c.manager))
        if len(names) > 1:
            lines = ", ".join(f"строка {c.line} — {who(rules, c.manager)}" for c in rows)
            found.append(Dispute("base_twice", f"ИНН {inn}", names, f"{quoted(rows[0].name)}: {lines} ({rows[0].file})",
                                 keys=(ClientKey("inn", inn),)))  # fmt: skip
    return found


def sweep(rules: Rules, entries: Sequence[Assignment]) -> list[Dispute]:
    """The disputes the base and the ledger hold by themselves, no mail needed."""
    return [*inn_twice(rules, rules.clients), *ledger_disagreements(rules, entries)]
