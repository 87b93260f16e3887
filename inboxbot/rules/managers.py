"""[[manager]] entries and the [pool] they take turns in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from inboxbot.rules.forms import derive_forms, fold
from inboxbot.rules.model import MAX_WEIGHT, MAX_WINDOW_DAYS, POOL_METHODS, WEEKDAYS, Manager, Pool
from inboxbot.rules.problems import shown, suggest, valid_list
from inboxbot.rules.reader import EMAIL_RE, Reader, section_array, section_table

_MANAGER_KEYS = ("id", "name", "email", "forms", "in_pool", "weight", "daily_cap", "monthly_cap", "duty", "phone")

_POOL_KEYS = ("name", "members", "method", "window_days")

_ID_RE = re.compile(r"[a-z][a-z0-9_\-]*")
_PHONE_RE = re.compile(r"[+\d][\d\s()\-.,]{4,40}(?:\s*(?:доб\.?|ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)

def read_managers(ctx: Reader) -> dict[str, Manager]:
    entries = section_array(ctx, "manager")
    ids = [str(e.get("id")) for e in entries if isinstance(e.get("id"), str)]
    ctx.manager_ids = list(dict.fromkeys(ids))
    if not entries:
        ctx.p.error(0, "", "не описан ни один менеджер: добавьте разделы [[manager]] с id, name, email")
    managers: dict[str, Manager] = {}
    emails: dict[str, str] = {}
    for index, entry in enumerate(entries):
        path: tuple[object, ...] = ("manager", index)
        mid = entry.get("id")
        where = f"менеджер «{mid}»" if isinstance(mid, str) else f"менеджер №{index + 1}"
        ctx.unknown_keys(entry, _MANAGER_KEYS, path, where)
        if not isinstance(mid, str) or not _ID_RE.fullmatch(mid):
            ctx.p.error(
                ctx.pos.line(*path, "id"), where,
                "id — латиницей строчными буквами, например id = \"ivanova\"",
            )  # fmt: skip
            continue
        if mid in managers:
            ctx.p.error(
                ctx.pos.line(*path, "id"), where,
                f"id «{mid}» уже занят менеджером в строке {managers[mid].line}",
            )  # fmt: skip
            continue
        full_name = entry.get("name")
        if not isinstance(full_name, str) or len(full_name.split()) < 2:
            given = f"; {shown(full_name)}" if full_name is not None else ""
            ctx.p.error(
                ctx.pos.line(*path, "name"), where,
                f"name — ФИО полностью, например name = \"Иванова Ирина Александровна\"{given}",
            )  # fmt: skip
            full_name = full_name if isinstance(full_name, str) and full_name.strip() else mid
        email = entry.get("email")
        if not isinstance(email, str) or not EMAIL_RE.fullmatch(email.strip()):
            ctx.p.error(ctx.pos.line(*path, "email"), where, "email — личный адрес менеджера, например email = \"i.ivanova@company.ru\"")
            email = ""
        email = email.strip().lower()
        if email and email in emails:
            ctx.p.error(ctx.pos.line(*path, "email"), where, f"адрес {email} уже указан у менеджера «{emails[email]}»")
        emails[email] = mid
        forms = ctx.str_list(entry, "forms", path, where)
        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= MAX_WEIGHT:
            ctx.p.error(
                ctx.pos.line(*path, "weight"), where,
                f"weight — число больше нуля и не больше {MAX_WEIGHT}, например 1 или 0.5; {shown(weight)}",
            )  # fmt: skip
            weight = 1.0
        caps: dict[str, int | None] = {}
        for cap in ("daily_cap", "monthly_cap"):
            value = entry.get(cap)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                ctx.p.error(ctx.pos.line(*path, cap), where, f"{cap} — целое число больше нуля, например {cap} = 40; {shown(value)}")
                value = None
            caps[cap] = value
        duty: list[int] = []
        for day in ctx.str_list(entry, "duty", path, where):
            if fold(day) not in WEEKDAYS:
                ctx.p.error(
                    ctx.pos.value_line((*path, "duty"), day), where,
                    f"неизвестный день «{day}». Допустимые: пн, вт, ср, чт, пт, сб, вс",
                )  # fmt: skip
            else:
                duty.append(WEEKDAYS[fold(day)])
        in_pool = entry.get("in_pool", False)
        if not isinstance(in_pool, bool):
            ctx.p.error(ctx.pos.line(*path, "in_pool"), where, f"in_pool — true или false; {shown(in_pool)}")
            in_pool = False
        phone = entry.get("phone", "")
        if not isinstance(phone, str) or (phone and not _PHONE_RE.fullmatch(phone.strip())):
            ctx.p.error(ctx.pos.line(*path, "phone"), where, "phone — телефон в кавычках, например phone = \"+7 495 123-45-67, доб. 201\"")
            phone = ""
        all_forms = tuple(dict.fromkeys((*forms, *derive_forms(full_name))))
        managers[mid] = Manager(
            id=mid,
            name=full_name,
            email=email,
            forms=all_forms,
            in_pool=in_pool,
            weight=float(weight),
            daily_cap=caps["daily_cap"],
            monthly_cap=caps["monthly_cap"],
            duty=tuple(sorted(set(duty))),
            line=ctx.pos.line(*path),
            phone=" ".join(phone.split()),
        )
    return managers


def read_pool(ctx: Reader, managers: Mapping[str, Manager]) -> Pool | None:
    where = "[pool]"
    table = section_table(ctx, "pool", where)
    if table is None:
        in_pool = tuple(m.id for m in managers.values() if m.in_pool)
        return Pool("main", in_pool) if in_pool else None
    path: tuple[object, ...] = ("pool",)
    ctx.unknown_keys(table, _POOL_KEYS, path, where)
    members_list = ctx.str_list(table, "members", path, where)
    if "members" not in table:
        members_list = tuple(m.id for m in managers.values() if m.in_pool)
    members: list[str] = []
    for member in members_list:
        if member not in ctx.manager_ids:
            ctx.p.error(
                ctx.pos.value_line((*path, "members"), member), where,
                f"неизвестный менеджер «{member}»{suggest(member, ctx.manager_ids)}. Допустимые: {valid_list(ctx.manager_ids)}",
            )  # fmt: skip
        elif member in members:
            ctx.p.error(ctx.pos.value_line((*path, "members"), member), where, f"«{member}» указан в пуле дважды")
        else:
            members.append(member)
    if not members_list:
        ctx.p.error(ctx.pos.line(*path), where, "в пуле нет участников (members = [\"…\", \"…\"])")
    method = ctx.choice(table, "method", POOL_METHODS, path, where, "round_robin", unknown="неизвестный способ") or "round_robin"
    window = table.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= MAX_WINDOW_DAYS:
        ctx.p.error(
            ctx.pos.line(*path, "window_days"), where,
            f"window_days — целое число дней от 1 до {MAX_WINDOW_DAYS}, например window_days = 30; {shown(window)}",
        )  # fmt: skip
        window = 30
    pool_name = ctx.text(table, "name", path, where, "main", "main") or "main"
    return Pool(pool_name, tuple(members), method, int(window))


