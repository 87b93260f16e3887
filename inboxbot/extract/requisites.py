"""The requisites facts: the sender's INN/KPP/OGRN first (from its company), then every
other identifier the mail carries, each once, with its evidence; and every number that
looked like an identifier but was not taken, with its reason (a note and an
`UnusedRequisite` the decision's explanation shows)."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.extract.analysis import Analysis
from inboxbot.extract.candidates import Candidate
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.findings import evidence_of, found_of
from inboxbot.model.facts import Requisite, UnusedRequisite

# Why a number was not taken, as the note says it.
_REJECTED = {
    "checksum": "не проходит проверку контрольных цифр — не использован",
    "foreign": "иностранный идентификатор, не российский ИНН",
    "length": "неверной длины для ИНН — не использован",
    "format": "неверного формата — не использован",
}
_OURS_QUOTE = "из цитаты письма нашего менеджера — не использован"
_OURS = "— ИНН нашей компании (есть в письме нашего менеджера), не использован"


@dataclass(frozen=True, slots=True)
class RequisitesFacts:
    """The identifiers taken, and those shown in the mail but not taken."""

    taken: tuple[Requisite, ...]
    unused: tuple[UnusedRequisite, ...]


def extract_requisites(a: Analysis, sender: Candidate | None) -> Extracted[RequisitesFacts]:
    """Requisites of one mail; `sender` is the candidate the sender's company came from."""
    result: list[Requisite] = []
    seen: set[tuple[str, str]] = set()
    for hit in sender.identifiers if sender is not None else ():
        key = (hit.kind, hit.value)
        if key not in seen:
            seen.add(key)
            result.append(Requisite(hit.kind, hit.value, evidence_of(hit, found_of(a.founds, hit)), hit.labelled))
    for f in a.founds:
        for hit in f.numbers:
            key = (hit.kind, hit.value)
            if key in seen:
                continue
            seen.add(key)
            result.append(Requisite(hit.kind, hit.value, f.segment.evidence(hit.start, hit.end), hit.labelled))
    unused = _unused(a, sender)
    return Extracted(RequisitesFacts(tuple(result), unused), tuple(u.note for u in unused))


def _unused(a: Analysis, sender: Candidate | None) -> tuple[UnusedRequisite, ...]:
    """Own text's rejected numbers, our managers' identifiers in the quote, and our
    identifiers repeated in the client's text (not taken as the sender's), each once."""
    result: dict[tuple[str, str], UnusedRequisite] = {}
    ours: dict[str, UnusedRequisite] = {}
    for f in a.founds:
        for hit in f.rejected:
            label = (hit.label or hit.kind.upper()).strip()
            evidence = f.segment.evidence(hit.start, hit.end)
            if hit.reason == "ours" and hit.kind == "inn":
                ours.setdefault(hit.value, UnusedRequisite(hit.kind, hit.value, _OURS_QUOTE, evidence, label))
            elif f.segment.own and hit.reason in _REJECTED:
                result.setdefault((hit.kind, hit.value), UnusedRequisite(hit.kind, hit.value, _REJECTED[hit.reason], evidence, label))
    mine = {h.value for h in sender.identifiers} if sender is not None else set()
    for f in a.own:
        for hit in f.numbers:
            if hit.kind == "inn" and hit.value in ours and hit.value not in mine:
                evidence = f.segment.evidence(hit.start, hit.end)
                result.setdefault(("inn", hit.value), UnusedRequisite("inn", hit.value, _OURS, evidence, "ИНН"))
    for value, quoted in ours.items():
        if value not in mine:
            result.setdefault(("inn", value), quoted)
    return tuple(result.values())
