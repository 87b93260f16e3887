"""[[manager]] entries and the [pool] they take turns in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from inboxbot.directory.conversion import conversion_weights, load_conversion
from inboxbot.errors import RulesError
from inboxbot.rules.forms import derive_forms
from inboxbot.rules.model import MAX_WEIGHT, MAX_WINDOW_DAYS, POOL_METHODS, POOL_PERIODS, Manager, Pool
from inboxbot.rules.problems import suggest, valid_list
from inboxbot.rules.reader import Reader, section_array, section_table
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import address, weekday_numbers

_ID_RE = re.compile(r"[a-z][a-z0-9_\-]*")
_PHONE_RE = re.compile(r"[+\d][\d\s()\-.,]{4,40}(?:\s*(?:доб\.?|ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)


@dataclass(slots=True)
class _Seen:
    """The managers read before this entry, and whose each address is."""

    managers: dict[str, Manager] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)


def _unique_id(read: Section, value: str | None) -> str | None:
    seen: _Seen = read.env
    if value is not None and value in seen.managers:
        read.error(read.line("id"), f"id «{value}» уже занят менеджером в строке {seen.managers[value].line}", "id")
    return value


def _unique_email(read: Section, value: str) -> str:
    seen: _Seen = read.env
    if value and value in seen.emails:
        read.error(read.line("email"), f"адрес {value} уже указан у менеджера «{seen.emails[value]}»")
    seen.emails[value] = read.values["id"]
    return value


def _duty(read: Section, value: tuple[str, ...]) -> tuple[int, ...]:
    return weekday_numbers(read, "duty", value)


@dataclass(frozen=True, slots=True)
class ManagerSection:
    """One [[manager]] as rules.toml writes it."""

    id: str = setting(
        None, "text", what="латиницей строчными буквами, например id = \"ivanova\"", show=False, required=True,
        parse=lambda v: v if _ID_RE.fullmatch(v) else None, check=_unique_id, stops=True,
    )  # fmt: skip
    name: str | None = setting(
        None, "text", what="ФИО полностью, например name = \"Иванова Ирина Александровна\"", required=True,
        parse=lambda v: v if len(v.split()) >= 2 else None,
    )  # fmt: skip
    email: str = setting(
        "", "text", what="личный адрес менеджера, например email = \"i.ivanova@company.ru\"", show=False, required=True,
        parse=address, check=_unique_email,
    )  # fmt: skip
    forms: tuple[str, ...] = setting((), "str_list")
    in_pool: bool = setting(False, "bool")
    weight: float = setting(
        1.0, "number", what=f"число больше нуля и не больше {MAX_WEIGHT}, например 1 или 0.5",
        parse=lambda v: float(v) if 0 < v <= MAX_WEIGHT else None,
    )  # fmt: skip
    daily_cap: int | None = setting(
        None, "int", what="целое число больше нуля, например daily_cap = 40", parse=lambda v: v if v > 0 else None
    )
    monthly_cap: int | None = setting(
        None, "int", what="целое число больше нуля, например monthly_cap = 40", parse=lambda v: v if v > 0 else None
    )
    duty: tuple[int, ...] = setting((), "str_list", check=_duty)
    phone: str = setting(
        "", "text", what="телефон в кавычках, например phone = \"+7 495 123-45-67, доб. 201\"", show=False,
        parse=lambda v: " ".join(v.split()) if not v or _PHONE_RE.fullmatch(v.strip()) else None,
    )  # fmt: skip


def read_managers(ctx: Reader) -> dict[str, Manager]:
    entries = section_array(ctx, "manager")
    ids = [str(e.get("id")) for e in entries if isinstance(e.get("id"), str)]
    ctx.manager_ids = list(dict.fromkeys(ids))
    if not entries:
        ctx.p.error(0, "", "не описан ни один менеджер: добавьте разделы [[manager]] с id, name, email")
    seen = _Seen()
    for index, entry in enumerate(entries):
        path: tuple[object, ...] = ("manager", index)
        mid = entry.get("id")
        where = f"менеджер «{mid}»" if isinstance(mid, str) else f"менеджер №{index + 1}"
        section, _ = read_section(ctx, ManagerSection, entry, path, where, seen)
        if section is not None:
            seen.managers[section.id] = _manager(section, ctx.pos.line(*path))
    return seen.managers


def _manager(s: ManagerSection, line: int) -> Manager:
    name = s.name or s.id  # only when the name was reported: such rules do not load
    return Manager(
        id=s.id,
        name=name,
        email=s.email,
        forms=tuple(dict.fromkeys((*s.forms, *derive_forms(name)))),
        in_pool=s.in_pool,
        weight=s.weight,
        daily_cap=s.daily_cap,
        monthly_cap=s.monthly_cap,
        duty=s.duty,
        line=line,
        phone=s.phone,
    )


def _members(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    ctx = read.ctx
    managers: Mapping[str, Manager] = read.env
    listed = value if read.given("members") else tuple(m.id for m in managers.values() if m.in_pool)
    members: list[str] = []
    for member in listed:
        line = ctx.pos.value_line((*read.path, "members"), member)
        if member not in ctx.manager_ids:
            read.error(line, f"неизвестный менеджер «{member}»{suggest(member, ctx.manager_ids)}. Допустимые: {valid_list(ctx.manager_ids)}")
        elif member in members:
            read.error(line, f"«{member}» указан в пуле дважды")
        else:
            members.append(member)
    if not listed:
        read.error(read.line(), "в пуле нет участников (members = [\"…\", \"…\"])")
    return tuple(members)


def _period(read: Section, value: str) -> str:
    # A strict round robin counts nothing, so a month's share would be a promise it does not keep.
    if value == "month" and read.values.get("method") == "round_robin":
        read.error(
            read.line("period"),
            "period = \"month\" (доля за календарный месяц) работает с method = \"weighted\" или \"least_loaded\"; "
            "при round_robin письма идут строго по кругу. Укажите method = \"least_loaded\" (поровну) "
            "или \"weighted\" (по весам)",
            "period",
        )
    return value


def _weights_file(read: Section, value: str | None) -> str | None:
    if value is None or "weights_file" in read.bad:
        return None
    if read.values.get("method") != "weighted":
        read.error(
            read.line("weights_file"),
            "weights_file (веса по конверсии) работает только с method = \"weighted\"; укажите его или уберите weights_file",
            "weights_file",
        )
        return None
    found = read.ctx.file(value, (*read.path, "weights_file"), read.where)
    return str(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class PoolSection:
    """[pool] as rules.toml writes it."""

    name: str = setting("main", "text", example="main")
    members: tuple[str, ...] = setting((), "str_list", check=_members)
    method: str = setting("round_robin", "choice", choices=POOL_METHODS, unknown="неизвестный способ")
    window_days: int = setting(
        30, "int", what=f"целое число дней от 1 до {MAX_WINDOW_DAYS}, например window_days = 30",
        parse=lambda v: v if 0 < v <= MAX_WINDOW_DAYS else None,
    )  # fmt: skip
    period: str = setting("rolling", "choice", choices=POOL_PERIODS, unknown="неизвестный период", check=_period)
    weights_file: str | None = setting(
        None, "text", what="путь к выгрузке конверсии в кавычках, например weights_file = \"conversion.csv\"", check=_weights_file
    )
    weight_floor: float = setting(
        0.3, "number", what="наименьший вес по конверсии, число от 0.05 до 1, например weight_floor = 0.3",
        parse=lambda v: float(v) if 0.05 <= v <= 1 else None,
    )  # fmt: skip


def read_pools(ctx: Reader, managers: Mapping[str, Manager], sources: list[Path]) -> tuple[Pool, ...]:
    """The queues: one [pool], or several [[pool]] each with its own name (a queue per
    segment; a [[rule]] names one with pool = "…"). Without a section: the managers
    marked in_pool, as the queue «main»."""
    raw = ctx.data.get("pool")
    if raw is None:
        in_pool = tuple(m.id for m in managers.values() if m.in_pool)
        return (Pool("main", in_pool),) if in_pool else ()
    entries: list[tuple[dict[str, Any], tuple[object, ...], str]]
    if isinstance(raw, list):
        entries = [(e, ("pool", i), f"[[pool]] №{i + 1}") for i, e in enumerate(section_array(ctx, "pool"))]
    else:
        table = section_table(ctx, "pool", "[pool]")
        entries = [(table, ("pool",), "[pool]")] if table is not None else []
    pools: dict[str, Pool] = {}
    for table, path, where in entries:
        if isinstance(raw, list) and isinstance(table.get("name"), str):
            where = f"[[pool]] «{table['name']}»"
        section, _ = read_section(ctx, PoolSection, table, path, where, managers)
        assert section is not None  # no key of [pool] stops the reading
        name = section.name or "main"
        if name in pools:
            ctx.p.error(ctx.pos.line(*path, "name"), where, f"очередь «{name}» уже описана выше; у каждой [[pool]] своё имя (name = \"…\")")
            continue
        pool = Pool(name, section.members, section.method, section.window_days, section.period)
        if section.weights_file is not None:
            sources.append(Path(section.weights_file))
            pool = _with_conversion(ctx, pool, Path(section.weights_file), section.weight_floor, path, where)
        pools[name] = pool
    return tuple(pools.values())


def _with_conversion(ctx: Reader, pool: Pool, file: Path, floor: float, path: tuple[object, ...], where: str) -> Pool:
    """The pool weighted by conversion; the file's problems reported on the weights_file line."""
    line = ctx.pos.line(*path, "weights_file")
    try:
        rows = load_conversion(file)
    except RulesError as exc:
        for text in str(exc).splitlines():
            ctx.p.error(line, where, text)
        return pool
    for row in rows:
        if row.manager not in ctx.manager_ids:
            ctx.p.error(
                line, where,
                f"{file.name}, строка {row.line}: неизвестный менеджер «{row.manager}»{suggest(row.manager, ctx.manager_ids)}. "
                f"Допустимые: {valid_list(ctx.manager_ids)}",
            )  # fmt: skip
    known = {r.manager: r for r in rows}
    for member in pool.members:
        if member not in known or known[member].rate is None:
            ctx.p.warn(line, where, f"{file.name}: нет заявок менеджера «{member}» — его вес берётся из [[manager]] weight")
    weights = conversion_weights(rows, pool.members, floor)
    rates = {m: known[m].rate for m in weights}
    return replace(
        pool,
        weights=MappingProxyType(weights),
        conversion=MappingProxyType({m: r for m, r in rates.items() if r is not None}),
    )
