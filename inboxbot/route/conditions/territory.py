"""territory: the sender's city, region or federal district, or a foreign country."""

from __future__ import annotations

import re
from typing import Any

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.reasons import client_where, region_words, who
from inboxbot.rules.forms import fold
from inboxbot.rules.model import Rules, RuleSpec
from inboxbot.rules.regions import DISTRICTS, region_info


def client_region(ctx: Context) -> tuple[str | None, str | None, str]:
    """(region code, district, how it was found) of the sender."""
    client = ctx.identity.client
    if client is not None and client.region_code:
        info = region_info(client.region_code)
        return client.region_code, getattr(info, "district", None), f"регион клиента из базы ({client_where(client)})"
    region = ctx.facts.region
    if region is not None and region.code:
        district = region.district or getattr(region_info(region.code), "district", None)
        return region.code, district, _region_how(region)
    return None, None, ""


_HOW_WORDS = {
    "inn": "по ИНН",
    "kpp": "по КПП",
    "ogrn": "по ОГРН",
    "address": "по адресу",
    "city": "по городу",
    "phone": "по коду телефона",
    "domain": "по домену",
    "client_base": "по базе клиентов",
}


def _region_how(region: Any) -> str:
    how = str(_HOW_WORDS.get(region.how, region.how))
    if region.evidence is not None and region.evidence.text:
        return f"{how} «{region.evidence.text.strip()[:60]}», {region.evidence.describe()}"
    return how


def cond_territory(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    territory = rules.territory
    code, district, how = client_region(ctx)
    if territory.cities:
        places = " ".join(
            t for t in (facts.region.evidence.text if facts.region and facts.region.evidence else "", facts.signature) if t
        )
        for city, owner in territory.cities.items():
            if re.search(r"(?<![а-яёa-z])" + re.escape(fold(city)), fold(places)):
                return Match(owner, f"город {city}", (f"город {city} → {who(rules, owner)}",))
    if code:
        region_name = region_words(code)
        if code in territory.regions:
            owner = territory.regions[code]
            return Match(owner, f"регион {region_name}", (f"регион {region_name}: {how}", f"регион {code} → {who(rules, owner)}"))
        if district and district in territory.districts:
            owner = territory.districts[district]
            return Match(
                owner,
                f"регион {region_name}, {district}",
                (f"регион {region_name}: {how}", f"{DISTRICTS.get(district, district)} → {who(rules, owner)}"),
            )
        return Step(spec.id, False, f"регион {region_name} ни за кем не закреплён")
    country = facts.country or (facts.company.country if facts.company else None)
    if country and fold(country) not in ("ru", "rus", "россия", "russia") and territory.foreign:
        owner = territory.foreign
        return Match(
            owner,
            f"иностранная компания ({country})",
            (f"иностранная компания ({country}), российской регистрации нет", f"иностранные клиенты → {who(rules, owner)}"),
        )
    return Step(spec.id, False, "регион отправителя не определён")

