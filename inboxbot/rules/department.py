"""[department]: the name, time zone, domains and addresses, the head, working hours and
the templates folder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain
from inboxbot.model.worktime import WorkingHours, parse_clock
from inboxbot.rules.model import OWN_LOOP_HEADER, Department
from inboxbot.rules.reader import EMAIL_RE, Reader, section_table
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import weekday_numbers


def _name_given(read: Section, value: str | None) -> str | None:
    # A blank name is as good as none; both are reported on the [department] line.
    if not read.given("name") or (value is not None and not value.strip()):
        read.error(read.line(), "не указано название отдела (name = \"…\")")
    return value


def _zone(read: Section, value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of zones
        read.error(read.line("timezone"), f"неизвестный часовой пояс «{value}». Пример: \"Europe/Moscow\", \"Asia/Yekaterinburg\"")
        return ZoneInfo("Europe/Moscow")


def _internal_domains(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        read.error(read.line("internal_domains"), "internal_domains — домены компании, например [\"company.ru\"]", "internal_domains")
    return tuple(normalize_domain(d) for d in value)


def _shared_addresses(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    shared = tuple(a.strip().lower() for a in value)
    for address in shared:
        if not EMAIL_RE.fullmatch(address):
            read.error(read.ctx.pos.value_line((*read.path, "shared_addresses"), address), f"«{address}» не похоже на адрес почты")
    return shared


def _bot_address(value: str) -> str | None:
    return value.strip().lower() if not value or EMAIL_RE.fullmatch(value.strip()) else None


def _loop_headers(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    return (OWN_LOOP_HEADER, *(h for h in value if h.lower() != OWN_LOOP_HEADER.lower()))


def _free_mail(read: Section, value: tuple[str, ...] | None) -> tuple[str, ...]:
    if not read.given("free_mail_domains"):
        return tuple(sorted(FREE_MAIL_DOMAINS))
    return tuple(normalize_domain(d) for d in value or ())


_HOST_RE = re.compile(r"(?i)[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+")


def _auth_server(read: Section, value: str) -> str:
    server = value.strip().lower()
    if server and not _HOST_RE.fullmatch(server):
        read.error(read.line("auth_server"), f"«{value}» — не имя почтового сервера. Пример: auth_server = \"mx.company.ru\"",
                   "auth_server")  # fmt: skip
    return server


def _relays(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    relays = tuple(r.strip().lower() for r in value)
    for raw, relay in zip(value, relays, strict=True):
        if not _HOST_RE.fullmatch(relay):
            read.error(read.ctx.pos.value_line((*read.path, "relays"), raw),
                       f"«relays»: «{raw}» — не имя сервера и не IP-адрес. Пример: relays = [\"relay.company.ru\", \"10.0.0.5\"]")  # fmt: skip
    return relays


def _folder(value: str) -> str | None:
    return value if value.strip() else None


def _templates(read: Section, value: str | None) -> Path | None:
    if value is None:
        return None
    resolved = read.ctx.path.parent / value
    try:
        resolved = resolved.resolve()
        found = resolved.is_dir()
    except (OSError, ValueError):  # a NUL or an over-long name
        found = False
    if not found:
        read.error(read.line("templates"), f"папка шаблонов «{value}» не найдена ({resolved})")
        return None
    return resolved


def _hours(value: str) -> tuple[time, time] | None:
    """«09:00-18:00» → (start, end), the start before the end."""
    parts = [parse_clock(x) for x in value.replace("–", "-").split("-")]
    if len(parts) == 2 and parts[0] is not None and parts[1] is not None and parts[0] < parts[1]:
        return parts[0], parts[1]
    return None


def _days(read: Section, value: tuple[str, ...]) -> tuple[int, ...]:
    days = weekday_numbers(read, "working_days", value)
    if read.given("working_days") and not days:
        read.error(read.line("working_days"), "working_days — хотя бы один рабочий день, например [\"пн\", \"вт\", \"ср\", \"чт\", \"пт\"]")
    return days or (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class DepartmentSection:
    """[department] as rules.toml writes it (the key order is the order of the docs)."""

    name: str | None = setting(None, "text", example="Отдел продаж", check=_name_given)
    timezone: ZoneInfo = setting("Europe/Moscow", "text", example="Europe/Moscow", check=_zone)
    internal_domains: tuple[str, ...] = setting((), "str_list", check=_internal_domains)
    shared_addresses: tuple[str, ...] = setting((), "str_list", check=_shared_addresses)
    bot_address: str = setting(
        "", "text", what="адрес, с которого пишет бот, например bot_address = \"sales-bot@company.ru\"", parse=_bot_address
    )
    loop_headers: tuple[str, ...] = setting((), "str_list", check=_loop_headers)
    head: str | None = setting(None, "manager", label="head", required="не указан руководитель (head = \"…\")")
    free_mail_domains: tuple[str, ...] = setting(None, "str_list", check=_free_mail)
    templates: Path | None = setting(
        None, "text", what="папка шаблонов в кавычках, например templates = \"my-templates\"", parse=_folder, check=_templates
    )
    backup_chain: bool = setting(True, "bool")
    working_hours: tuple[time, time] = setting(
        (time(9), time(18)), "text", parse=_hours,
        what="начало и конец рабочего дня в кавычках, начало раньше конца, например working_hours = \"09:00-18:00\"",
    )  # fmt: skip
    working_days: tuple[int, ...] = setting(("пн", "вт", "ср", "чт", "пт"), "str_list", check=_days)
    auth_server: str = setting("", "text", example="mx.company.ru", check=_auth_server)
    relays: tuple[str, ...] = setting((), "str_list", check=_relays)


def read_department(ctx: Reader) -> tuple[Department | None, Path | None]:
    """The department (None when it lacks what routing cannot do without) and the
    templates folder (None: the built-in templates)."""
    where = "[department]"
    table = section_table(ctx, "department", where)
    if table is None:
        ctx.p.error(0, "", "нет раздела [department] (название отдела, домены, общий ящик, руководитель)")
        return None, None
    section, read = read_section(ctx, DepartmentSection, table, ("department",), where)
    assert section is not None  # no key of [department] stops the reading
    if read.bad & {"internal_domains", "head"}:
        return None, section.templates
    return _department(section), section.templates


def _department(s: DepartmentSection) -> Department:
    start, end = s.working_hours
    return Department(
        name=s.name or "",
        timezone=s.timezone,
        internal_domains=s.internal_domains,
        shared_addresses=s.shared_addresses,
        bot_address=s.bot_address,
        loop_headers=s.loop_headers,
        head=str(s.head),
        free_mail_domains=s.free_mail_domains,
        backup_chain=s.backup_chain,
        hours=WorkingHours(start, end, s.working_days, s.timezone),
        auth_server=s.auth_server,
        relays=s.relays,
    )
