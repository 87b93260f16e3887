"""Federal districts and regions as [territory] names them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inboxbot.rules.forms import fold

# Federal districts: code → name. Keys in [territory].districts may use either.
DISTRICTS: dict[str, str] = {
    "ЦФО": "Центральный федеральный округ",
    "СЗФО": "Северо-Западный федеральный округ",
    "ПФО": "Приволжский федеральный округ",
    "УФО": "Уральский федеральный округ",
    "СФО": "Сибирский федеральный округ",
    "ДФО": "Дальневосточный федеральный округ",
    "ЮФО": "Южный федеральный округ",
    "СКФО": "Северо-Кавказский федеральный округ",
}

@dataclass(frozen=True, slots=True)
class _RegionStub:
    code: str
    name: str = ""
    district: str | None = None
    district_name: str = ""


def region_info(code: str | None) -> Any:
    """gazetteer.region_by_code (code, name, district, district_name), or None when the
    code is unknown. Without the gazetteer any two-digit code passes, with no district."""
    if not code:
        return None
    try:
        from inboxbot.directory.gazetteer import region_by_code
    except ImportError:  # the gazetteer is another stage's module; tolerate its absence
        return _RegionStub(code) if re.fullmatch(r"\d\d", code) and code != "00" else None
    return region_by_code(code)


def district_code(key: str) -> str | None:
    k = fold(key.strip())
    for code, full in DISTRICTS.items():
        short = full.split(" федеральный")[0]
        if k in (fold(code), fold(full), fold(short)):
            return code
    return None


