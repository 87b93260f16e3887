"""The data files rules.toml points to: [clients] (the client base), [groups] and
[[group]] (holdings), [vip]."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.holdings import Group, load_groups
from inboxbot.directory.vip import VipEntry, load_vip
from inboxbot.errors import RulesError
from inboxbot.model.domains import normalize_domain
from inboxbot.rules.problems import shown, suggest, valid_list
from inboxbot.rules.reader import Reader, section_array, section_table

_CLIENTS_KEYS = ("file", "encoding", "delimiter", "sheet", "columns")
_GROUP_KEYS = ("name", "policy", "owner", "aliases", "domains")

def clients_file_name(ctx: Reader) -> str:
    table = ctx.data.get("clients")
    return str(table.get("file")) if isinstance(table, dict) and table.get("file") else "clients"


def read_clients(ctx: Reader, free_mail: Sequence[str], sources: list[Path]) -> ClientBase | None:
    where = "[clients]"
    table = section_table(ctx, "clients", where)
    if table is None:
        ctx.p.warn(0, "", "нет раздела [clients]: база клиентов пуста, правила client_* не сработают")
        return ClientBase([], free_mail_domains=free_mail)
    path: tuple[object, ...] = ("clients",)
    ctx.unknown_keys(table, _CLIENTS_KEYS, path, where)
    columns = table.get("columns", {})
    column_names = ColumnMap.__dataclass_fields__.keys()
    mapping: dict[str, str] = {}
    if isinstance(columns, dict):
        ctx.unknown_keys(columns, tuple(column_names), (*path, "columns"), "[clients.columns]")
        for key, value in columns.items():
            if key in column_names and ctx.text(columns, key, (*path, "columns"), "[clients.columns]", "Название") is not None:
                mapping[key] = value
    else:
        ctx.p.error(
            ctx.pos.line(*path, "columns"), where,
            f"columns — раздел [clients.columns] с заголовками колонок, например name = \"Название\"; {shown(columns)}",
        )  # fmt: skip
    encoding = ctx.text(table, "encoding", path, where, "cp1251")
    if encoding is not None and not _is_text_encoding(encoding):
        ctx.p.error(
            ctx.pos.line(*path, "encoding"), where,
            f"неизвестная кодировка «{encoding}». Обычно: \"utf-8\", \"cp1251\" (windows-1251), \"koi8-r\"",
        )  # fmt: skip
        encoding = None
    delimiter = ctx.text(table, "delimiter", path, where, ";")
    if delimiter is not None and len(delimiter) != 1:
        ctx.p.error(
            ctx.pos.line(*path, "delimiter"), where,
            f"delimiter — один символ в кавычках: \";\", \",\" или \"\\t\" (табуляция); указан текст «{delimiter}»",
        )  # fmt: skip
        delimiter = None
    sheet = ctx.text(table, "sheet", path, where, "Клиенты")
    file = ctx.file(table.get("file"), (*path, "file"), where)
    if file is None:
        return None
    sources.append(file)
    if any(key in table and value is None for key, value in (("encoding", encoding), ("delimiter", delimiter),
                                                              ("sheet", sheet))):  # fmt: skip
        return None  # reported above; reading the file with a guess would only add noise
    try:
        return ClientBase.load(
            file,
            ColumnMap(**mapping),
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            free_mail_domains=free_mail,
        )
    except RulesError as exc:
        for line in str(exc).splitlines():
            ctx.p.error(ctx.pos.line(*path, "file"), where, line)
    except (LookupError, ValueError) as exc:  # unknown encoding name, bad delimiter
        ctx.p.error(ctx.pos.line(*path), where, f"файл не читается: {exc}")
    return None


def _is_text_encoding(name: str) -> bool:
    """A codec that turns bytes into text (not "rot13", "base64" or an unknown name)."""
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


def read_groups(ctx: Reader, sources: list[Path]) -> tuple[Group, ...]:
    groups: list[Group] = []
    table = section_table(ctx, "groups", "[groups]")
    if table is not None:
        ctx.unknown_keys(table, ("file",), ("groups",), "[groups]")
        file = ctx.file(table.get("file"), ("groups", "file"), "[groups]")
        if file is not None:
            sources.append(file)
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
        path: tuple[object, ...] = ("group", index)
        group_name = entry.get("name")
        where = f"группа «{group_name}»" if isinstance(group_name, str) else f"группа №{index + 1}"
        ctx.unknown_keys(entry, _GROUP_KEYS, path, where)
        if not isinstance(group_name, str) or not group_name.strip():
            ctx.p.error(ctx.pos.line(*path), where, "не указано название группы (name = \"…\")")
            continue
        if group_name.casefold() in names:
            ctx.p.error(ctx.pos.line(*path, "name"), where, "группа с таким названием уже описана")
            continue
        names.add(group_name.casefold())
        policy = ctx.choice(
            entry, "policy", ("one_owner", "independent"), path, where, "independent", unknown="неизвестная политика"
        )
        if policy is None:
            continue
        owner = entry.get("owner")
        if policy == "one_owner" and owner is None:
            ctx.p.error(ctx.pos.line(*path), where, "у группы с политикой one_owner должен быть владелец (owner = \"…\")")
            continue
        if owner is not None and not ctx.manager_ref(owner, (*path, "owner"), where, "owner"):
            continue
        groups.append(
            Group(
                name=group_name.strip(),
                policy=policy,
                owner=owner,
                aliases=ctx.str_list(entry, "aliases", path, where),
                domains=tuple(normalize_domain(d) for d in ctx.str_list(entry, "domains", path, where)),
            )
        )
    return tuple(groups)


def read_vip(ctx: Reader, sources: list[Path]) -> tuple[VipEntry, ...]:
    table = section_table(ctx, "vip", "[vip]")
    if table is None:
        return ()
    ctx.unknown_keys(table, ("file",), ("vip",), "[vip]")
    file = ctx.file(table.get("file"), ("vip", "file"), "[vip]")
    if file is None:
        return ()
    sources.append(file)
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


