"""The reader of rules.toml's sections: the parsed data with its line positions and the
problems found so far, and the checks every section shares (unknown keys, manager ids,
choices, files)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inboxbot.rules.positions import Positions
from inboxbot.rules.problems import Problems, shown, suggest, valid_list

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

@dataclass
class Reader:
    """The file being read, its data and positions, and the problems found so far."""

    path: Path
    data: dict[str, Any]
    pos: Positions
    p: Problems
    manager_ids: list[str] = field(default_factory=list)

    def unknown_keys(self, table: Mapping[str, Any], valid: Sequence[str], path: tuple[object, ...], where: str) -> None:
        for key in table:
            if key not in valid:
                self.p.error(
                    self.pos.line(*path, key),
                    where,
                    f"неизвестный параметр «{key}»{suggest(key, valid)}. Допустимые: {valid_list(valid)}",
                )

    def manager_ref(self, value: Any, path: tuple[object, ...], where: str, what: str = "менеджер") -> bool:
        """True when `value` names a described manager; otherwise reports it."""
        if isinstance(value, str) and value in self.manager_ids:
            return True
        line = self.pos.line(*path)
        if not isinstance(value, str) or not value:
            self.p.error(
                line, where,
                f"{what}: нужен id менеджера в кавычках, {shown(value)}. Допустимые: {valid_list(self.manager_ids)}",
            )  # fmt: skip
        else:
            self.p.error(
                line,
                where,
                f"неизвестный менеджер «{value}»{suggest(value, self.manager_ids)}. "
                f"Допустимые: {valid_list(self.manager_ids)}",
            )
        return False

    def choice(
        self, table: Mapping[str, Any], key: str, valid: Sequence[str], path: tuple[object, ...], where: str,
        default: str, unknown: str = "неизвестное значение", explain: str = "",
    ) -> str | None:
        """One of `valid` (`default` when absent); None, reported, when it is anything else."""
        value = table.get(key, default)
        line = self.pos.line(*path, key)
        if not isinstance(value, str):
            self.p.error(
                line, where,
                f"«{key}» — одно значение в кавычках, например {key} = \"{valid[0]}\"; {shown(value)}. "
                f"Допустимые: {valid_list(valid)}{explain}",
            )  # fmt: skip
            return None
        if value not in valid:
            self.p.error(
                line, where,
                f"{unknown} «{value}»{suggest(value, valid)}. Допустимые: {valid_list(valid)}{explain}",
            )  # fmt: skip
            return None
        return value

    def file(self, value: Any, path: tuple[object, ...], where: str) -> Path | None:
        line = self.pos.line(*path)
        if value is not None and not isinstance(value, str):
            self.p.error(line, where, f"file — путь к файлу в кавычках, например file = \"clients.csv\"; {shown(value)}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.p.error(line, where, "не указан файл (file = \"путь/к/файлу.csv\")")
            return None
        try:
            resolved = (self.path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
            found = resolved.is_file()
        except (OSError, ValueError):  # a NUL or an over-long name: no such file either way
            found = False
        if not found:
            self.p.error(line, where, f"файл «{value}» не найден (путь считается от папки, где лежит {self.path.name})")
            return None
        return resolved


def section_table(ctx: Reader, key: str, where: str) -> dict[str, Any] | None:
    value = ctx.data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        ctx.p.error(ctx.pos.line(key), where, f"«{key}» должен быть разделом [{key}], а не одним значением")
        return None
    return value


def section_array(ctx: Reader, key: str) -> list[dict[str, Any]]:
    value = ctx.data.get(key, [])
    if isinstance(value, dict):
        ctx.p.error(ctx.pos.line(key), f"[{key}]", f"каждую запись пишите как [[{key}]] (с двойными скобками)")
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        ctx.p.error(
            ctx.pos.line(key), "",
            f"«{key}» — записи [[{key}]], у каждой свои параметры по строкам, а не одно значение; {shown(value)}",
        )  # fmt: skip
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


