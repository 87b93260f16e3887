"""The client ledger as a client-base export (CSV or XLSX): one row per client the bot
assigned, in the columns [clients.columns] of rules.toml names, so the file imports into
the CRM or 1C and reads back as a client base (`inboxbot clients export`).

A client is the identities one first assignment wrote together (the same source mail):
its INN, company domain, name and address. The company's name and region come from the
journal's record of that mail; a client known only by a free-mail address is named by it
(the base has no address column, and a free-mail domain names no company).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path

from inboxbot.directory.client import ColumnMap
from inboxbot.errors import ConfigError
from inboxbot.model.ledger import Assignment
from inboxbot.model.records import RequestRow

FORMATS = ("csv", "xlsx")
# A cell starting with one of these is a formula to Excel; the name may be a sender's
# address, and «=cmd|'/Ccalc'!A0@mail.ru» is a valid one.
_FORMULA_SIGNS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    """`value` Excel opens as text: a leading apostrophe (which it hides) before a formula sign."""
    return "'" + value if value.startswith(_FORMULA_SIGNS) else value


def ledger_rows(entries: Sequence[Assignment], requests: Mapping[str, RequestRow]) -> list[dict[str, str]]:
    """Rows by ColumnMap field, one per client, in the order their first entry comes."""
    clients: dict[tuple[str, str], list[Assignment]] = {}
    for entry in entries:
        # Entries without a source (written by hand or by a later change) stand alone.
        clients.setdefault((entry.source or f"{entry.key.kind}:{entry.key.value}", entry.owner), []).append(entry)
    rows: list[dict[str, str]] = []
    for (source, owner), group in clients.items():
        by_kind = {e.key.kind: e.key.value for e in group}
        request = requests.get(source)
        inn = by_kind.get("inn") or (request.inn if request is not None and request.inn else "")
        name = (request.company if request is not None else None) or by_kind.get("domain") or by_kind.get("address") \
            or by_kind.get("name") or f"ИНН {inn}"
        row = dict.fromkeys((f.name for f in fields(ColumnMap)), "")
        row.update(
            name=name,
            inn=inn,
            region_code=(request.region_code or "") if request is not None else "",
            manager=owner,
            domains=by_kind.get("domain", ""),
            since=min(e.since for e in group).date().isoformat(),
        )
        rows.append(row)
    return rows


def header(columns: ColumnMap) -> list[str]:
    return [getattr(columns, f.name) for f in fields(ColumnMap)]


def write_export(path: Path, fmt: str, rows: Sequence[Mapping[str, str]], columns: ColumnMap, *,
                 encoding: str | None = None, delimiter: str | None = None) -> None:  # fmt: skip
    """Write `rows` to `path` as `fmt` under the base's headers (and, for CSV, its encoding
    and delimiter, so [clients] reads it back as it is)."""
    if fmt not in FORMATS:
        raise ConfigError(f"формат «{fmt}» не поддерживается. Допустимые: {', '.join(FORMATS)}")
    names = [f.name for f in fields(ColumnMap)]
    table = [header(columns), *([row.get(n, "") for n in names] for row in rows)]
    try:
        if fmt == "csv":
            with path.open("w", encoding=encoding or "utf-8-sig", newline="") as out:
                csv.writer(out, delimiter=delimiter or ";").writerows([_csv_cell(v) for v in line] for line in table)
            return
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Клиенты"
        for line in table:
            sheet.append(line)
            for cell in sheet[sheet.max_row]:
                cell.data_type = "s"  # openpyxl makes «=…» a formula; a name is text
        book.save(path)
    except OSError as exc:
        raise ConfigError(f"файл {path} не записан: {exc.strerror or exc}") from exc
    except UnicodeEncodeError as exc:
        raise ConfigError(f"файл {path} не записан: в кодировке {encoding} нет знака «{exc.object[exc.start:exc.end]}»") from exc
