"""territory: the sender's city, region or federal district, or a foreign country."""

from __future__ import annotations

import re
from typing import Any

from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import client_where, region_words, who
from inboxbot.rules.forms import fold
from inboxbot.rules.options import ConditionOptions
from inboxbot.rules.regions import DISTRICTS, region_info


def client_region(s: Situation) -> tuple[str | None, str | None, str]:
    """(region code, district, how it was found) of the sender."""
    client = s.identity.client
    if client is not None and client.region_code:
        info = region_info(client.region_code)
        return client.region_code, getattr(info, "district", None), f"регион клиента из базы ({client_where(client)})"
    region = s.facts.region
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


@condition("territory", ConditionOptions)
def territory(options: ConditionOptions, s: Situation) -> Match | Miss:
    territory = s.rules.territory
    code, district, how = client_region(s)
    if territory.cities:
        places = " ".join(
            t for t in (s.facts.region.evidence.text if s.facts.region and s.facts.region.evidence else "", s.facts.signature) if t
        )
        for city, owner in territory.cities.items():
            if re.search(r"(?<![а-яёa-z])" + re.escape(fold(city)), fold(places)):
                return Match(owner, f"город {city}", (f"город {city} → {who(s.rules, owner)}",))
    if code:
        region_name = region_words(code)
        if code in territory.regions:
            owner = territory.regions[code]
            return Match(owner, f"регион {region_name}", (f"регион {region_name}: {how}", f"регион {code} → {who(s.rules, owner)}"))
        if district and district in territory.districts:
            owner = territory.districts[district]
            return Match(
                owner,
                f"регион {region_name}, {district}",
                (f"регион {region_name}: {how}", f"{DISTRICTS.get(district, district)} → {who(s.rules, owner)}"),
            )
        return Miss(f"регион {region_name} ни за кем не закреплён")
    country = s.facts.country or (s.facts.company.country if s.facts.company else None)
    if country and fold(country) not in ("ru", "rus", "россия", "russia") and territory.foreign:
        owner = territory.foreign
        return Match(
            owner,
            f"иностранная компания ({country})",
            (f"иностранная компания ({country}), российской регистрации нет", f"иностранные клиенты → {who(s.rules, owner)}"),
        )
    return Miss("регион отправителя не определён")

