"""The sender's country: RU with Russian evidence, an ISO code for a foreign sender
(domain, international phone numbers, foreign place names), None when unknown. A valid
Russian INN of the sender outweighs any foreign hint."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inboxbot.directory import gazetteer
from inboxbot.extract.analysis import Analysis
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.forms import FOREIGN_SUFFIXES
from inboxbot.model.domains import domain_in
from inboxbot.model.facts import Company, Evidence

_FOREIGN_WORDS: tuple[tuple[str, str], ...] = (
    (r"Узбекистан\w*|Uzbekistan|Ташкент\w*|Tashkent|Самарканд\w*|Samarkand|Бухар\w+|Bukhara|Uzbek", "UZ"),
    (r"Казахстан\w*|Kazakhstan|Алматы|Almaty|Астан\w+|Astana|Шымкент\w*|Караганд\w+|Kazakh", "KZ"),
    (r"Беларус\w*|Белорусси\w+|Belarus|Минск\w*|Minsk|Гомел\w+|Брест\w*", "BY"),
    (r"Кыргызстан\w*|Киргизи\w+|Kyrgyzstan|Бишкек\w*|Bishkek", "KG"),
    (r"Армени\w+|Armenia|Ереван\w*|Yerevan", "AM"),
    (r"Азербайджан\w*|Azerbaijan|Баку|Baku", "AZ"),
    (r"Таджикистан\w*|Tajikistan|Душанбе|Dushanbe", "TJ"),
    (r"Грузи[яи]|Georgia|Тбилиси|Tbilisi", "GE"),
    (r"Китай|Китая|China|Shanghai|Shenzhen|Guangzhou|Beijing", "CN"),
    (r"Турци\w+|Turkey|Türkiye|Istanbul|Стамбул\w*", "TR"),
    (r"Германи\w+|Germany|Deutschland", "DE"),
    (r"Монголи\w+|Mongolia|Улан-Батор\w*|Ulaanbaatar", "MN"),
)
_FOREIGN_RE = tuple((re.compile(rf"\b(?:{p})\b"), c) for p, c in _FOREIGN_WORDS)
_PHONE_COUNTRY = (
    ("998", "UZ"), ("996", "KG"), ("995", "GE"), ("994", "AZ"), ("992", "TJ"), ("993", "TM"),
    ("380", "UA"), ("375", "BY"), ("374", "AM"), ("373", "MD"), ("372", "EE"), ("371", "LV"),
    ("370", "LT"), ("86", "CN"), ("90", "TR"), ("49", "DE"), ("976", "MN"),
)  # fmt: skip


def _phone_countries(text: str) -> list[tuple[str, int, int]]:
    """(ISO code, start, end) of foreign international numbers; +7 7xx is Kazakhstan."""
    found: list[tuple[str, int, int]] = []
    for m in re.finditer(r"(?<![\d+])\+\s?(\d[\d\s()\-]{7,18}\d)", text):
        digits = re.sub(r"\D", "", m.group(1))
        if digits.startswith("77") and len(digits) == 11:
            found.append(("KZ", m.start(), m.end()))
            continue
        if digits.startswith("7"):
            continue
        for prefix, code in _PHONE_COUNTRY:
            if digits.startswith(prefix):
                found.append((code, m.start(), m.end()))
                break
    return found


@dataclass(frozen=True, slots=True)
class Country:
    """An ISO code (None when unknown) and the evidence for a foreign one."""

    code: str | None
    evidence: Evidence | None = None


def extract_country(a: Analysis, company: Company | None) -> Extracted[Country]:
    """The sender's country, with a note naming the evidence when it is foreign."""
    country = _country(a, company)
    if country.evidence is not None and country.code not in (None, "RU"):
        return Extracted(country, (f"иностранная компания ({country.code}): {country.evidence.text}",))
    return Extracted(country)


def _country(a: Analysis, company: Company | None) -> Country:
    if company is not None and company.inn:
        return Country("RU")
    votes: dict[str, float] = {}
    first_ev: dict[str, Evidence] = {}
    client = a.view.client
    if client is not None and not domain_in(client.domain, a.settings.free):
        code = gazetteer.country_by_domain(client.domain)
        if code and code != "RU":
            votes[code] = votes.get(code, 0) + 2.0
            first_ev.setdefault(code, Evidence("domain", client.domain))
    for f in a.own:
        seg = f.segment
        if seg.source in ("quote", "attachment"):
            continue
        for code, s, e in _phone_countries(seg.body):
            votes[code] = votes.get(code, 0) + 1.5
            first_ev.setdefault(code, seg.evidence(s + seg.start, e + seg.start))
        for pattern, code in _FOREIGN_RE:
            for m in pattern.finditer(seg.body):
                votes[code] = votes.get(code, 0) + 1.0
                first_ev.setdefault(code, seg.evidence(m.start() + seg.start, m.end() + seg.start))
                break
    if company is not None and company.legal_form in FOREIGN_SUFFIXES:
        for code in votes:
            votes[code] += 0.5
    if not votes:
        return Country(None)
    code = max(votes, key=lambda c: votes[c])
    # A foreign city named as a delivery destination by a Russian company is not enough.
    if votes[code] < 2.0 and _russian_evidence(a):
        return Country("RU")
    return Country(code, first_ev.get(code))


def _russian_evidence(a: Analysis) -> bool:
    """A Russian phone number in own text other than quotes."""
    for f in a.own:
        if f.segment.source in ("quote",):
            continue
        for ph in gazetteer.find_phones(f.segment.body):
            if ph.region_code:
                return True
    return False
