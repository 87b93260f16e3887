"""[department]: the name, time zone, domains and addresses, the head, working hours and
the templates folder."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain
from inboxbot.model.worktime import WorkingHours, parse_clock
from inboxbot.rules.forms import fold
from inboxbot.rules.model import OWN_LOOP_HEADER, WEEKDAYS, Department
from inboxbot.rules.problems import shown, valid_list
from inboxbot.rules.reader import EMAIL_RE, Reader, section_table

_DEPARTMENT_KEYS = (
    "name", "timezone", "internal_domains", "shared_addresses", "bot_address", "loop_headers", "head",
    "free_mail_domains", "templates", "backup_chain", "working_hours", "working_days",
)  # fmt: skip

def read_department(ctx: Reader) -> Department | None:
    where = "[department]"
    table = section_table(ctx, "department", where)
    if table is None:
        ctx.p.error(0, "", "нет раздела [department] (название отдела, домены, общий ящик, руководитель)")
        return None
    ctx.unknown_keys(table, _DEPARTMENT_KEYS, ("department",), where)
    path = ("department",)
    ok = True
    dept_name = ctx.text(table, "name", path, where, "Отдел продаж")
    if "name" not in table or (dept_name is not None and not dept_name.strip()):
        ctx.p.error(ctx.pos.line(*path), where, "не указано название отдела (name = \"…\")")
    tz_name = ctx.text(table, "timezone", path, where, "Europe/Moscow", "Europe/Moscow")
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of zones
        ctx.p.error(
            ctx.pos.line(*path, "timezone"), where,
            f"неизвестный часовой пояс «{tz_name}». Пример: \"Europe/Moscow\", \"Asia/Yekaterinburg\"",
        )  # fmt: skip
        tz = ZoneInfo("Europe/Moscow")
    internal = tuple(normalize_domain(d) for d in ctx.str_list(table, "internal_domains", path, where))
    if not internal:
        ctx.p.error(ctx.pos.line(*path, "internal_domains"), where, "internal_domains — домены компании, например [\"company.ru\"]")
        ok = False
    shared = tuple(a.strip().lower() for a in ctx.str_list(table, "shared_addresses", path, where))
    for address in shared:
        if not EMAIL_RE.fullmatch(address):
            ctx.p.error(ctx.pos.value_line((*path, "shared_addresses"), address), where, f"«{address}» не похоже на адрес почты")
    bot = table.get("bot_address", "")
    if not isinstance(bot, str) or (bot and not EMAIL_RE.fullmatch(bot.strip())):
        ctx.p.error(
            ctx.pos.line(*path, "bot_address"), where,
            f"bot_address — адрес, с которого пишет бот, например bot_address = \"sales-bot@company.ru\"; {shown(bot)}",
        )  # fmt: skip
        bot = ""
    loop = [h for h in ctx.str_list(table, "loop_headers", path, where) if h.lower() != OWN_LOOP_HEADER.lower()]
    head = table.get("head")
    if head is None:
        ctx.p.error(ctx.pos.line(*path), where, f"не указан руководитель (head = \"…\"). Допустимые: {valid_list(ctx.manager_ids)}")
        ok = False
    elif not ctx.manager_ref(head, (*path, "head"), where, "head"):
        ok = False
    free = table.get("free_mail_domains")
    free_mail = (
        tuple(normalize_domain(d) for d in ctx.str_list(table, "free_mail_domains", path, where))
        if free is not None
        else tuple(sorted(FREE_MAIL_DOMAINS))
    )
    backup_chain = table.get("backup_chain", True)
    if not isinstance(backup_chain, bool):
        ctx.p.error(ctx.pos.line(*path, "backup_chain"), where, f"backup_chain — true или false; {shown(backup_chain)}")
        backup_chain = True
    hours = _working_hours(ctx, table, tz)
    if not ok:
        return None
    return Department(
        name=dept_name or "",
        timezone=tz,
        internal_domains=internal,
        shared_addresses=shared,
        bot_address=str(bot).strip().lower(),
        loop_headers=(OWN_LOOP_HEADER, *loop),
        head=str(head),
        free_mail_domains=free_mail,
        backup_chain=backup_chain,
        hours=hours,
    )


def _working_hours(ctx: Reader, table: Mapping[str, Any], tz: ZoneInfo) -> WorkingHours:
    where, path = "[department]", ("department",)
    start, end = time(9), time(18)
    text = table.get("working_hours", "09:00-18:00")
    parts = [parse_clock(x) for x in str(text).replace("–", "-").split("-")] if isinstance(text, str) else []
    if len(parts) == 2 and parts[0] is not None and parts[1] is not None and parts[0] < parts[1]:
        start, end = parts[0], parts[1]
    else:
        ctx.p.error(
            ctx.pos.line(*path, "working_hours"), where,
            "working_hours — начало и конец рабочего дня в кавычках, начало раньше конца, например "
            f"working_hours = \"09:00-18:00\"; {shown(text)}",
        )  # fmt: skip
    days: list[int] = []
    for day in ctx.str_list(table, "working_days", path, where) if "working_days" in table else ("пн", "вт", "ср", "чт", "пт"):
        if fold(day) not in WEEKDAYS:
            ctx.p.error(ctx.pos.value_line((*path, "working_days"), day), where, f"неизвестный день «{day}». Допустимые: пн, вт, ср, чт, пт, сб, вс")
        else:
            days.append(WEEKDAYS[fold(day)])
    if "working_days" in table and not days:
        ctx.p.error(ctx.pos.line(*path, "working_days"), where, "working_days — хотя бы один рабочий день, например [\"пн\", \"вт\", \"ср\", \"чт\", \"пт\"]")
    return WorkingHours(start, end, tuple(sorted(set(days))) or (0, 1, 2, 3, 4), tz)


def read_templates(ctx: Reader) -> Path | None:
    table = ctx.data.get("department")
    if not isinstance(table, dict) or "templates" not in table:
        return None
    value = table["templates"]
    if not isinstance(value, str) or not value.strip():
        ctx.p.error(
            ctx.pos.line("department", "templates"), "[department]",
            f"templates — папка шаблонов в кавычках, например templates = \"my-templates\"; {shown(value)}",
        )  # fmt: skip
        return None
    resolved = ctx.path.parent / value
    try:
        resolved = resolved.resolve()
        found = resolved.is_dir()
    except (OSError, ValueError):  # a NUL or an over-long name
        found = False
    if not found:
        ctx.p.error(ctx.pos.line("department", "templates"), "[department]", f"папка шаблонов «{value}» не найдена ({resolved})")
        return None
    return resolved


