"""Reading a client export (CSV or XLSX) into clients and what is wrong with it, in Russian.

Forgiving on purpose: a bad row is reported in `problems` («clients.csv, строка 17: …») and
the rest still loads, because one typo in a 10,000-row export must not stop the mailbox.
Only a missing file or a missing required column is fatal (RulesError), since then nothing
could be routed by client at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path

from inboxbot.directory.client import REQUIRED_COLUMNS, Client, ColumnMap
from inboxbot.directory.client_rows import client_from_row
from inboxbot.directory.export_checks import empty_columns, misdecoded, missing_columns
from inboxbot.directory.tables import MAX_CELL_CHARS, column_indexes, open_table

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReadBase:
    """What a read gives: the clients in file order, every note (damage first) and the
    damage alone (the notes that make the file itself suspect)."""

    clients: list[Client]
    problems: list[str]
    damage: list[str]


def read_base(
    path: Path, columns: ColumnMap, *, encoding: str | None, delimiter: str | None, sheet: str | None, free: frozenset[str]
) -> ReadBase:
    """Every client of the export at `path`, with the problems found on the way."""
    file = path.name
    table = open_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
    wanted = {f.name: getattr(columns, f.name) for f in fields(ColumnMap)}
    cols = column_indexes(file, table.header, wanted, REQUIRED_COLUMNS)
    damage = missing_columns(file, table.header, columns, cols)
    clients: list[Client] = []
    problems: list[str] = []
    inn_lines: dict[str, int] = {}
    filled: set[str] = set()  # fields with a value in at least one row
    rows = 0
    for line, cells in table.rows:
        if not any(cells):
            continue
        rows += 1
        values = {f: (cells[i] if i < len(cells) else "") for f, i in cols.items()}
        filled.update(f for f, v in values.items() if v)
        huge = next((f for f, v in values.items() if len(v) > MAX_CELL_CHARS), None)
        if huge is not None:
            damage.append(
                f"{file}, строка {line}: в колонке «{wanted[huge]}» больше {MAX_CELL_CHARS} знаков — "
                "строка пропущена; так бывает с испорченной выгрузкой, проверьте эту строку"
            )
            continue
        try:
            client, row_problems = client_from_row(values, file, line, free)
        except (ValueError, TypeError, ArithmeticError, UnicodeError) as exc:
            # A value no check foresaw must cost its row, never the whole base.
            log.warning("%s, line %d: row not converted", file, line, exc_info=True)
            problems.append(f"{file}, строка {line}: значения не разобраны ({type(exc).__name__}: {exc}) — строка пропущена")
            continue
        problems.extend(f"{file}, строка {line}: {p}" for p in row_problems)
        if client is None:
            continue
        if client.inn:
            if client.inn in inn_lines:
                problems.append(
                    f"{file}, строка {line}: ИНН {client.inn} уже есть в строке "
                    f"{inn_lines[client.inn]}; по ИНН будет находиться клиент из строки {inn_lines[client.inn]}"
                )
            else:
                inn_lines[client.inn] = line
        clients.append(client)
    damage.extend(table.damage)  # filled while the rows were read
    damage.extend(empty_columns(file, columns, cols, filled, rows))
    damage.extend(misdecoded(file, table.encoding, encoding, clients))
    return ReadBase(clients, [*damage, *problems], damage)
