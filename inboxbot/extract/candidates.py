"""Candidates for the sender's company: an organisation the client names in own text, how
far it is trusted, and the identifiers that stand with it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from inboxbot.directory.names import name_key
from inboxbot.extract.findings import Found
from inboxbot.extract.numbers import NumberHit
from inboxbot.extract.orgs import OrgMention
from inboxbot.extract.segments import Segment

IDENTIFIER_KINDS = ("inn", "kpp", "ogrn")


@dataclass(frozen=True, slots=True)
class Candidate:
    """An organisation that may be the sender's: where it was found, its role
    (self | neutral), its score, and the identifiers paired with it."""

    org: OrgMention
    found: Found
    context: str
    score: float
    inn: NumberHit | None = None
    kpp: NumberHit | None = None
    ogrn: NumberHit | None = None

    @property
    def identifiers(self) -> tuple[NumberHit, ...]:
        """INN, KPP, OGRN, those present."""
        return tuple(h for h in (self.inn, self.kpp, self.ogrn) if h is not None)


def identifier_kind(hit: NumberHit) -> str:
    """inn | kpp | ogrn: an OGRNIP counts as the OGRN."""
    return "ogrn" if hit.kind == "ogrnip" else hit.kind


def candidate(found: Found, index: int, org: OrgMention, context: str, pairs: dict[int, int]) -> Candidate:
    """The candidate for `org` (the `index`-th of `found.orgs`), with the first identifier
    of each kind paired with it."""
    ids: dict[str, NumberHit] = {}
    for ni, num in enumerate(found.numbers):
        if pairs.get(ni) == index:
            ids.setdefault(identifier_kind(num), num)
    return Candidate(org, found, context, base_score(found.segment, org, context), ids.get("inn"), ids.get("kpp"), ids.get("ogrn"))


def lines_between(text: str, a: int, b: int) -> int:
    return text.count("\n", min(a, b), max(a, b))


def pair_numbers(found: Found, orgs: Sequence[OrgMention]) -> dict[int, int]:
    """number index → org index: the organisation an identifier belongs to — the nearest
    one before it on the same line or up to three lines above (a card), or right after
    it on the same line ("ИНН 7707083893 ООО «Ромашка»" is rare but seen)."""
    text = found.segment.text
    result: dict[int, int] = {}
    for ni, num in enumerate(found.numbers):
        best: tuple[int, int] | None = None
        for oi, org in enumerate(orgs):
            if org.end <= num.start:
                lines = lines_between(text, org.end, num.start)
                if lines <= 3:
                    # A requisites line after an unrelated sentence is not the org's.
                    dist = num.start - org.end
                    if best is None or dist < best[0]:
                        best = (dist, oi)
        if best is None:
            for oi, org in enumerate(orgs):
                if org.start >= num.end and lines_between(text, num.end, org.start) == 0:
                    best = (org.start - num.end, oi)
                    break
        if best is not None:
            result[ni] = best[1]
    return result


def merge_same(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per company name: «ООО „Альфа“, ИНН …» in the body and «ООО „Альфа“»
    in the signature are the same company, seen twice (which adds to its score)."""
    merged: dict[str, Candidate] = {}
    for cand in candidates:
        key = name_key(cand.org.core) or f"#{id(cand)}"
        have = merged.get(key)
        if have is None:
            merged[key] = cand
            continue
        keep, other = (have, cand) if have.score >= cand.score else (cand, have)
        merged[key] = replace(
            keep,
            score=keep.score + 0.5,
            inn=keep.inn if keep.inn is not None else other.inn,
            kpp=keep.kpp if keep.kpp is not None else other.kpp,
            ogrn=keep.ogrn if keep.ogrn is not None else other.ogrn,
        )
    return list(merged.values())


def near(found: Found, hit: NumberHit, inn: NumberHit) -> bool:
    """Whether a KPP/OGRN stands within three lines of the INN (in the same text)."""
    text = found.segment.text
    if not (0 <= inn.start < len(text) and text[inn.start : inn.end] == inn.value):
        return False
    return lines_between(text, inn.end, hit.start) <= 3


_OTHER_NUMBER = re.compile(
    r"заказчик\w*|клиент\w*|конечн\w+|получател\w+\s+(?!платеж)|поставщик\w*|банк\w*|производител\w*|"
    r"контрагент\w*|покупател(?:ей|я\s+нашего)|партн[её]р\w*",
    re.IGNORECASE,
)


def other_number_context(f: Found, num: NumberHit) -> bool:
    """«ИНН заказчика 3601006669», «ИНН банка …»: someone else's identifier."""
    text = f.segment.text
    line_start = max(text.rfind("\n", 0, num.start) + 1, f.segment.start)
    return bool(_OTHER_NUMBER.search(text[max(line_start, num.start - 60) : num.start]))


def base_score(seg: Segment, org: OrgMention, context: str) -> float:
    score = seg.weight
    if org.legal_form:
        score += 1.0
    elif org.source == "quoted":
        score += 0.2
    if context == "self":
        score += 1.5
    elif context == "neutral" and not org.legal_form:
        score -= 1.0  # a bare quoted name with no role is most often a product or brand
    return score
