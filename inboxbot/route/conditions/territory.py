"""territory: the sender's city, region or federal district, or a foreign country."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inboxbot.route.caps import capped
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import client_where, region_words, who
from inboxbot.rules.forms import fold
from inboxbot.rules.options import ConditionOptions, option
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


@dataclass(frozen=True, slots=True)
class RegionOptions(ConditionOptions):
    owner: str | None = option(None, "manager", required=True, what="кому отдавать письма из этих регионов")
    regions: tuple[str, ...] = option((), "str_list", what="коды регионов (две цифры), например [\"77\", \"50\"]")
    districts: tuple[str, ...] = option((), "str_list", what="федеральные округа, например [\"ЦФО\"]")

    def problem(self) -> str | None:
        if not self.regions and not self.districts:
            return "для условия «region» нужны regions = [\"77\"] или districts = [\"ЦФО\"]"
        bad = next((c for c in self.regions if not re.fullmatch(r"\d{2}", c)), None)
        if bad is not None:
            return f"«regions»: «{bad}» — код региона из двух цифр в кавычках, например \"77\" (Москва), \"02\""
        wrong = next((d for d in self.districts if d not in DISTRICTS), None)
        if wrong is not None:
            return f"«districts»: неизвестный федеральный округ «{wrong}». Допустимые: {', '.join(DISTRICTS)}"
        return None


@condition("region", RegionOptions)
def region(options: RegionOptions, s: Situation) -> Match | Miss:
    """The sender's region or district is one of the rule's (a filter inside all/any)."""
    code, district, how = client_region(s)
    if code is None:
        return Miss("регион отправителя не определён")
    name = region_words(code)
    if code in options.regions or (district is not None and district in options.districts):
        where = f"регион {name}" + (f", {district}" if district else "")
        found = Match(options.owner, where, (f"регион {name}: {how}", f"{where} → {who(s.rules, options.owner)}"))
        return capped(found, s, "region")
    return Miss(f"регион {name} не из списка правила")


@condition("territory", ConditionOptions)
def territory(options: ConditionOptions, s: Situation) -> Match | Miss:
    return capped(_territory(s), s, "territory")


def _territory(s: Situation) -> Match | Miss:
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

