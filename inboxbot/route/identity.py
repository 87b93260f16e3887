"""Who writes: the sender's company as the client base knows it, worked out once per mail
and shared by the client, VIP, public-sector and group rules, so all of them agree on it —
and so does the explanation."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.directory.client import Client
from inboxbot.directory.clients import NameLookup, NameMatch
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.domains import domain_in, normalize_domain
from inboxbot.model.facts import Facts, NamedClient, Requisite
from inboxbot.model.requisites import is_valid_inn
from inboxbot.rules.model import Rules


@dataclass(frozen=True)
class Identity:
    """The sender's company as the client base knows it. Reliability: INN > domain > name."""

    inn: Requisite | None = None
    by_inn: Client | None = None
    domain: str | None = None
    domain_clients: tuple[Client, ...] = ()
    by_domain: Client | None = None
    domain_note: str = ""
    name_query: str | None = None
    names: NameLookup | None = None
    # The client named in the mail as the sender by one of the base's own name forms, when
    # the extracted company name found none (Facts.named_clients): `names` then holds it.
    named: NamedClient | None = None

    @property
    def new_inn(self) -> bool:
        """A valid INN of the sender that the base does not know: a new company."""
        return self.inn is not None and self.by_inn is None

    @property
    def by_name(self) -> Client | None:
        if self.names is None or self.names.best is None or self.names.ambiguous:
            return None
        return self.names.best.client

    @property
    def client(self) -> Client | None:
        if self.by_inn is not None:
            return self.by_inn
        if self.new_inn:
            return None
        return self.by_domain or self.by_name

    @property
    def how(self) -> str | None:
        if self.by_inn is not None:
            return "inn"
        if self.new_inn:
            return None
        if self.by_domain is not None:
            return "domain"
        return "name" if self.by_name is not None else None


def sender_inn(facts: Facts) -> Requisite | None:
    """The sender's own valid INN: the company's, or a lone labelled INN that belongs to no
    mentioned company (not from a quote, where our own requisites may stand)."""
    if facts.inn is not None and is_valid_inn(facts.inn.value):
        return facts.inn
    if facts.company is not None and facts.company.inn and is_valid_inn(facts.company.inn):
        for req in facts.requisites:
            if req.kind == "inn" and req.value == facts.company.inn:
                return req
    others = {c.inn for c in facts.mentioned_companies if c.inn}
    if facts.company is not None and facts.company.inn:
        return None
    for req in facts.requisites:
        if req.kind == "inn" and req.value not in others and req.evidence.source != "quote" and is_valid_inn(req.value):
            return req
    return None


def sender_domain(msg: ParsedMessage, facts: Facts, rules: Rules) -> str | None:
    address = facts.client_address or msg.sender
    if address is None or "@" not in address.email:
        return None
    domain = normalize_domain(address.domain)
    if is_internal(domain, rules):
        return None
    return domain


def is_internal(domain: str, rules: Rules) -> bool:
    return domain_in(domain, rules.department.internal_domains)


def identify(msg: ParsedMessage, facts: Facts, rules: Rules) -> Identity:
    base = rules.clients
    inn = sender_inn(facts)
    by_inn = base.by_inn(inn.value) if inn is not None else None
    domain = sender_domain(msg, facts, rules)
    domain_clients: tuple[Client, ...] = base.by_domain(domain) if domain else ()
    name_query = _written_name(facts)
    names: NameLookup | None = None
    if name_query:
        region = facts.region.code if facts.region is not None else None
        names = base.by_name(name_query, region_code=region)
    named: NamedClient | None = None
    # Only when neither the INN, nor a domain of its own, nor another name decides (the
    # extracted company carries the base's name when extraction found the client by it):
    # then the explanation says where in the mail the client was named.
    lookup = _lookup_of(facts.named_clients, rules) if inn is None and len(domain_clients) != 1 else None
    if lookup is not None and lookup.best is not None and (names is None or names.best is None or names.best.client == lookup.best.client):
        names, named = lookup, facts.named_clients[0]
        name_query = named.evidence.text
    by_domain, note = _domain_client(domain, domain_clients, names, rules)
    return Identity(inn, by_inn, domain, domain_clients, by_domain, note, name_query, names, named)


def _written_name(facts: Facts) -> str | None:
    """The sender's company as the mail writes it: extraction gives the base's name when it
    found the client by one of the base's forms, and the look-up and its explanation go by
    the mail's own words («Полимер Пак» may be nearer another client than the one whose
    form it matched)."""
    company = facts.company
    if company is None or not company.name:
        return None
    if facts.named_clients and company.name == facts.named_clients[0].name:
        return facts.named_clients[0].evidence.text
    return company.name


def _lookup_of(named: tuple[NamedClient, ...], rules: Rules) -> NameLookup | None:
    """The clients extraction found named as the sender, as a name look-up (ambiguous when
    several claim it equally), or None when the mail names no client of this base."""
    matches = tuple(
        NameMatch(client, m.score, m.form)
        for m in named
        if (client := rules.clients.at_line(m.file, m.line)) is not None and client.name == m.name
    )
    if not matches:
        return None
    return NameLookup(best=matches[0], candidates=matches, ambiguous=len(matches) > 1)


def _domain_client(
    domain: str | None, clients: tuple[Client, ...], names: NameLookup | None, rules: Rules
) -> tuple[Client | None, str]:
    """The one client a sender domain stands for, if it stands for one. A domain shared by
    an independent holding's companies does not name a client by itself."""
    if not domain or not clients:
        return None, ""
    shared_group = next(
        (g for g in rules.groups if g.policy == "independent" and domain_in(domain, g.domains)), None
    )
    named = {m.client for m in names.candidates} if names is not None else set()
    if len(clients) == 1 and shared_group is None:
        return clients[0], ""
    among = [c for c in clients if c in named]
    if len(among) == 1:
        return among[0], f"домен {domain} общий для {len(clients)} клиентов, выбран по названию"
    managers = {c.manager for c in clients}
    groups = {c.group for c in clients}
    independent = shared_group is not None or any(
        g.policy == "independent" for g in rules.groups if g.name in groups
    )
    if len(managers) == 1 and not independent:
        return clients[0], f"домен {domain} общий для {len(clients)} клиентов одного менеджера"
    who = f"холдинга «{shared_group.name}»" if shared_group else "разных менеджеров"
    return None, f"домен {domain} общий для компаний {who} — сам по себе клиента не определяет"



