"""[territory]: districts, regions and cities, each given to a manager, and foreign clients."""

from __future__ import annotations

from types import MappingProxyType

from inboxbot.rules.forms import fold
from inboxbot.rules.model import Territory
from inboxbot.rules.problems import shown, valid_list
from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.regions import DISTRICTS, district_code, region_info

_TERRITORY_KEYS = ("districts", "regions", "cities", "foreign")

def read_territory(ctx: Reader) -> Territory:
    where = "[territory]"
    table = section_table(ctx, "territory", where) or {}
    path: tuple[object, ...] = ("territory",)
    ctx.unknown_keys(table, _TERRITORY_KEYS, path, where)
    for key, example in (("districts", '{ "ЦФО" = "ivanova" }'), ("regions", '{ "77" = "smirnova" }'),
                         ("cities", '{ "Тольятти" = "orlov" }')):  # fmt: skip
        if key in table and not isinstance(table[key], dict):
            ctx.p.error(
                ctx.pos.line(*path, key), where,
                f"«{key}» — пары в фигурных скобках, например {key} = {example}; {shown(table[key])}",
            )  # fmt: skip
    districts: dict[str, str] = {}
    district_keys: dict[str, str] = {}
    raw = table.get("districts", {})
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "districts", key)
        code = district_code(key)
        if code is None:
            ctx.p.error(
                ctx.pos.line(*line_path), where,
                f"неизвестный федеральный округ «{key}». Допустимые: {valid_list(DISTRICTS)}",
            )  # fmt: skip
            continue
        if code in district_keys:
            ctx.p.error(ctx.pos.line(*line_path), where, f"округ {code} указан дважды («{district_keys[code]}» и «{key}»)")
            continue
        district_keys[code] = key
        if ctx.manager_ref(manager, line_path, where):
            districts[code] = manager
    regions: dict[str, str] = {}
    region_keys: dict[str, str] = {}
    raw = table.get("regions", {})
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "regions", key)
        code = key.strip().zfill(2) if key.strip().isdigit() and len(key.strip()) <= 2 else None
        info = region_info(code) if code else None
        if code is None or info is None:
            ctx.p.error(
                ctx.pos.line(*line_path), where,
                f"неизвестный код региона «{key}»: нужен двузначный код субъекта РФ в кавычках, например \"77\" = \"…\" (Москва)",
            )  # fmt: skip
            continue
        if code in region_keys:
            ctx.p.error(ctx.pos.line(*line_path), where, f"регион {code} указан дважды («{region_keys[code]}» и «{key}»)")
            continue
        region_keys[code] = key
        if ctx.manager_ref(manager, line_path, where):
            regions[code] = manager
            district = getattr(info, "district", None)
            if district in districts and districts[district] == manager:
                ctx.p.warn(
                    ctx.pos.line(*line_path), where,
                    f"регион {code} и так относится к {district} ({manager}) — исключение можно убрать",
                )  # fmt: skip
    cities: dict[str, str] = {}
    raw = table.get("cities", {})
    seen_cities: dict[str, str] = {}
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "cities", key)
        if fold(key) in seen_cities:
            ctx.p.error(ctx.pos.line(*line_path), where, f"город «{key}» указан дважды («{seen_cities[fold(key)]}»)")
            continue
        seen_cities[fold(key)] = key
        if ctx.manager_ref(manager, line_path, where):
            cities[key] = manager
    foreign = table.get("foreign")
    if foreign is not None and not ctx.manager_ref(foreign, (*path, "foreign"), where):
        foreign = None
    if table and isinstance(table.get("districts"), dict):
        missing = [code for code in DISTRICTS if code not in district_keys]
        if missing:
            ctx.p.warn(
                ctx.pos.line(*path, "districts"), where,
                f"округа {', '.join(missing)} ни за кем не закреплены — новые клиенты оттуда пойдут в пул",
            )  # fmt: skip
    return Territory(
        districts=MappingProxyType(districts),
        regions=MappingProxyType(regions),
        cities=MappingProxyType(cities),
        foreign=foreign if isinstance(foreign, str) else None,
    )


