"""The sender's company as the client base names it.

When the base's own name forms find the sender's client in the mail (client_search), the
mail's spelling of the company — an abbreviation («УХС»), a display name in Latin
(«Kubanskie Konservy - Zakupki»), an oblique case, or nothing at all — gives way to the
base's name, which is what the manager knows the client by. The identifiers the mail
shows stay the mail's: an INN is never taken from the base. A company whose own INN is
not the named client's is another company, and stays as the mail gives it.
"""

from __future__ import annotations

import re

from inboxbot.directory.names import innermost_quoted
from inboxbot.extract.forms import ABBREVIATIONS, is_public_form
from inboxbot.model.facts import Company, NamedClient

_FORM = re.compile(r"^\s*([А-ЯЁA-Z]{2,6})\b\s*(.*)$")
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
    form, core = split_name(client.name)
    public = is_public_form(form)
    if company is None:
        return Company(client.name, core, form, evidence=(client.evidence,), confidence=0.6, public_sector=public)
    return Company(
        client.name,
        core,
        form or company.legal_form,
        inn=company.inn,
        kpp=company.kpp,
        ogrn=company.ogrn,
        country=company.country,
        evidence=(client.evidence, *company.evidence),
        confidence=max(company.confidence, 0.6),
        public_sector=public or company.public_sector,
    )
