"""[territory]: districts, regions and cities, each given to a manager, and foreign clients."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from inboxbot.rules.forms import fold
from inboxbot.rules.model import Territory
from inboxbot.rules.problems import valid_list
from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.regions import DISTRICTS, district_code, region_info
from inboxbot.rules.settings import Section, read_section, setting


def _districts(read: Section, value: dict[str, Any] | None) -> dict[str, str]:
    districts: dict[str, str] = {}
    written: dict[str, str] = {}
    for key, manager in (value or {}).items():
        line = read.ctx.pos.line(*read.path, "districts", key)
        code = district_code(key)
        if code is None:
            read.error(line, f"неизвестный федеральный округ «{key}». Допустимые: {valid_list(DISTRICTS)}")
        elif code in written:
            read.error(line, f"округ {code} указан дважды («{written[code]}» и «{key}»)")
        else:
            written[code] = key
            if read.ctx.manager_ref(manager, (*read.path, "districts", key), read.where):
                districts[code] = manager
    return districts


def _regions(read: Section, value: dict[str, Any] | None) -> dict[str, str]:
    ctx, districts = read.ctx, read.values["districts"]
    regions: dict[str, str] = {}
    written: dict[str, str] = {}
    for key, manager in (value or {}).items():
        line_path = (*read.path, "regions", key)
        code = key.strip().zfill(2) if key.strip().isdigit() and len(key.strip()) <= 2 else None
        info = region_info(code) if code else None
        if code is None or info is None:
            read.error(
                ctx.pos.line(*line_path),
                f"неизвестный код региона «{key}»: нужен двузначный код субъекта РФ в кавычках, например \"77\" = \"…\" (Москва)",
            )  # fmt: skip
            continue
        if code in written:
            read.error(ctx.pos.line(*line_path), f"регион {code} указан дважды («{written[code]}» и «{key}»)")
            continue
        written[code] = key
        if ctx.manager_ref(manager, line_path, read.where):
            regions[code] = manager
            district = getattr(info, "district", None)
            if district in districts and districts[district] == manager:
                ctx.p.warn(
                    ctx.pos.line(*line_path), read.where,
                    f"регион {code} и так относится к {district} ({manager}) — исключение можно убрать",
                )  # fmt: skip
    return regions


def _cities(read: Section, value: dict[str, Any] | None) -> dict[str, str]:
    cities: dict[str, str] = {}
    written: dict[str, str] = {}
    for key, manager in (value or {}).items():
        line_path = (*read.path, "cities", key)
        if fold(key) in written:
            read.error(read.ctx.pos.line(*line_path), f"город «{key}» указан дважды («{written[fold(key)]}»)")
            continue
        written[fold(key)] = key
        if read.ctx.manager_ref(manager, line_path, read.where):
            cities[key] = manager
    return cities


def _pairs(example: str) -> str:
    return f"пары в фигурных скобках, например {example}"


@dataclass(frozen=True, slots=True)
class TerritorySection:
    """[territory] as rules.toml writes it: district, region and city → manager id."""

    districts: Mapping[str, str] = setting(
        None, "table", what=_pairs('districts = { "ЦФО" = "ivanova" }'), quoted=True, check=_districts
    )
    regions: Mapping[str, str] = setting(None, "table", what=_pairs('regions = { "77" = "smirnova" }'), quoted=True, check=_regions)
    cities: Mapping[str, str] = setting(None, "table", what=_pairs('cities = { "Тольятти" = "orlov" }'), quoted=True, check=_cities)
    foreign: str | None = setting(None, "manager")


def read_territory(ctx: Reader) -> Territory:
    where = "[territory]"
    table = section_table(ctx, "territory", where) or {}
    s, _ = read_section(ctx, TerritorySection, table, ("territory",), where)
    assert s is not None  # no key of [territory] stops the reading
    if table and isinstance(table.get("districts"), dict):
        _unassigned_districts(ctx, table["districts"], where)
    return Territory(
        districts=MappingProxyType(dict(s.districts)),
        regions=MappingProxyType(dict(s.regions)),
        cities=MappingProxyType(dict(s.cities)),
        foreign=s.foreign,
    )


def _unassigned_districts(ctx: Reader, written: Mapping[str, Any], where: str) -> None:
    codes = {district_code(key) for key in written}
    missing = [code for code in DISTRICTS if code not in codes]
    if missing:
        ctx.p.warn(
            ctx.pos.line("territory", "districts"), where,
            f"округа {', '.join(missing)} ни за кем не закреплены — новые клиенты оттуда пойдут в пул",
        )  # fmt: skip
