"""How a rules.toml section declares its keys, and the one validator that reads a section
against its declaration.

A section is a frozen dataclass whose fields are its keys: the field default is the key's
default, the field metadata (`setting(...)`) says what kind of value it takes, whether it
is required, its choices and, in Russian, what it is — the text a sales head reads when the
value is wrong. `read_section` checks unknown keys (with a close match), presence, kinds and
choices, reports every problem with its line and builds the typed section. What one key
cannot say alone (a time zone that exists, a date range in order, a manager who is not his
own backup) is a small named check declared with its key (`check=`), run in the key's turn
so that problems on one line keep the order of the file's keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, TypeVar

from inboxbot.rules.problems import shown, valid_list
from inboxbot.rules.reader import Reader

SETTING_KINDS = ("any", "bool", "text", "str_list", "int", "number", "choice", "manager", "table", "file")

Parse = Callable[[Any], Any]  # the value as the section holds it, or None when it is not valid
Check = Callable[["Section", Any], Any]  # (the section read so far, the key's value) → the value kept


@dataclass(frozen=True, slots=True)
class Setting:
    """What a key of a section takes.

    kind: one of SETTING_KINDS. what: in Russian, what the value is — the message of a bad
    value is «{key} — {what}; указано …» (`quoted` writes the key as «key», `show` adds what
    was written). required: True (a missing key is a bad value) or the message for a missing
    key. choices: the valid values of a choice (for a manager: words allowed besides ids).
    parse: turns a value of the right kind into the one kept, None when it is not valid.
    check: a named check run right after the key is read. stops: when the key is bad, the
    rest of the entry is not read (a manager without a valid id)."""

    kind: str
    what: str = ""
    key: str = ""
    example: str = ""
    required: bool | str = False
    quoted: bool | None = None
    show: bool = True
    choices: tuple[str, ...] = ()
    unknown: str = "неизвестное значение"
    explain: str = ""
    label: str = "менеджер"
    parse: Parse | None = None
    check: Check | None = None
    stops: bool = False

    def expected(self, key: str) -> str:
        """What a valid value is, in Russian (the message of a bad one, the documentation)."""
        if self.what:
            return self.what
        if self.kind == "text":
            return f"текст в кавычках, например {key} = \"{self.example}\""
        if self.kind == "str_list":
            return f"нужен список строк в кавычках, например {key} = [\"a\", \"b\"]"
        if self.kind == "bool":
            return "true или false"
        if self.kind == "choice":
            return f"одно значение в кавычках: {valid_list(self.choices)}"
        if self.kind == "manager":
            return "id менеджера в кавычках"
        if self.kind == "file":
            return "путь к файлу в кавычках"
        raise ValueError(f"a setting of kind {self.kind!r} must say what it takes (what=…)")

    def message(self, key: str, value: Any) -> str:
        quoted = self.quoted if self.quoted is not None else not self.what and self.kind in ("text", "str_list")
        label = f"«{key}»" if quoted else key
        given = f"; {shown(value)}" if self.show and value is not None else ""
        return f"{label} — {self.expected(key)}{given}"


def setting(default: Any, kind: str, **declaration: Any) -> Any:
    """A field of a section dataclass: its default and how rules.toml writes it."""
    if kind not in SETTING_KINDS:
        raise ValueError(f"unknown setting kind {kind!r}")
    return field(default=default, metadata={"setting": Setting(kind, **declaration)})


def settings_of(section: type[Any]) -> tuple[tuple[Field[Any], str, Setting], ...]:
    """(field, rules.toml key, declaration) of every key of a section dataclass, in order."""
    return tuple((f, f.metadata["setting"].key or f.name, f.metadata["setting"]) for f in fields(section))


def keys_of(section: type[Any]) -> tuple[str, ...]:
    return tuple(key for _, key, _ in settings_of(section))


@dataclass
class Section:
    """One table being read: where it is, what was found so far and which keys are bad.
    `env` is what the section's checks need from elsewhere (the department, the entries
    read before this one)."""

    ctx: Reader
    table: Mapping[str, Any]
    path: tuple[object, ...]
    where: str
    env: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)
    declared: dict[str, Setting] = field(default_factory=dict)

    def given(self, key: str) -> bool:
        return key in self.table

    def line(self, key: str | None = None) -> int:
        return self.ctx.pos.line(*self.path, key) if key is not None else self.ctx.pos.line(*self.path)

    def error(self, line: int, text: str, key: str | None = None) -> None:
        self.ctx.p.error(line, self.where, text)
        if key is not None:
            self.bad.add(key)

    def invalid(self, key: str, value: Any) -> None:
        """Reports `value` of `key` with the key's declared message (None: the key is missing)."""
        self.error(self.line(key), self.declared[key].message(key, value), key)


T = TypeVar("T")


def read_section(
    ctx: Reader, section: type[T], table: Mapping[str, Any], path: tuple[object, ...], where: str, env: Any = None
) -> tuple[T | None, Section]:
    """The section as declared, every problem of it reported; None when a key that `stops`
    is bad. The Section says which keys were bad."""
    declared = settings_of(section)
    read = Section(ctx, table, path, where, env, declared={key: s for _, key, s in declared})
    ctx.unknown_keys(table, tuple(read.declared), path, where)
    for f, key, s in declared:
        value = value_of(read, key, s, f.default) if key in table else _missing(read, key, s, f.default)
        if s.check is not None:
            value = s.check(read, value)
        read.values[f.name] = value
        if s.stops and key in read.bad:
            return None, read
    return section(**read.values), read


def _missing(read: Section, key: str, s: Setting, default: Any) -> Any:
    """The default of a key not written; reported when the key is required."""
    ctx, path, where = read.ctx, read.path, read.where
    if s.required is True and s.kind in ("manager", "file"):
        # A missing manager or file is reported as the kind reports a bad one
        # («manager: нужен id менеджера в кавычках, указано None»), as it always was.
        if not (ctx.manager_ref(None, (*path, key), where, s.label) if s.kind == "manager" else ctx.file(None, (*path, key), where)):
            read.bad.add(key)
    elif s.required is True:
        read.invalid(key, None)
    elif s.required:
        more = f". Допустимые: {valid_list(ctx.manager_ids)}" if s.kind == "manager" else ""
        read.error(read.line(), f"{s.required}{more}", key)
    return default


def value_of(read: Section, key: str, s: Setting, default: Any) -> Any:
    """The value of a written key as `s` declares it; `default` (for a list: empty), the
    key marked bad, when it is not valid."""
    ctx, path, where = read.ctx, read.path, read.where
    value = read.table[key]
    if s.kind == "any":
        return value
    if s.kind == "choice":
        chosen = ctx.choice(read.table, key, s.choices, path, where, default, unknown=s.unknown, explain=s.explain)
        if chosen is None:
            read.bad.add(key)
            return default
        return chosen
    if s.kind == "manager":
        if value in s.choices:
            return value
        if not ctx.manager_ref(value, (*path, key), where, s.label):
            read.bad.add(key)
            return default
        return value
    if s.kind == "file":
        found = ctx.file(value, (*path, key), where)
        if found is None:
            read.bad.add(key)
        return found
    if s.kind == "str_list":
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            read.invalid(key, value)
            return ()
        return tuple(value)
    if not _of_kind(s.kind, value):
        read.invalid(key, value)
        return default
    if s.parse is not None:
        parsed = s.parse(value)
        if parsed is None:
            read.invalid(key, value)
            return default
        return parsed
    return value


def _of_kind(kind: str, value: Any) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "text":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "table":
        return isinstance(value, dict)
    raise ValueError(f"unknown setting kind {kind!r}")
