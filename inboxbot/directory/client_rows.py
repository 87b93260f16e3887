"""One row of the client export → a Client and what is wrong with the row, in Russian."""

from __future__ import annotations

import sys

from inboxbot.directory.cells import fix_inn, parse_since, split_list
from inboxbot.directory.client import Client
from inboxbot.directory.names import name_key
from inboxbot.model.domains import normalize_domain, parent_domains
from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn


def client_from_row(
    values: dict[str, str], file: str, line: int, free_mail: frozenset[str]
) -> tuple[Client | None, list[str]]:
    """One row → Client (None if it has no name) and what is wrong with it, in Russian."""
    problems: list[str] = []
    name = values.get("name", "").strip()
    if not name:
        return None, ["нет названия компании (колонка name) — строка пропущена"]
    if not name_key(name):
        problems.append(f"в названии «{name}» нет ни одной буквы или цифры — по названию не найдётся")
    manager = values.get("manager", "").strip() or None
    if manager is None:
        problems.append("не указан менеджер (колонка manager) — клиент найдётся, но владельца у него нет")

    inn: str | None = fix_inn(values.get("inn", "")) or None
    if inn and not is_valid_inn(inn):
        problems.append(
            f"ИНН {inn} не проходит проверку контрольных цифр (10 цифр у организации, 12 у ИП) — ИНН не учтён"
        )
        inn = None
    kpp = values.get("kpp", "").replace(" ", "") or None
    if kpp and not is_valid_kpp(kpp):
        problems.append(f"КПП {kpp} — не 9 знаков вида NNNNPPNNN — КПП не учтён")
        kpp = None
    ogrn = values.get("ogrn", "").replace(" ", "") or None
    if ogrn and not is_valid_ogrn(ogrn):
        problems.append(f"ОГРН {ogrn} не проходит проверку (13 цифр, у ИП 15) — ОГРН не учтён")
        ogrn = None
    region = values.get("region_code", "").strip() or None
    if region is not None:
        if region.isascii() and region.isdigit() and 1 <= int(region) <= 99:  # not «²», which int() rejects
            region = region.zfill(2)  # Excel writes Adygea's 01 as 1
        else:
            problems.append(f"код региона «{region}» — нужен код субъекта РФ из двух цифр (01–99)")
            region = None
    if region is None and inn:
        region = inn[:2]  # the INN's first two digits are the region of registration
    since_text = values.get("since", "").strip()
    since = parse_since(since_text) if since_text else None
    if since_text and since is None:
        problems.append(f"дата «{since_text}» (колонка since) — нужна дата вида 2021-03-15 или 15.03.2021 — дата не учтена")

    domains: list[str] = []
    for raw in split_list(values.get("domains", ""), r"[;,\s]+"):
        domain = normalize_domain(raw)
        if "." not in domain:
            problems.append(f"домен «{raw}» не похож на домен (нужно вида example.ru) — пропущен")
        elif any(p in free_mail for p in parent_domains(domain)):
            problems.append(f"домен {raw} — бесплатная почта, клиента по нему не определить — пропущен")
        elif domain not in domains:
            domains.append(domain)
    client = Client(
        name=name,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        region_code=_intern(region),
        city=_intern(values.get("city", "")),
        manager=_intern(manager),
        group=_intern(values.get("group", "")),
        domains=tuple(domains),
        alt_names=split_list(values.get("alt_names", ""), r"[;|]"),
        former_names=split_list(values.get("former_names", ""), r"[;|]"),
        file=file,
        line=line,
        since=since,
    )
    return client, problems


def _intern(value: str | None) -> str | None:
    """Managers, regions, cities and groups repeat over thousands of rows: one string
    object each instead of one per row (≈ 150 MB less for a million clients)."""
    value = (value or "").strip()
    return sys.intern(value) if value else None
