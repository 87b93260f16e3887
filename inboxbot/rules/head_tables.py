"""Tables the head keeps beside rules.toml and names in a section's `file` ([roster],
[presence]): read like the client base (CSV or XLSX, reloaded when saved), one row per
line, each bad row reported at the section's `file` line with the table's own line."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from inboxbot.directory.tables import read_table
from inboxbot.errors import RulesError
from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.settings import read_section

T = TypeVar("T")
RowError = Callable[[int, str], None]  # (the table's line, what is wrong)
Cell = Callable[[str], str]  # a field's cell of the row, stripped; "" when the table has no such column


def column_map(header: list[str], columns: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Field → index of the first header cell that is one of the field's names (any case)."""
    names = [h.strip().casefold() for h in header]
    return {field: names.index(n) for field, options in columns.items() for n in options if n in names}


def read_head_table(
    ctx: Reader,
    section: str,
    declared: type[Any],
    columns: Mapping[str, tuple[str, ...]],
    optional_columns: str,
    sources: list[Path],
    read_row: Callable[[int, Cell, RowError, str], T | None],
) -> list[T]:
    """The rows of the table `[section] file` names, each through `read_row(line, cell,
    error, file name)` (None: a row to skip); blank rows and «#» comments are skipped here. `declared`: the section's settings class (its `file`); `optional_columns`:
    the columns beside «дата» and «менеджер», as the error about missing ones names them.
    The file joins `sources`, so the worker reloads the rules when it is saved."""
    where = f"[{section}]"
    table = section_table(ctx, section, where)
    if table is None:
        return []
    settings, _ = read_section(ctx, declared, table, (section,), where)
    path: Path | None = getattr(settings, "file", None)
    if path is None:
        return []
    sources.append(path)
    file_line = ctx.pos.line(section, "file")

    def error(line: int, text: str) -> None:
        ctx.p.error(file_line, where, f"{path.name}, строка {line}: {text}")

    try:
        header, rows = read_table(path)
        cols = column_map(header, columns)
        if "date" not in cols or "manager" not in cols:
            raise RulesError(
                f"{path.name}: нужны колонки «дата» и «менеджер» ({optional_columns}); "
                f"найдены: {', '.join(h for h in header if h) or '(пустая первая строка)'}"
            )
        found = []
        for line, cells in rows:
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            row = read_row(line, _cells(cells, cols), error, path.name)
            if row is not None:
                found.append(row)
        return found
    except RulesError as exc:
        for text in str(exc).splitlines():
            ctx.p.error(file_line, where, text)
        return []


def _cells(cells: list[str], cols: dict[str, int]) -> Cell:
    def cell(field: str) -> str:
        i = cols.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return cell
