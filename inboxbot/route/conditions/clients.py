"""client_inn, client_domain, client_name: a client of the base goes to its manager."""

from __future__ import annotations

from dataclasses import dataclass, replace

from inboxbot.directory.client import Client
from inboxbot.extract.client_search import describe as describe_mention
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.identity import Identity
from inboxbot.route.reasons import (
    client_where,
    identity_reasons,
    no_manager,
    owner_of_client,
    quoted,
    unused_requisites,
    who,
)
from inboxbot.rules.model import Rules
from inboxbot.rules.options import ConditionOptions, option

AMBIGUITY_CHOICES = ("triage", "next", "head")


@dataclass(frozen=True, slots=True)
class ClientNameOptions(ConditionOptions):
    on_ambiguous: str = option(
        "next", "choice", choices=AMBIGUITY_CHOICES,
        what="название подходит нескольким клиентам: triage — на ручной разбор, next — дальше по правилам, head — руководителю",
    )  # fmt: skip


def _client_match(client: Client, rules: Rules, ident: Identity, detail: str) -> Match | Miss:
    owner = owner_of_client(client, rules)
    if owner is None:
        return Miss(no_manager(client))
    reasons = (*identity_reasons(ident, rules), f"менеджер клиента — {who(rules, owner)}")
    return Match(owner, detail, reasons, client=client.ref())


@condition("client_inn", ConditionOptions)
def client_inn(options: ConditionOptions, s: Situation) -> Match | Miss:
    ident = s.identity
    if ident.inn is None:
        return Miss("; ".join(filter(None, ("действительного ИНН отправителя в письме нет", unused_requisites(s.facts)))))
    if ident.by_inn is None:
        return Miss(f"ИНН {ident.inn.value} в базе нет — новая компания")
    client = ident.by_inn
    return _client_match(client, s.rules, replace(ident, domain_note=""), f"ИНН {ident.inn.value} → {quoted(client.name)}")


@condition("client_domain", ConditionOptions)
def client_domain(options: ConditionOptions, s: Situation) -> Match | Miss:
    ident = s.identity
    if ident.domain is None:
        return Miss("адрес отправителя на бесплатной почте или внутренний")
    if ident.new_inn and ident.inn is not None:
        if ident.domain_clients:
            s.notes.append(
                f"домен {ident.domain} знаком по базе, но ИНН {ident.inn.value} в базе нет — это новая компания"
            )
        return Miss(f"ИНН {ident.inn.value} в базе нет — новая компания, домен не решает")
    if s.rules.clients.is_free_mail(ident.domain):
        return Miss(f"{ident.domain} — бесплатная почта, компанию не определяет")
    if ident.by_domain is None:
        if ident.domain_note:
            s.notes.append(ident.domain_note)
            return Miss(ident.domain_note)
        return Miss(f"домена {ident.domain} в базе нет")
    identity = Identity(domain=ident.domain, by_domain=ident.by_domain, domain_note=ident.domain_note)
    return _client_match(ident.by_domain, s.rules, identity, f"домен {ident.domain} → {quoted(ident.by_domain.name)}")


@condition("client_name", ClientNameOptions)
def client_name(options: ClientNameOptions, s: Situation) -> Match | Miss:
    ident = s.identity
    if ident.name_query is None:
        return Miss("название компании отправителя не найдено")
    if ident.new_inn and ident.inn is not None:
        return Miss(f"ИНН {ident.inn.value} в базе нет — новая компания, название не решает")
    names = ident.names
    if names is None or names.best is None:
        return Miss(f"{quoted(ident.name_query)} в базе клиентов не найдено")
    if names.ambiguous:
        close = [m for m in names.candidates if m.score >= names.candidates[0].score - 5][:3]
        listed = "; ".join(f"{quoted(m.client.name)} ({m.client.city or m.client.region_code or '—'}, {client_where(m.client)})" for m in close)
        note = f"название {quoted(ident.name_query)} подходит нескольким клиентам: {listed}"
        choice = options.on_ambiguous
        if choice == "triage":
            return Match(None, note, (note, "нужно решить вручную"), action="triage")
        if choice == "head":
            head = s.rules.department.head
            return Match(head, note, (note, f"неоднозначно → руководитель {who(s.rules, head)}"))
        s.notes.append(note)
        return Miss(note)
    client = names.best.client
    identity = Identity(name_query=ident.name_query, names=names, named=ident.named)
    if ident.named is not None:
        return _client_match(client, s.rules, identity, describe_mention(ident.named))
    return _client_match(client, s.rules, identity, f"{quoted(ident.name_query)} ≈ {quoted(names.best.matched)} ({names.best.score:.0f})")

