"""Reading a CSV or XLSX table forgivingly: the encoding (UTF-8, UTF-16, any Cyrillic code
page) and the delimiter found by themselves, a stray quote reported with its line and the
rest still read, cells of any size."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inboxbot.errors import RulesError
from inboxbot.mail.charsets import decode_unknown

# No client name, INN or domain list is this long: a longer cell is a damaged export
# (and csv's own limit, 131,072 characters, would raise instead of saying so).
MAX_CELL_CHARS = 10_000
# A file whose records are fewer than this share of its non-empty lines has cells that
# swallowed lines (quotes out of step): worth a warning even when each row parsed.
MIN_RECORD_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV or XLSX table being read. `rows` is lazy (a million-row export is not held
    twice); `damage` fills up as it is read with what is wrong with the file as a whole
    (a stray quote, an unreadable record) — Russian, each naming the file and the line."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    damage: list[str]
    encoding: str  # what the text was read as; "xlsx" for a workbook


def _decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), UTF-16 with BOM (Excel's «Unicode
    text»), else the Cyrillic code page whose text reads most like Russian."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    decoded = decode_unknown(data)
    return decoded.text, decoded.encoding


def _decode_as(data: bytes, encoding: str, file: str) -> str:
    """`data` in the encoding rules.toml names; RulesError (Russian, with the line) when
    the name is unknown or the bytes are not in that encoding."""
    try:
        return data.decode(encoding)  # LookupError also for codecs that are no text encoding (rot13)
    except (LookupError, TypeError):
        raise RulesError(
            f"{file}: кодировка «{encoding}» неизвестна. Допустимые, например: utf-8, cp1251, koi8-r, "
            "cp866; или уберите encoding из [clients], и кодировка определится сама"
        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RulesError(
            f"{file}, строка {line}: файл не в кодировке {encoding} (байт {data[exc.start]:#04x} не читается); "
            "уберите encoding из [clients], и кодировка определится сама, или сохраните выгрузку в UTF-8"
        ) from None


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: whichever of ; , tab occurs most (Excel in a
    Russian locale writes ';', 1C often tab, everything else ',')."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores INNs as numbers: 7106346026.0
    if isinstance(value, (date,)):
        return value.isoformat()[:10]
    return str(value).strip()


def read_table(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and (line, cells) rows of a CSV or XLSX file; line numbers are 1-based with
    the header on line 1 (for XLSX: the sheet's row number). For small hand-edited files
    (groups, VIP): damage to the file raises RulesError once the rows are read."""
    table = open_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)

    def rows() -> Iterator[tuple[int, list[str]]]:
        yield from table.rows
        if table.damage:
            raise RulesError("\n".join(table.damage))

    return table.header, rows()


