"""The sender's company as the client base names it.

When the base's own name forms find the sender's client in the mail (client_search), the
mail's spelling of the company — an abbreviation («УХС»), a display name in Latin
(«Kubanskie Konservy - Zakupki»), an oblique case, or nothing at all — gives way to the
base's name, which is what the manager knows the client by. The identifiers the mail
shows stay the mail's: an INN is never taken from the base. A company whose own INN is
not the named client's is another company, and stays as the mail gives it.

When the text names no client, the base may still know the sender (`known_sender`): by the
INN the mail shows for the company (the same legal entity, whatever the mail calls it —
«ООО „УХС“» for «Уралхимснаб»), or, when the mail names no company at all, by the sender's
own domain — only a domain that stands for exactly one client, never a free-mail one. The
company's evidence then says so (source "client_base" or "domain", with the base's file
and line).
"""

from __future__ import annotations

import re

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import ClientLookup
from inboxbot.directory.names import innermost_quoted
from inboxbot.extract.forms import ABBREVIATIONS, is_public_form
from inboxbot.mail.message import Address
from inboxbot.model.domains import domain_in, normalize_domain, parent_domains
from inboxbot.model.facts import Company, Evidence, NamedClient

_FORM = re.compile(r"^\s*([А-ЯЁA-Z][А-ЯЁA-Zа-яё]{1,5})\b\s*(.*)$")
_QUOTES = " «»\"'„“”"


def split_name(name: str) -> tuple[str | None, str]:
    """(legal form, core) of a base name: «АО «Вологодский молочный комбинат»» →
    («АО», «Вологодский молочный комбинат»); a name without a known form → (None, name)."""
    match = _FORM.match(name)
    form = match.group(1) if match and match.group(1) in ABBREVIATIONS else None
    rest = match.group(2) if form is not None and match else name
    core = innermost_quoted(rest) if form is not None else None
    return form, (core or rest).strip(_QUOTES) or name


def sender_company(company: Company | None, named: tuple[NamedClient, ...]) -> Company | None:
    """The company with the base's name when the mail names exactly one client as its
    sender and nothing the mail shows contradicts it (module docstring)."""
    if len(named) != 1:
        return company
    client = named[0]
    if company is not None and company.inn and client.inn and company.inn != client.inn:
        return company
    return _as_client(company, client.name, client.evidence)

def known_client(
    company: Company | None, address: Address | None, lookup: ClientLookup, free: tuple[str, ...], internal: tuple[str, ...]
) -> tuple[Client, Evidence] | None:
    """The client the base knows the sender as, with the evidence: by the company's own
    INN, or — the mail naming no company — by the sender's domain (module docstring)."""
    if company is not None:
        client = lookup.by_inn(company.inn) if company.inn else None
        return (client, Evidence("client_base", company.inn or "", detail=_row(client))) if client is not None else None
    domain = normalize_domain(address.domain) if address is not None and "@" in address.email else ""
    if not domain or domain_in(domain, free) or domain_in(domain, internal):
        return None
    clients = domain_clients(lookup, domain)
    if len(clients) != 1:
        return None  # a domain shared by several clients (a holding's) names none of them
    return clients[0], Evidence("domain", domain, detail=_row(clients[0]))


def as_client(company: Company | None, client: Client, evidence: Evidence) -> Company:
    """The company under the base's name (the mail's identifiers kept)."""
    if company is not None and company.name == client.name:
        return company
    return _as_client(company, client.name, evidence)


def domain_clients(lookup: ClientLookup, domain: str) -> tuple[Client, ...]:
    """Clients of a domain at the most specific level that has any (mail.x.ru finds x.ru)."""
    for candidate in parent_domains(domain):
        found = lookup.at_domain(candidate)
        if found:
            return found
    return ()


def _row(client: Client) -> str:
    return f"{client.file}, строка {client.line}"


def _as_client(company: Company | None, name: str, evidence: Evidence) -> Company:
    form, core = split_name(name)
    public = is_public_form(form)
    if company is None:
        return Company(name, core, form, evidence=(evidence,), confidence=0.6, public_sector=public)
    return Company(
        name,
        core,
        form or company.legal_form,
        inn=company.inn,
        kpp=company.kpp,
        ogrn=company.ogrn,
        country=company.country,
        evidence=(evidence, *company.evidence),
        confidence=max(company.confidence, 0.6),
        public_sector=public or company.public_sector,
    )
