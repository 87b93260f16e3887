"""The requisites facts: the sender's INN/KPP/OGRN first (from its company), then every
other identifier the mail carries, each once, with its evidence; and a note for each
number in own text that looked like an identifier but was not taken."""

from __future__ import annotations

from inboxbot.extract.analysis import Analysis
from inboxbot.extract.candidates import Candidate
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.findings import evidence_of, found_of
from inboxbot.model.facts import Requisite

# Why a number was not taken, as the note says it.
_REJECTED = {
    "checksum": "не проходит проверку контрольных цифр — не использован",
    "foreign": "иностранный идентификатор, не российский ИНН",
    "length": "неверной длины для ИНН — не использован",
    "format": "неверного формата — не использован",
}


def extract_requisites(a: Analysis, sender: Candidate | None) -> Extracted[tuple[Requisite, ...]]:
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
    return Extracted(tuple(result), _rejected_notes(a))


def _rejected_notes(a: Analysis) -> tuple[str, ...]:
    notes: list[str] = []
    for f in a.own:
        for hit in f.rejected:
            if hit.reason in _REJECTED:
                label = (hit.label or hit.kind.upper()).strip()
                notes.append(f"{label} {hit.value} {_REJECTED[hit.reason]}")
    return tuple(notes)