def open_table(
    path: Path, *, encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None
) -> Table:
    """The table of a CSV or XLSX file (see Table). RulesError for a missing or unreadable
    file, an unknown encoding or a delimiter that is not one character."""
    if not path.is_file():
        raise RulesError(f"{path}: файл не найден; укажите путь к выгрузке клиентов (CSV или XLSX)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    file = path.name
    if delimiter not in (None, "") and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'):
        raise RulesError(
            f"{file}: разделитель {delimiter!r} не годится — нужен один знак, например \";\" или \",\" "
            "(для табуляции \"\\t\"); или уберите delimiter, и он определится сам"
        )
    data = path.read_bytes()
    if encoding:
        text, used = _decode_as(data, encoding, file), encoding
    else:
        text, used = _decode(data)
    delimiter = delimiter or _sniff_delimiter(text)
    lines = list(io.StringIO(text, newline=""))  # split as csv splits: \n, \r\n and \r
    header_at = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    damage: list[str] = []
    header: list[str] = []
    if header_at < len(lines):
        # The header is one line, read alone: a stray quote in it must not eat the rows.
        header = next(csv.reader([lines[header_at][:MAX_CELL_CHARS]], delimiter=delimiter), [])
        if _record_patterns(delimiter)[0].fullmatch(lines[header_at]) is None:
            damage.append(
                f"{file}, строка {header_at + 1}: в заголовке кавычка не закрыта — колонки после неё не распознаны; "
                "уберите эту кавычку"
            )
    records = _records(lines, header_at + 1, delimiter, file, damage)
    return Table([h.strip().lstrip("\ufeff") for h in header], _counted(records, lines, header_at, file, damage), damage, used)


def _counted(
    records: Iterator[tuple[int, list[str]]], lines: Sequence[str], header_at: int, file: str, damage: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """The records, then a damage note if they are a small share of the file's lines."""
    count = 0
    for record in records:
        count += 1
        yield record
    non_empty = sum(1 for line in lines[header_at + 1 :] if line.strip())
    if non_empty >= 10 and count < MIN_RECORD_SHARE * non_empty:
        damage.append(
            f"{file}: из {non_empty} непустых строк прочитано только {count} записей — ячейки в кавычках "
            "захватили соседние строки; проверьте кавычки (непарная «\"» в начале ячейки) или пересохраните "
            "выгрузку из Excel/1C заново"
        )


def _records(
    lines: Sequence[str], first: int, delimiter: str, file: str, damage: list[str]
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record from lines[first] on. A quoted cell may span lines; a quote that
    opens a cell and never closes properly («"ООО Ромашка;7707083893;…») would make csv
    swallow the following lines, so that line is reported and skipped and reading goes
    on from the next line. Blank lines yield no record."""
    record, cont = _record_patterns(delimiter)
    i = first
    while i < len(lines):
        start = i
        line = lines[i]
        i += 1
        if '"' not in line:
            if line.strip():
                yield start + 1, _plain_cells(line, delimiter)
            continue
        chunk = [line]
        open_ = record.fullmatch(line) is None
        while open_ and i < len(lines) and len(chunk) < _MAX_RECORD_LINES:
            chunk.append(lines[i])
            i += 1
            open_ = cont.fullmatch(chunk[-1]) is None
        closing = chunk[-1]
        if open_ or (len(chunk) > 1 and closing.count('"') % 2 == 0 and record.fullmatch(closing)):
            # Never closed, or closed by a line that stands as a row of its own (its quote
            # opened its own cell and closed ours by accident): skip the opening line only.
            damage.append(
                f"{file}, строка {start + 1}: кавычка в начале ячейки не закрыта — строка пропущена; "
                'уберите эту кавычку или закройте её (например, "ООО ""Ромашка""")'
            )
            i = start + 1
            continue
        try:
            cells = next(csv.reader(chunk, delimiter=delimiter), [])
        except csv.Error as exc:  # a cell over csv's size limit
            damage.append(
                f"{file}, строка {start + 1}: запись не разобрана ({exc}) — строка пропущена; "
                "проверьте эту строку в выгрузке"
            )
            continue
        yield start + 1, [c.strip() for c in cells]


# A quoted cell longer than this many lines is a quote out of step, not an address.
_MAX_RECORD_LINES = 200


def _plain_cells(line: str, delimiter: str) -> list[str]:
    """A line without quotes, as csv would read it (and without csv's cell size limit)."""
    return [c.strip() for c in line.rstrip("\r\n").split(delimiter)]


def _record_patterns(delimiter: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(a line that is a whole record, a line that ends a record begun inside quotes), as
    csv's default dialect reads them: a quote matters only at the start of a cell; ""
    inside quotes is a quote; after the closing quote the cell goes on as plain text up to
    the delimiter. Any other line ends inside quotes. Both run in linear time."""
    d = re.escape(delimiter)
    cell = rf'(?:"(?:[^"]|"")*"(?!")[^{d}\r\n]*|[^"{d}\r\n][^{d}\r\n]*|)'
    tail = rf"(?:{d}{cell})*(?:\r\n|\r|\n)?"
    return re.compile(cell + tail), re.compile(rf'(?:[^"]|"")*"(?!")[^{d}\r\n]*' + tail)


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl  # only XLSX users pay for the import

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/XML errors of a damaged or mislabelled file
        raise RulesError(f"{path.name}: не читается как XLSX ({exc}); сохраните выгрузку как .xlsx или .csv") from exc
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise RulesError(f"{path.name}: нет листа «{sheet}». Листы: {', '.join(book.sheetnames)}")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    damage: list[str] = []
    rows = ws.iter_rows(values_only=True)
    try:
        header = [_cell(v) for v in next(rows, ())]
    except Exception as exc:  # a damaged sheet XML fails only when read
        book.close()
        raise RulesError(f"{path.name}: лист не читается ({exc}); пересохраните выгрузку в Excel") from exc

    def body() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for number, row in enumerate(rows, start=2):
                yield number, [_cell(v) for v in row]
        except Exception as exc:  # the same damage further down the sheet
            damage.append(
                f"{path.name}, строка {number + 1}: лист дальше не читается ({type(exc).__name__}: {exc}) — "
                "остальные строки пропущены; пересохраните выгрузку в Excel"
            )
        finally:
            book.close()

    return Table(header, body(), damage, "xlsx")


def column_indexes(
    file: str, header: Sequence[str], wanted: dict[str, str], required: Sequence[str]
) -> dict[str, int]:
    """Our field → column index; RulesError naming the file and the columns found when a
    required one is missing."""
    positions = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    found = {f: positions[c.strip().lower()] for f, c in wanted.items() if c.strip().lower() in positions}
    missing = [wanted[f] for f in required if f not in found]
    if missing:
        raise RulesError(
            f"{file}: нет обязательных колонок: {', '.join(missing)}. "
            f"Найдены колонки: {', '.join(h for h in header if h) or '(пустая первая строка)'}. "
            "Переименуйте колонки или задайте соответствие в rules.toml"
        )
    return found


def row_getter(cells: Sequence[str], cols: dict[str, int]) -> Callable[[str], str]:
    """Cell of a field in one row, '' when the column is absent or the row is short."""

    def get(field: str) -> str:
        i = cols.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return get
