"""The sender's company and the other companies the mail mentions.

The sender's company is the best-scored organisation the client names as their own (in
the signature, the body, a forwarded original, a requisites card), with the identifiers
that stand with it; identifiers no organisation claims go to it when nothing else does.
Organisations named in an "other" role, in our quoted letters or in text the client did
not write are mentioned companies; our own company is neither."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from inboxbot.directory.names import name_key
from inboxbot.extract.analysis import Analysis
from inboxbot.extract.candidates import (
    IDENTIFIER_KINDS,
    Candidate,
    candidate,
    identifier_kind,
    merge_same,
    near,
    other_number_context,
    pair_numbers,
)
from inboxbot.extract.context import org_context
from inboxbot.extract.display import company_from_display_name
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.findings import Found, evidence_of
from inboxbot.extract.forms import is_public_form
from inboxbot.extract.numbers import NumberHit
from inboxbot.extract.orgs import OrgMention
from inboxbot.extract.ours import is_ours, our_keys
from inboxbot.extract.spelled_out import spelled_out
from inboxbot.model.facts import Company, Evidence

_AMBIGUOUS_INN = "в письме несколько ИНН без названия компании: какой из них отправителя, не ясно"


@dataclass(frozen=True, slots=True)
class CompanyFacts:
    """The sender's company (None when unknown), the mentioned ones, and the candidate
    the sender's company came from (whose identifiers are the sender's)."""

    company: Company | None
    mentioned: tuple[Company, ...]
    sender: Candidate | None


def extract_company(a: Analysis) -> Extracted[CompanyFacts]:
    """The sender's company and the mentioned companies of one mail."""
    ours = our_keys(a.settings.own_names, a.founds)
    candidates, others = _classify(a, ours)
    candidates = merge_same(candidates)
    # Identifiers not tied to any organisation in own text: the writer's own when
    # nothing else claims them («Счёт на ИНН 5406248153»).
    loose, notes = _loose_numbers(a.founds)
    chosen = max(candidates, key=lambda c: (c.score + (1.0 if c.inn else 0.0), -c.found.segment.start, -c.org.start), default=None)
    sender = chosen
    if sender is None:
        header = company_from_display_name(a.display)
        if "inn" not in loose:
            return Extracted(CompanyFacts(header, _mentioned(others, candidates, None, None, ours), None), notes)
        hit, found = loose["inn"]
        name = header.name if header else ""
        org = OrgMention(name, hit.start, hit.start, header.legal_form if header else None, header.core if header else "", False, "inn")
        sender = Candidate(org, found, "self", found.segment.weight, inn=hit)
    if sender.inn is None and "inn" in loose:
        sender = replace(sender, inn=loose["inn"][0])
    # A loose KPP/OGRN goes with the sender's INN when it stands next to it.
    inn = sender.inn
    if inn is not None:
        if sender.kpp is None and "kpp" in loose and near(loose["kpp"][1], loose["kpp"][0], inn):
            sender = replace(sender, kpp=loose["kpp"][0])
        if sender.ogrn is None and "ogrn" in loose and near(loose["ogrn"][1], loose["ogrn"][0], inn):
            sender = replace(sender, ogrn=loose["ogrn"][0])
    company = _company_of(sender)
    # The long name may stand anywhere in the client's own text, in any role: a signer's
    # abbreviation is theirs («ФГБОУ ВО „Сибирский …“ в целях …» / «ФГБОУ ВО СибГТУПП»).
    named = [(c.org, c.found) for c in candidates if c is not sender] + [(o, f) for o, f in others if f.segment.own]
    long = spelled_out(sender.org.core, ((o.core, (o, f)) for o, f in named))
    if long is not None:
        company = _spelled_out_as(company, *long)
    facts = CompanyFacts(company, _mentioned(others, candidates, chosen, sender, ours), sender)
    return Extracted(facts, notes)


def _spelled_out_as(company: Company, org: OrgMention, found: Found) -> Company:
    """The sender's company under the name its abbreviation stands for (spelled_out),
    with the abbreviation's identifiers."""
    form = org.legal_form or company.legal_form
    evidence = found.segment.evidence(org.start, org.end)
    return replace(company, name=org.text.strip(), core=org.core, legal_form=form, evidence=(evidence, *company.evidence), public_sector=is_public_form(form))


