"""The short Russian phrases that explain a decision: who, which company, where from."""

from __future__ import annotations

import re

from inboxbot.directory.client import Client
from inboxbot.extract.client_search import describe as describe_mention
from inboxbot.model.facts import Facts, Requisite
from inboxbot.route.identity import Identity
from inboxbot.rules.model import Rules
from inboxbot.rules.regions import region_info


def who(rules: Rules, manager_id: str | None) -> str:
    return rules.manager_name(manager_id)


def quoted(name: str | None) -> str:
    """A company name in «» unless it already carries them."""
    if not name:
        return "«—»"
    if "«" in name or "\"" in name or re.match(r"(ИП|IP)\s", name):
        return name
    return f"«{name}»"


def client_where(client: Client) -> str:
    return f"{client.file}, строка {client.line}"


def inn_reason(req: Requisite) -> str:
    label = "ИНН" if len(req.value) == 10 else "ИНН ИП"
    return f"{label} {req.value} ({req.evidence.describe()})"


def owner_of_client(client: Client, rules: Rules) -> str | None:
    return client.manager if client.manager in rules.managers else None


def no_manager(client: Client) -> str:
    if not client.manager:
        return f"у клиента {quoted(client.name)} ({client_where(client)}) не указан менеджер"
    return f"менеджер «{client.manager}» клиента {quoted(client.name)} ({client_where(client)}) не описан в правилах"


def region_words(code: str | None) -> str:
    info = region_info(code)
    name = getattr(info, "name", "") if info is not None else ""
    return f"{code} {name}".strip() if code else "—"

def unused_requisites(facts: Facts) -> str:
    """Why the identifiers the mail shows were not used, joined for one line; empty when
    it shows none."""
    return "; ".join(u.note for u in facts.unused_requisites)


def nobody_known(facts: Facts) -> str:
    """The pool's first reason: nothing identified — and, when the mail shows numbers
    that look like an INN, why each was not used (a manager who sees an INN in the mail
    must not read that nothing was there)."""
    unused = unused_requisites(facts)
    base = "ни клиента, ни региона определить не удалось"
    return f"{base}: {unused}" if unused else base


def identity_reasons(ident: Identity, rules: Rules) -> list[str]:
    client = ident.client
    if client is None:
        return []
    where = client_where(client)
    if ident.how == "inn" and ident.inn is not None:
        return [inn_reason(ident.inn), f"{quoted(client.name)} — клиент из базы ({where})"]
    if ident.how == "domain":
        extra = f"; {ident.domain_note}" if ident.domain_note else ""
        return [f"домен отправителя {ident.domain} — клиент {quoted(client.name)} ({where}){extra}"]
    if ident.how == "name" and ident.named is not None:
        return [describe_mention(ident.named)]
    if ident.how == "name" and ident.names is not None and ident.names.best is not None:
        best = ident.names.best
        return [f"название {quoted(ident.name_query)} в письме ≈ {quoted(best.matched)} — клиент из базы ({where})"]
    return []

