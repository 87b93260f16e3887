"""client_inn, client_domain, client_name: a client of the base goes to its manager."""

from __future__ import annotations

from dataclasses import replace

from inboxbot.directory.clients import Client
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.identity import Identity
from inboxbot.route.reasons import client_where, identity_reasons, no_manager, owner_of_client, quoted, who
from inboxbot.rules.model import Rules, RuleSpec


def _client_match(client: Client, spec: RuleSpec, rules: Rules, ident: Identity, detail: str) -> Match | Step:
    owner = owner_of_client(client, rules)
    if owner is None:
        return Step(spec.id, False, no_manager(client))
    reasons = (*identity_reasons(ident, rules), f"менеджер клиента — {who(rules, owner)}")
    return Match(owner, detail, reasons, client=client.ref())


def cond_client_inn(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.inn is None:
        return Step(spec.id, False, "действительного ИНН отправителя в письме нет")
    if ident.by_inn is None:
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания")
    client = ident.by_inn
    return _client_match(client, spec, rules, replace(ident, domain_note=""), f"ИНН {ident.inn.value} → {quoted(client.name)}")


def cond_client_domain(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.domain is None:
        return Step(spec.id, False, "адрес отправителя на бесплатной почте или внутренний")
    if ident.new_inn and ident.inn is not None:
        if ident.domain_clients:
            ctx.notes.append(
                f"домен {ident.domain} знаком по базе, но ИНН {ident.inn.value} в базе нет — это новая компания"
            )
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания, домен не решает")
    if rules.clients.is_free_mail(ident.domain):
        return Step(spec.id, False, f"{ident.domain} — бесплатная почта, компанию не определяет")
    if ident.by_domain is None:
        if ident.domain_note:
            ctx.notes.append(ident.domain_note)
            return Step(spec.id, False, ident.domain_note)
        return Step(spec.id, False, f"домена {ident.domain} в базе нет")
    identity = Identity(domain=ident.domain, by_domain=ident.by_domain, domain_note=ident.domain_note)
    return _client_match(ident.by_domain, spec, rules, identity, f"домен {ident.domain} → {quoted(ident.by_domain.name)}")


def cond_client_name(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.name_query is None:
        return Step(spec.id, False, "название компании отправителя не найдено")
    if ident.new_inn and ident.inn is not None:
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания, название не решает")
    names = ident.names
    if names is None or names.best is None:
        return Step(spec.id, False, f"{quoted(ident.name_query)} в базе клиентов не найдено")
    if names.ambiguous:
        close = [m for m in names.candidates if m.score >= names.candidates[0].score - 5][:3]
        listed = "; ".join(f"{quoted(m.client.name)} ({m.client.city or m.client.region_code or '—'}, {client_where(m.client)})" for m in close)
        note = f"название {quoted(ident.name_query)} подходит нескольким клиентам: {listed}"
        choice = spec.options.get("on_ambiguous", "next")
        if choice == "triage":
            return Match(None, note, (note, "нужно решить вручную"), action="triage")
        if choice == "head":
            head = rules.department.head
            return Match(head, note, (note, f"неоднозначно → руководитель {who(rules, head)}"))
        ctx.notes.append(note)
        return Step(spec.id, False, note)
    client = names.best.client
    identity = Identity(name_query=ident.name_query, names=names)
    return _client_match(client, spec, rules, identity, f"{quoted(ident.name_query)} ≈ {quoted(names.best.matched)} ({names.best.score:.0f})")

