"""ParsedMessage → Facts: who writes (address, company, INN/KPP/OGRN, region, country),
whom they address, which other companies they mention. Pure apart from the lazily
loaded NLP pipeline.

Who the client is (scenario §7): the author of the mail, or — when a colleague of ours
forwards an outside mail (reception@, "пришло на info@") — the author of the forwarded
original. Everything the client wrote (new text, signature, the forwarded original,
their own earlier mail in the quote, their attachments) is "own" text; our managers'
quoted letters and anything naming other companies in an "other" role (their customer,
the brand they resell, their bank) give mentioned companies, never the sender.

Trust order for the sender's INN: signature > body > forwarded original > a requisites
card attached > the client's own quoted mail. An INN is never guessed: a number is taken
only with its label (or inside a requisites block), with valid check digits, not foreign,
and not tied to a company mentioned in an "other" role.

How: `analysis.analyse_mail` reads the mail once (the only step that runs spaCy) into a
frozen `Analysis`; one extractor per kind of fact reads it (`company`, `requisites`,
`country`, `region`, `people`, `traits`), each returning `Extracted(value, notes)`;
`extract_all` composes them and keeps the notes in the order they were made.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from spacy.language import Language

from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.extract.analysis import Analysis, Settings, analyse_mail
from inboxbot.extract.base_company import as_client, known_client, sender_company
from inboxbot.extract.client_search import named_clients
from inboxbot.extract.company import extract_company
from inboxbot.extract.country import extract_country
from inboxbot.extract.nlp import get_pipeline
from inboxbot.extract.people import extract_people
from inboxbot.extract.region import base_region, extract_regions
from inboxbot.extract.requisites import extract_requisites
from inboxbot.extract.traits import extract_language, extract_purchase_law
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.domains import FREE_MAIL_DOMAINS
from inboxbot.model.facts import Company, Evidence, Facts, NamedClient, Region

log = logging.getLogger(__name__)


def extract_all(a: Analysis, clients: ClientDictionary | None = None) -> Facts:
    """Facts about one analysed mail: each kind of fact by its own extractor, the notes
    in the order they were made (the analysis's, then the company's, the country's, the
    requisites'), each once. With `clients` (the client base's dictionary) the clients the
    mail names as its sender are found too, and the sender's company takes the base's
    name when they are one (base_company)."""
    company = extract_company(a)
    sender = company.value.sender
    requisites = extract_requisites(a, sender)
    country = extract_country(a, company.value.company)
    code = country.value.code
    regions = extract_regions(a, sender).value if code in (None, "RU") else ()
    named = named_clients(a, clients) if clients is not None else ()
    found, base = _base_client(a, company.value.company, named, clients)
    if base is not None and code in (None, "RU") and _base_region_holds(base, named, regions):
        regions = (base, *regions)
    if regions and code is None:
        code = "RU"
    if found is not None and code not in (None, "RU"):
        found = replace(found, country=code)
    view = a.view
    notes = (*a.notes, *company.notes, *country.notes, *requisites.notes)
    return Facts(
        client_address=view.client,
        forwarded_by=view.forwarded_by,
        company=found,
        mentioned_companies=company.value.mentioned,
        requisites=requisites.value.taken,
        unused_requisites=requisites.value.unused,
        region=regions[0] if regions else None,
        region_candidates=regions,
        country=code,
        people=extract_people(a).value,
        named_clients=named,
        purchase_law=extract_purchase_law(a).value,
        language=extract_language(a).value,
        new_text=view.parts.new_text,
        signature=view.parts.signature_text,
        quoted=view.parts.quoted_text,
        notes=tuple(dict.fromkeys(notes)),
    )


def _base_client(
    a: Analysis, company: Company | None, named: tuple[NamedClient, ...], clients: ClientDictionary | None
) -> tuple[Company | None, Region | None]:
    """The sender's company under the base's name, and the base's region of that client,
    when the mail names the client (named_clients) or the base knows it by the company's
    INN or the sender's domain (base_company)."""
    found = sender_company(company, named)
    if named:
        one = named[0]
        region = base_region(one.region_code, one.evidence) if len(named) == 1 and found is not None and found.name == one.name else None
        return found, region
    known = known_client(company, a.view.client, clients.lookup, a.settings.free, a.settings.internal) if clients is not None else None
    if known is None:
        return found, None
    client, evidence = known
    return as_client(found, client, evidence), base_region(client.region_code, Evidence("client_base", client.name, detail=evidence.detail))


def _base_region_holds(base: Region, named: tuple[NamedClient, ...], regions: tuple[Region, ...]) -> bool:
    """The base's region goes first when the base knows the client by INN or domain; a
    client found only by its name keeps it only when the mail shows no region or shows that
    one too: a name is near other clients' names, and the mail's own region is what tells
    «Полимер-Пак» of Kazan from «ПолимерПак» of Novosibirsk (route.identity)."""
    return not named or not regions or any(r.code == base.code for r in regions)


class Extractor:
    """Holds the NLP pipeline (loaded once); `extract` is a pure function of the mail."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or get_pipeline()

    def extract(
        self,
        msg: ParsedMessage,
        *,
        internal_domains: Sequence[str] = (),
        shared_addresses: Sequence[str] = (),
        free_mail_domains: Sequence[str] | None = None,
        own_company_names: Sequence[str] = (),
        clients: ClientDictionary | None = None,
    ) -> Facts:
        """Facts about one mail. Never raises: a failure inside is logged and named in
        Facts.notes, and whatever was found before it is still returned where possible.
        `shared_addresses` is accepted for the callers' sake; no fact depends on it.
        `clients`: the client base's dictionary, to find the clients the mail names."""
        free = tuple(free_mail_domains) if free_mail_domains is not None else FREE_MAIL_DOMAINS
        settings = Settings(tuple(internal_domains), free, tuple(own_company_names))
        try:
            return extract_all(analyse_mail(self.nlp, msg, settings), clients)
        except Exception as exc:  # a bug met by an odd mail must not lose the mail
            log.exception("extraction failed for %s", msg.message_id)
            return Facts(
                client_address=msg.sender,
                new_text=msg.text[:2000],
                notes=(f"разбор письма не удался: {type(exc).__name__}: {exc}",),
            )


@lru_cache(maxsize=1)
def _default_extractor() -> Extractor:
    return Extractor()


def extract_facts(msg: ParsedMessage, **kw: Any) -> Facts:
    """`Extractor().extract(msg, **kw)` with one lazily built, process-wide Extractor."""
    return _default_extractor().extract(msg, **kw)
