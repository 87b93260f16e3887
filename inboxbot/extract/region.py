"""The sender's region candidates, in trust order: the codes in the sender's INN, KPP and
OGRN, then the gazetteer's reading of own text (an address, a city in the signature,
phone codes, a city in the body) and the client's domain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from inboxbot.directory import gazetteer
from inboxbot.extract.analysis import Analysis
from inboxbot.extract.candidates import Candidate
from inboxbot.extract.context import BANK_LINE
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.findings import Found, evidence_of, found_of
from inboxbot.model.domains import domain_in
from inboxbot.model.facts import Evidence, Region
from inboxbot.model.requisites import kpp_is_largest_taxpayer, ogrn_region_code


def extract_regions(a: Analysis, sender: Candidate | None) -> Extracted[tuple[Region, ...]]:
    """Region candidates, one per (code, how); `sender` is the candidate the sender's
    company came from."""
    regions: list[Region] = []
    if sender is not None:
        f = sender.found
        if sender.inn is not None:
            r = _region(sender.inn.value[:2], "inn", evidence_of(sender.inn, found_of(a.founds, sender.inn) or f), 0.95)
            if r:
                regions.append(r)
        if sender.kpp is not None and not kpp_is_largest_taxpayer(sender.kpp.value):
            r = _region(sender.kpp.value[:2], "kpp", evidence_of(sender.kpp, found_of(a.founds, sender.kpp) or f), 0.9)
            if r:
                regions.append(r)
        if sender.ogrn is not None:
            r = _region(ogrn_region_code(sender.ogrn.value), "ogrn", evidence_of(sender.ogrn, found_of(a.founds, sender.ogrn) or f), 0.85)
            if r:
                regions.append(r)
    regions.extend(_gazetteer_regions(a))
    # One candidate per (code, how), trust order kept.
    seen: set[tuple[str, str]] = set()
    unique: list[Region] = []
    for r in regions:
        if (r.code, r.how) not in seen:
            seen.add((r.code, r.how))
            unique.append(r)
    return Extracted(tuple(unique))


def base_region(code: str | None, evidence: Evidence) -> Region | None:
    """The region the client base gives a client the mail was found to be from: where the
    company is registered, which a branch's or a warehouse's address in the mail is not."""
    return _region(code, "client_base", evidence, 0.97) if code else None


def _region(code: str, how: str, evidence: Evidence | None, confidence: float) -> Region | None:
    """A region candidate, or None for a code that names no subject (00, 99 …)."""
    info = gazetteer.region_by_code(code)
    if info is None:
        return None
    return Region(code=code, name=info.name, district=info.district, how=how, evidence=evidence, confidence=confidence)


def _gazetteer_regions(a: Analysis) -> list[Region]:
    own = [f for f in a.own if f.segment.source != "subject"]
    sig_like = [f for f in own if f.segment.sig or (f.segment.source == "attachment")]
    body_like = [f for f in own if not f.segment.sig and f.segment.source in ("body", "forwarded")]
    phones: list[tuple[Any, Found]] = []
    for f in sig_like + body_like + [f for f in own if f.segment.source == "quote"]:
        for ph in gazetteer.find_phones(f.segment.body):
            if ph.region_code:
                phones.append((ph, f))
    phone_codes = {ph.region_code for ph, _ in phones}
    # One scan per text: the address pass and the prose pass read the same places.
    places = {id(f): gazetteer.find_places(f.segment.body) for f in sig_like + body_like}

    def place_region(f: Found, place: Any, how: str, confidence: float) -> Region | None:
        if _place_in_other_context(f, place.start) or _place_in_a_name(f, place.start):
            return None
        code = _resolve_place(place.region_codes, phone_codes)
        if code is None:
            return None
        ev = f.segment.evidence(place.start + f.segment.start, place.end + f.segment.start)
        return _region(code, how, ev, confidence)

    addr: list[Region] = []
    for f in sig_like + body_like:
        for place in places[id(f)]:
            if not (place.in_address or f.segment.sig or f.segment.source == "attachment"):
                continue
            r = place_region(f, place, "address" if place.in_address else "city", 0.8 if place.in_address else 0.7)
            if r:
                addr.append(r)
    phone_regions: list[Region] = []
    for ph, f in phones:
        ev = f.segment.evidence(ph.start + f.segment.start, ph.end + f.segment.start)
        r = _region(ph.region_code, "phone", ev, 0.5 if ph.ambiguous else 0.6)
        if r:
            phone_regions.append(r)
    city: list[Region] = []
    for f in body_like:
        for place in places[id(f)]:
            if place.in_address:
                continue
            r = place_region(f, place, "city", 0.45)
            if r:
                city.append(r)
    domain: list[Region] = []
    client = a.view.client
    if client is not None and not domain_in(client.domain, a.settings.free) and not domain_in(client.domain, a.settings.internal):
        info = gazetteer.region_by_domain(client.domain)
        if info is not None:
            domain.append(Region(info.code, info.name, info.district, "domain", Evidence("domain", client.domain), 0.4))
    return addr + phone_regions + city + domain


def _resolve_place(codes: Sequence[str], phone_codes: set[str | None]) -> str | None:
    """A city name shared by several regions is settled by a phone code."""
    if not codes:
        return None
    if len(codes) == 1:
        return codes[0]
    both = [c for c in codes if c in phone_codes]
    return both[0] if len(both) == 1 else None


def _place_in_a_name(f: Found, rel_start: int) -> bool:
    """A town inside a company's name says nothing of where the company is: «Сибирская
    Тара» is no Тара, «Ялта Трейд» no Ялта. Inside an organisation the pipeline found, or
    inside quotes on its line."""
    pos = rel_start + f.segment.start
    if any(org.start <= pos < org.end for org in f.orgs):
        return True
    text = f.segment.text
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    if line.count("«") > line.count("»") or line.count('"') % 2 == 1 or line.count("„") > line.count("“"):
        return True
    return bool(_NAME_BEFORE.search(line))


# A company word and up to three capitalised words before the place: «компания Тара Урала».
_NAME_BEFORE = re.compile(
    r"\b(?:компани[яиюей]|фирм[аыеуой]|ООО|ОАО|ЗАО|ПАО|АО|ТД|ГК|ПКФ|НПО)\s+(?:[А-ЯЁA-Z][\w-]*\s+){0,3}$"
)


def _place_in_other_context(f: Found, rel_start: int) -> bool:
    """A place that is where a mentioned company sits («для ГБУЗ … г. Петрозаводска»)
    or a bank's seat is not the sender's."""
    text = f.segment.text
    pos = rel_start + f.segment.start
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[max(line_start, f.segment.start) : pos]
    return bool(BANK_LINE.match(line) or re.search(r"\bбанк\w*|для\s+(?:нашего\s+)?(?:заказчик|клиент)|филиал\w*\s+банка", line, re.IGNORECASE))