def _classify(a: Analysis, ours: frozenset[str]) -> tuple[list[Candidate], list[tuple[OrgMention, Found]]]:
    """Every organisation named, as a candidate for the sender's company or as another
    company; ours are left out."""
    candidates: list[Candidate] = []
    others: list[tuple[OrgMention, Found]] = []
    for f in a.founds:
        pairs = pair_numbers(f, f.orgs)
        for oi, org in enumerate(f.orgs):
            if is_ours(org, ours, a.settings.internal):
                continue
            if not f.segment.own:
                if org.source != "ner":
                    others.append((org, f))
                continue
            ctx = org_context(f.segment, org, sig_is_self=org.source != "ner")
            if org.source == "ner" and ctx != "self":
                continue  # an NER guess is too noisy to list as a mentioned company
            # A bare quoted name or an NER guess counts only when the writer claims
            # it («пишу с „Алтайских сыров“»); otherwise it is a product or a brand.
            if ctx == "other" or (ctx == "neutral" and org.source in ("quoted", "ner")):
                others.append((org, f))
                continue
            candidates.append(candidate(f, oi, org, ctx, pairs))
    return candidates, others


def _loose_numbers(founds: Sequence[Found]) -> tuple[dict[str, tuple[NumberHit, Found]], tuple[str, ...]]:
    """The best own identifier of each kind that no organisation claims, in trust
    order; two different INNs at the same trust are ambiguous → none (and a note)."""
    result: dict[str, tuple[NumberHit, Found]] = {}
    notes: list[str] = []
    for kind in IDENTIFIER_KINDS:
        options: list[tuple[float, int, NumberHit, Found]] = []
        for f in founds:
            if not f.segment.own:
                continue
            pairs = pair_numbers(f, f.orgs)
            for ni, num in enumerate(f.numbers):
                if identifier_kind(num) != kind:
                    continue
                if ni in pairs and f.orgs[pairs[ni]].source in ("legal", "quoted"):
                    continue  # it belongs to that organisation (ours, theirs or another)
                if other_number_context(f, num):
                    continue
                options.append((f.segment.weight + (0.2 if num.labelled else 0.0), num.start, num, f))
        if not options:
            continue
        options.sort(key=lambda o: (-o[0], o[1]))
        top = options[0]
        rivals = {o[2].value for o in options if abs(o[0] - top[0]) < 1e-9}
        if len(rivals) > 1:
            if kind == "inn":
                notes.append(_AMBIGUOUS_INN)
            continue
        result[kind] = (top[2], top[3])
    return result, tuple(notes)


def _company_of(cand: Candidate) -> Company:
    org = cand.org
    seg = cand.found.segment
    evidence: list[Evidence] = []
    if org.text:
        evidence.append(seg.evidence(org.start, org.end))
    evidence.extend(evidence_of(hit, cand.found) for hit in cand.identifiers)
    conf = 0.9 if cand.inn is not None else min(0.85, 0.3 + 0.15 * cand.score)
    return Company(
        name=org.text.strip(),
        core=org.core,
        legal_form=org.legal_form,
        inn=cand.inn.value if cand.inn else None,
        kpp=cand.kpp.value if cand.kpp else None,
        ogrn=cand.ogrn.value if cand.ogrn else None,
        evidence=tuple(evidence),
        confidence=round(conf, 2),
        public_sector=is_public_form(org.legal_form),
    )


def _mentioned(
    others: Sequence[tuple[OrgMention, Found]],
    candidates: Sequence[Candidate],
    chosen: Candidate | None,
    sender: Candidate | None,
    ours: frozenset[str],
) -> tuple[Company, ...]:
    """Every other company named once, own text first: the other-role organisations and
    the candidates not chosen as the sender's."""
    seen: set[str] = set()
    if sender is not None:
        seen.add(name_key(sender.org.core))
    result: list[Company] = []
    pool: list[tuple[OrgMention, Found]] = list(others) + [(c.org, c.found) for c in candidates if c is not chosen]
    pool.sort(key=lambda p: (p[1].segment.source == "quote", p[1].segment.start, p[0].start))
    for org, f in pool:
        key = name_key(org.core)
        if not key or key in seen or key in ours:
            continue
        seen.add(key)
        pairs = pair_numbers(f, f.orgs)
        inn = next((f.numbers[ni].value for ni, oi in pairs.items() if f.orgs[oi] == org and f.numbers[ni].kind == "inn"), None)
        result.append(
            Company(
                name=org.text.strip(),
                core=org.core,
                legal_form=org.legal_form,
                inn=inn,
                evidence=(f.segment.evidence(org.start, org.end),),
                confidence=0.5,
                public_sector=is_public_form(org.legal_form),
            )
        )
    return tuple(result)
