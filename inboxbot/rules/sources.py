"""The data files rules.toml points to: [clients] (the client base), [groups] and
[[group]] (holdings), [vip]."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.holdings import GROUP_POLICIES, Group, load_groups
from inboxbot.directory.vip import VipEntry, load_vip
from inboxbot.errors import RulesError
from inboxbot.model.domains import normalize_domain
from inboxbot.rules.problems import suggest, valid_list
from inboxbot.rules.reader import Reader, section_array, section_table
from inboxbot.rules.settings import Section, Setting, read_section, setting, value_of


def clients_file_name(ctx: Reader) -> str:
    table = ctx.data.get("clients")
    return str(table.get("file")) if isinstance(table, dict) and table.get("file") else "clients"


def _encoding(read: Section, value: str | None) -> str | None:
    if value is not None and not _is_text_encoding(value):
        read.error(
            read.line("encoding"), f"неизвестная кодировка «{value}». Обычно: \"utf-8\", \"cp1251\" (windows-1251), \"koi8-r\"", "encoding"
        )
        return None
    return value


def _is_text_encoding(name: str) -> bool:
    """A codec that turns bytes into text (not "rot13", "base64" or an unknown name)."""
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


def _delimiter(read: Section, value: str | None) -> str | None:
    if value is not None and len(value) != 1:
        read.error(
            read.line("delimiter"),
            f"delimiter — один символ в кавычках: \";\", \",\" или \"\\t\" (табуляция); указан текст «{value}»",
            "delimiter",
        )  # fmt: skip
        return None
    return value


_HEADER = Setting("text", example="Название")


def _columns(read: Section, value: dict[str, Any] | None) -> dict[str, str]:
    """[clients.columns]: the client base's own keys (ColumnMap's fields), each a header."""
    names, columns = tuple(ColumnMap.__dataclass_fields__), value or {}
    header = Section(read.ctx, columns, (*read.path, "columns"), "[clients.columns]", declared=dict.fromkeys(names, _HEADER))
    read.ctx.unknown_keys(columns, names, header.path, header.where)
    found = {k: value_of(header, k, _HEADER, None) for k in columns if k in names}
    return {k: v for k, v in found.items() if k not in header.bad}


@dataclass(frozen=True, slots=True)
class ClientsSection:
    """[clients] as rules.toml writes it."""

    file: Path | None = setting(None, "file", required=True)
    encoding: str | None = setting(None, "text", example="cp1251", check=_encoding)
    delimiter: str | None = setting(None, "text", example=";", check=_delimiter)
    sheet: str | None = setting(None, "text", example="Клиенты")
    columns: dict[str, str] = setting(
        None, "table", what="раздел [clients.columns] с заголовками колонок, например name = \"Название\"", check=_columns
    )


def read_clients(ctx: Reader, free_mail: Sequence[str], sources: list[Path]) -> ClientBase | None:
    where = "[clients]"
    table = section_table(ctx, "clients", where)
    if table is None:
        ctx.p.warn(0, "", "нет раздела [clients]: база клиентов пуста, правила client_* не сработают")
        return ClientBase([], free_mail_domains=free_mail)
    path: tuple[object, ...] = ("clients",)
    s, read = read_section(ctx, ClientsSection, table, path, where)
    if s is None or s.file is None:
        return None
    sources.append(s.file)
    if read.bad & {"encoding", "delimiter", "sheet"}:
        return None  # reported above; reading the file with a guess would only add noise
    try:
        return ClientBase.load(
            s.file, ColumnMap(**s.columns), encoding=s.encoding, delimiter=s.delimiter, sheet=s.sheet, free_mail_domains=free_mail
        )
    except RulesError as exc:
        for line in str(exc).splitlines():
            ctx.p.error(ctx.pos.line(*path, "file"), where, line)
    except (LookupError, ValueError) as exc:  # unknown encoding name, bad delimiter
        ctx.p.error(ctx.pos.line(*path), where, f"файл не читается: {exc}")
    return None


@dataclass(frozen=True, slots=True)
class FileSection:
    """[groups] and [vip]: a file beside rules.toml."""

    file: Path | None = setting(None, "file", required=True)


def _file(ctx: Reader, key: str, sources: list[Path]) -> Path | None:
    table = section_table(ctx, key, f"[{key}]")
    if table is None:
        return None
    s, _ = read_section(ctx, FileSection, table, (key,), f"[{key}]")
    if s is None or s.file is None:
        return None
    sources.append(s.file)
    return s.file


def _group_name(read: Section, value: Any) -> str | None:
    names: set[str] = read.env
    if not isinstance(value, str) or not value.strip():
        read.error(read.line(), "не указано название группы (name = \"…\")", "name")
        return None
    if value.casefold() in names:
        read.error(read.line("name"), "группа с таким названием уже описана", "name")
        return None
    names.add(value.casefold())
    return value.strip()


def _owner_of_one_owner(read: Section, value: str | None) -> str | None:
    if read.values["policy"] == "one_owner" and not read.given("owner"):
        read.error(read.line(), "у группы с политикой one_owner должен быть владелец (owner = \"…\")", "owner")
    return value


@dataclass(frozen=True, slots=True)
class GroupSection:
    """One [[group]] (a holding) as rules.toml writes it."""

    name: str = setting(None, "any", what="название группы компаний в кавычках", check=_group_name, stops=True)
    policy: str = setting(
        "independent", "choice", choices=GROUP_POLICIES, unknown="неизвестная политика", stops=True
    )
    owner: str | None = setting(None, "manager", label="owner", check=_owner_of_one_owner, stops=True)
    aliases: tuple[str, ...] = setting((), "str_list")
    domains: tuple[str, ...] = setting((), "str_list")


def read_groups(ctx: Reader, sources: list[Path]) -> tuple[Group, ...]:
    groups: list[Group] = []
    file = _file(ctx, "groups", sources)
    if file is not None:
        try:
            groups.extend(load_groups(file))
        except RulesError as exc:
            for line in str(exc).splitlines():
                ctx.p.error(ctx.pos.line("groups", "file"), "[groups]", line)
        for group in groups:
            if group.owner and group.owner not in ctx.manager_ids:
                ctx.p.error(
                    ctx.pos.line("groups", "file"), "[groups]",
                    f"{file.name}: у группы «{group.name}» неизвестный владелец «{group.owner}»"
                    f"{suggest(group.owner, ctx.manager_ids)}. Допустимые: {valid_list(ctx.manager_ids)}",
                )  # fmt: skip
    names = {g.name.casefold() for g in groups}
    for index, entry in enumerate(section_array(ctx, "group")):
        group_name = entry.get("name")
        where = f"группа «{group_name}»" if isinstance(group_name, str) else f"группа №{index + 1}"
        s, _ = read_section(ctx, GroupSection, entry, ("group", index), where, names)
        if s is not None:
            groups.append(Group(s.name, s.policy, s.owner, s.aliases, tuple(normalize_domain(d) for d in s.domains)))
    return tuple(groups)


def read_vip(ctx: Reader, sources: list[Path]) -> tuple[VipEntry, ...]:
    file = _file(ctx, "vip", sources)
    if file is None:
        return ()
    try:
        entries = load_vip(file)
    except RulesError as exc:
        for line in str(exc).splitlines():
            ctx.p.error(ctx.pos.line("vip", "file"), "[vip]", line)
        return ()
    for entry in entries:
        if entry.owner not in ctx.manager_ids:
            ctx.p.error(
                ctx.pos.line("vip", "file"), "[vip]",
                f"{file.name}, строка {entry.line}: неизвестный владелец «{entry.owner}»"
                f"{suggest(entry.owner, ctx.manager_ids)}. Допустимые: {valid_list(ctx.manager_ids)}",
            )  # fmt: skip
    return entries
