"""Views of a decision for `replay --json`: the company and the region it concerns."""

from __future__ import annotations

from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.route.identity import sender_inn
from inboxbot.rules.model import Rules
from inboxbot.rules.regions import region_info


def describe_company(facts: Facts, decision: Decision, rules: Rules) -> dict[str, object] | None:
    """{name, inn, kpp, ogrn, client}: the client-base entry for a known client, else the
    company as found in the mail; None for skipped mail or when nothing is known."""
    if decision.action == "skip":
        return None
    if decision.client is not None:
        ref = decision.client
        client = rules.clients.by_inn(ref.inn) if ref.inn else None
        if client is None:
            client = rules.clients.at_line(ref.file, ref.line)
        return {
            "name": ref.name,
            "inn": ref.inn,
            "kpp": client.kpp if client else None,
            "ogrn": client.ogrn if client else None,
            "client": True,
        }
    company = facts.company
    inn = sender_inn(facts)
    if company is None and inn is None:
        return None
    return {
        "name": (company.name or None) if company else None,
        "inn": inn.value if inn else (company.inn if company else None),
        "kpp": company.kpp if company else None,
        "ogrn": company.ogrn if company else None,
        "client": False,
    }


def describe_region(facts: Facts, decision: Decision, rules: Rules) -> dict[str, object] | None:
    """{code, name, district}: the client-base region of a known client, else the region
    extraction found; None for skipped mail, foreign or unknown senders."""
    if decision.action == "skip":
        return None
    code: str | None = None
    if decision.client is not None and decision.client.region_code:
        code = decision.client.region_code
    elif facts.region is not None:
        return {"code": facts.region.code, "name": facts.region.name, "district": facts.region.district}
    if code is None:
        return None
    info = region_info(code)
    return {"code": code, "name": getattr(info, "name", "") or None, "district": getattr(info, "district", None)}

