"""Fuzz of the client-base loader: damaged exports, odd encodings, quotes, delimiters,
huge fields, missing columns, XLSX cells of every type. Whatever the file holds, loading
ends in a ClientBase or in the project's RulesError (a Russian message for the head),
never in another exception: a traceback in `inboxbot check` or a worker that dies on
reload. A fixed seed, so a failure names a case that can be replayed."""

from __future__ import annotations

import datetime as dt
import io
import random
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from samples import DEMO_DATA

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.errors import RulesError

DEMO = DEMO_DATA / "clients.csv"
SEED = 20250611
CSV_CASES = 700
XLSX_CASES = 80

ENCODINGS = ("utf-8", "utf-8-sig", "cp1251", "koi8-r", "cp866", "iso8859-5", "mac-cyrillic", "utf-16")
DELIMITERS = (",", ";", "\t", "|")
# Characters that look like digits or spaces but are not ASCII: int() or isdigit() trip on them.
ODD_CHARS = "³²¹⁰½٣٤۵߁０９\u00a0\u2007\u200b\ufeff\x00\x0b\x1c\u2028\ud7ff\U0001f600ё«»\"'\\\r"
ODD_CELLS = (
    "770708389³", "７７０７０８３８９３", "٧٧٠٧٠٨٣٨٩٣", "²", "1e5", "-1", "0", "99999999999999999999",
    "31.02.2021", "2021-13-45", "９.０１.２０２１", "0000-00-00", "15.03.２０２１", "NaN", "inf",
    "=1/0", "#N/A", "@", "xn--", "..", "a" * 300, "пример.рф", "-.-", "\x00", "", " ", '"', '""',
)


@dataclass(frozen=True)
class Case:
    name: str  # file name, its suffix decides CSV or XLSX
    data: bytes
    kwargs: dict[str, object] = field(default_factory=dict)


def _demo_rows() -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(DEMO.read_text(encoding="utf-8"), newline="")))


def _mutate_cells(rng: random.Random, rows: list[list[str]]) -> None:
    for _ in range(rng.randint(0, 6)):
        row = rng.choice(rows)
        if not row:
            continue
        i = rng.randrange(len(row))
        kind = rng.random()
        if kind < 0.5:
            row[i] = rng.choice(ODD_CELLS)
        elif kind < 0.8:
            pos = rng.randint(0, len(row[i]))
            row[i] = row[i][:pos] + rng.choice(ODD_CHARS) + row[i][pos:]
        else:
            row[i] = "x" * rng.choice((1000, 140_000, 200_000))


def _csv_case(rng: random.Random, number: int, rows: list[list[str]]) -> Case:
    header, body = rows[0][:], [r[:] for r in rng.sample(rows[1:], rng.randint(0, 40))]
    if rng.random() < 0.2:  # columns dropped or renamed
        for _ in range(rng.randint(1, 3)):
            header[rng.randrange(len(header))] = rng.choice(("", "ИНН", "inn", "name", "x" * 50))
    table = [header, *body]
    _mutate_cells(rng, table)
    delimiter = rng.choice(DELIMITERS)
    text = "\n".join(delimiter.join(_maybe_quoted(rng, c, delimiter) for c in r) for r in table)
    if rng.random() < 0.3:  # a stray quote somewhere
        pos = rng.randint(0, len(text))
        text = text[:pos] + '"' + text[pos:]
    if rng.random() < 0.15:
        text = text.replace("\n", rng.choice(("\r", "\r\n", "\u2028")))
    encoding = rng.choice(ENCODINGS)
    data = text.encode(encoding, "replace") if encoding != "utf-8" or rng.random() < 0.9 else text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:  # random bytes: a truncated download, a binary saved as .csv
        data = _damage(rng, data)
    kwargs: dict[str, object] = {}
    roll = rng.random()
    if roll < 0.1:
        kwargs["encoding"] = rng.choice((*ENCODINGS, "no-such-encoding", "", "base64", "rot13"))
    elif roll < 0.2:
        kwargs["delimiter"] = rng.choice((*DELIMITERS, "", "ab", '"', "\n", "ё"))
    elif roll < 0.3:
        kwargs["columns"] = ColumnMap(inn=rng.choice(("ИНН", "нет такой", "", "name")))
    return Case(f"fuzz{number}.csv", data, kwargs)


def _maybe_quoted(rng: random.Random, cell: str, delimiter: str) -> str:
    if delimiter in cell or '"' in cell or "\n" in cell or rng.random() < 0.1:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _damage(rng: random.Random, data: bytes) -> bytes:
    kind = rng.random()
    if kind < 0.3:
        return data[: rng.randint(0, len(data))]
    if kind < 0.6:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))
    buf = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        if buf:
            buf[rng.randrange(len(buf))] = rng.getrandbits(8)
    return bytes(buf)


XLSX_VALUES: tuple[object, ...] = (
    None, 0, -1, 7707083893, 7707083893.0, 1.5, float("nan"), float("inf"), 10**30, True, False,
    dt.datetime(2021, 3, 15, 10, 0), dt.date(1900, 1, 1), dt.time(12, 30), dt.timedelta(days=3),
    Decimal("7707083893"), "=1/0", "#DIV/0!", "770708389³", "", "  ", "a" * 5000, "ООО «Тест»", "x\ny",
)


def _xlsx_case(rng: random.Random, number: int, rows: list[list[str]]) -> Case:
    book = openpyxl.Workbook()
    sheet = book.active
    header: list[object] = list(rows[0])
    if rng.random() < 0.3:
        header[rng.randrange(len(header))] = rng.choice(XLSX_VALUES)
    sheet.append(header)
    for row in rng.sample(rows[1:], rng.randint(0, 20)):
        cells: list[object] = list(row)
        for _ in range(rng.randint(0, 4)):
            cells[rng.randrange(len(cells))] = rng.choice(XLSX_VALUES)
        sheet.append(cells)
    buf = io.BytesIO()
    book.save(buf)
    data = buf.getvalue()
    if rng.random() < 0.25:
        data = _damage(rng, data)
    kwargs: dict[str, object] = {"sheet": rng.choice(("Sheet", "Лист1"))} if rng.random() < 0.1 else {}
    return Case(f"fuzz{number}.xlsx", data, kwargs)


def cases() -> Iterator[Case]:
    rng = random.Random(SEED)
    rows = _demo_rows()
    for number in range(CSV_CASES):
        yield _csv_case(rng, number, rows)
    for number in range(XLSX_CASES):
        yield _xlsx_case(rng, CSV_CASES + number, rows)


def _load(path: Path, kwargs: dict[str, object]) -> ClientBase:
    base = ClientBase.load(path, **kwargs)  # type: ignore[arg-type]
    for client in list(base)[:3]:  # the look-ups must cope with whatever loaded
        base.by_name(client.name)
        for domain in client.domains:
            base.by_domain(domain)
    return base


def test_client_files_never_raise_anything_but_rules_error(tmp_path: Path) -> None:
    failures: list[str] = []
    count = 0
    for case in cases():
        count += 1
        path = tmp_path / case.name
        path.write_bytes(case.data)
        try:
            _load(path, case.kwargs)
        except RulesError as exc:
            assert str(exc).strip(), case.name  # a message the head can read
        except Exception as exc:
            last = traceback.extract_tb(exc.__traceback__)[-1]
            failures.append(f"{case.name} {case.kwargs}: {type(exc).__name__}: {exc!s:.120} at {last.name}:{last.lineno}")
        path.unlink()
    assert count == CSV_CASES + XLSX_CASES
    assert not failures, f"{len(failures)} of {count} cases raised:\n" + "\n".join(failures[:40])
