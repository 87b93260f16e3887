"""`inboxbot clients export` opened in Excel: a client known only by its address is named
by it, and the sender chose that address. «=cmd|'/Ccalc'!A0@mail.ru» is a valid one (every
character is atext); written as it is, Excel runs it as a formula (a DDE command)."""

from __future__ import annotations

import csv
from dataclasses import fields
from pathlib import Path

import pytest
from openpyxl import load_workbook

from inboxbot.directory.client import ColumnMap
from inboxbot.tools.ledger_export import write_export

HOSTILE = ["=cmd|'/Ccalc'!A0@mail.ru", "+7-evil@mail.ru", "-2+3@mail.ru", "@SUM(1+1)@mail.ru"]


def rows(names: list[str]) -> list[dict[str, str]]:
    blank = dict.fromkeys((f.name for f in fields(ColumnMap)), "")
    return [{**blank, "name": n, "inn": "7707083893", "manager": "petrov"} for n in names]


def test_an_xlsx_export_keeps_a_hostile_name_as_text(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    write_export(path, "xlsx", rows([*HOSTILE, "ООО «Ромашка»"]), ColumnMap())
    sheet = load_workbook(path)["Клиенты"]
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(HOSTILE) + 1)]
    assert [c.value for c in cells] == [*HOSTILE, "ООО «Ромашка»"]  # the value itself unchanged
    assert {c.data_type for c in cells} == {"s"}  # text, never a formula


@pytest.mark.parametrize("name", HOSTILE)
def test_a_csv_export_never_starts_a_cell_with_a_formula_sign(tmp_path: Path, name: str) -> None:
    path = tmp_path / "clients.csv"
    write_export(path, "csv", rows([name, "ООО «Ромашка»"]), ColumnMap())
    with path.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f, delimiter=";"))
    assert table[1][0] == "'" + name  # Excel's own mark for «text», shown without it
    assert table[2][0] == "ООО «Ромашка»" and table[1][1] == "7707083893"
