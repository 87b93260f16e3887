"""The client base (a CRM or 1C export: CSV or XLSX), holdings and VIPs, with look-ups by
INN, sender domain and company name.

Loading a base a sales assistant exported is forgiving on purpose: a bad row is reported
in `problems` ("clients.csv, строка 17: …") and the rest still loads, because one typo in
a 10,000-row export must not stop the mailbox. Only a missing file or a missing required
column is fatal (RulesError), since then nothing could be routed by client at all.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from inboxbot.directory.names import NameIndex, name_key, name_variants, normal_form, variant_text
from inboxbot.errors import RulesError
from inboxbot.mail.charsets import CODEPAGE_TITLES, CYRILLIC_CODEPAGES, decode_unknown, misdecoded_as
from inboxbot.model.decision import ClientRef
from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain, parent_domains
from inboxbot.model.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn

REQUIRED_COLUMNS = ("name", "manager")
GROUP_POLICIES = ("one_owner", "independent")
# Name look-up defaults, on the 0–100 scale of names.score_keys: one typo in a two-word
# name scores ≈ 93, «Агроимпульс» vs «Агроимпульс Омск» 83, «Альянс» vs «Альянс Трейд» 67.
NAME_THRESHOLD = 86.0
NAME_MARGIN = 5.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    region_code: str | None
    city: str | None
    manager: str | None
    group: str | None
    domains: tuple[str, ...]
    alt_names: tuple[str, ...]
    file: str
    line: int  # 1-based; the CSV header is line 1
    since: date | None = None  # a client since (the optional `since` column)

    def ref(self) -> ClientRef:
        return ClientRef(
            name=self.name,
            inn=self.inn,
            manager=self.manager,
            file=self.file,
            line=self.line,
            region_code=self.region_code,
            group=self.group,
            since=self.since,
        )


@dataclass(frozen=True, slots=True)
class NameMatch:
    client: Client
    score: float  # 0–100
    matched: str  # the name or alt name that matched, as written in the base


@dataclass(frozen=True, slots=True)
class NameLookup:
    best: NameMatch | None
    candidates: tuple[NameMatch, ...]
    ambiguous: bool


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Column names in the export for each of our fields (rules.toml may rename them)."""

    name: str = "name"
    inn: str = "inn"
    kpp: str = "kpp"
    ogrn: str = "ogrn"
    region_code: str = "region_code"
    city: str = "city"
    manager: str = "manager"
    group: str = "group"
    domains: str = "domains"
    alt_names: str = "alt_names"
    since: str = "since"


# --- reading tables --------------------------------------------------------------------

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


def _column_indexes(
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


# --- cleaning values -------------------------------------------------------------------


def _fix_inn(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    # Excel drops leading zeros (Adygea's 01…, Bashkortostan's 02…): put one back when
    # that makes a valid INN.
    if len(digits) in (9, 11) and is_valid_inn("0" + digits):
        return "0" + digits
    return digits


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RU_DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_since(value: str) -> date | None:
    """2021-03-15 or 15.03.2021 (what CRMs, 1C and Excel write) → date; None for
    anything else, including impossible dates such as 31.02.2021."""
    value = value.strip()
    if match := _ISO_DATE_RE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _RU_DATE_RE.fullmatch(value):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _intern(value: str | None) -> str | None:
    """Managers, regions, cities and groups repeat over thousands of rows: one string
    object each instead of one per row (≈ 150 MB less for a million clients)."""
    value = (value or "").strip()
    return sys.intern(value) if value else None


def _split_list(value: str, separators: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(separators, value) if p.strip())


# --- the base --------------------------------------------------------------------------


class ClientBase:
    """Clients with look-ups by INN, domain, name and group. Build with `load`."""

    def __init__(
        self,
        clients: Sequence[Client],
        problems: Sequence[str] = (),
        *,
        damage: Sequence[str] = (),
        free_mail_domains: Iterable[str] = FREE_MAIL_DOMAINS,
    ) -> None:
        self._clients = tuple(clients)
        self.problems: tuple[str, ...] = tuple(problems)
        # The problems that make the file itself suspect: `inboxbot check` fails on them.
        self.damage: tuple[str, ...] = tuple(damage)
        self._free_mail = frozenset(normalize_domain(d) for d in free_mail_domains)
        self._by_inn: dict[str, Client] = {}
        self._by_domain: dict[str, list[int]] = {}
        self._by_group: dict[str, list[int]] = {}
        for i, client in enumerate(self._clients):
            if client.inn:
                self._by_inn.setdefault(client.inn, client)  # duplicates were reported at load
            for domain in client.domains:
                self._by_domain.setdefault(normalize_domain(domain), []).append(i)
            if client.group:
                self._by_group.setdefault(client.group.casefold(), []).append(i)
        self._index = NameIndex(
            (i, kind, key)
            for i, client in enumerate(self._clients)
            for kind, key in name_variants(client.name, client.alt_names)
        )

    @classmethod
    def load(
        cls,
        path: Path,
        columns: ColumnMap = ColumnMap(),
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet: str | None = None,
        free_mail_domains: Iterable[str] = FREE_MAIL_DOMAINS,
    ) -> ClientBase:
        """Load a CSV (UTF-8/BOM/any Cyrillic code page; ; , or tab) or XLSX export.
        Bad rows end up in `problems`; damage to the file as a whole (a stray quote, a
        mapped column missing or empty, mis-decoded text) in `damage` and, first, in
        `problems` too. RulesError for a missing or unreadable file or a missing
        name/manager column."""
        path = Path(path)
        file = path.name
        free = frozenset(normalize_domain(d) for d in free_mail_domains)
        table = open_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
        wanted = {f.name: getattr(columns, f.name) for f in fields(ColumnMap)}
        cols = _column_indexes(file, table.header, wanted, REQUIRED_COLUMNS)
        damage = _missing_columns(file, table.header, columns, cols)
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
                client, row_problems = _client_from_row(values, file, line, free)
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
        damage.extend(_empty_columns(file, columns, cols, filled, rows))
        damage.extend(_misdecoded(file, table.encoding, encoding, clients))
        return cls(clients, [*damage, *problems], damage=damage, free_mail_domains=free)

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients)

    def by_inn(self, inn: str) -> Client | None:
        return self._by_inn.get(inn.strip())

    def is_free_mail(self, domain: str) -> bool:
        return any(p in self._free_mail for p in parent_domains(normalize_domain(domain)))

    def by_domain(self, domain: str) -> tuple[Client, ...]:
        """Clients of a domain (or e-mail address), the most specific level that has any:
        mail.kareliafish.ru finds kareliafish.ru; omsk.agroimpuls.ru finds its own client
        before agroimpuls.ru. Free-mail domains never match."""
        ascii_domain = normalize_domain(domain)
        if not ascii_domain or self.is_free_mail(ascii_domain):
            return ()
        for candidate in parent_domains(ascii_domain):
            found = self._by_domain.get(candidate)
            if found:
                return tuple(self._clients[i] for i in found)
        return ()

    def group_members(self, group: str) -> tuple[Client, ...]:
        return tuple(self._clients[i] for i in self._by_group.get(group.strip().casefold(), ()))

    def by_name(
        self,
        name: str,
        *,
        region_code: str | None = None,
        limit: int = 5,
        threshold: float = NAME_THRESHOLD,
        margin: float = NAME_MARGIN,
        exhaustive: bool = False,
    ) -> NameLookup:
        """Clients whose name matches `name` (see inboxbot.directory.names for what may differ).
        `ambiguous` when two different clients score within `margin` of the best, unless
        `region_code` leaves exactly one of them. `exhaustive` skips blocking (tests)."""
        hits = self._index.search(name_key(name), threshold=threshold, exhaustive=exhaustive)
        matches = [
            NameMatch(
                client=(c := self._clients[h.owner]),
                score=round(h.score, 1),
                matched=variant_text(h.kind, c.name, c.alt_names),
            )
            for h in hits
        ]
        if not matches:
            return NameLookup(best=None, candidates=(), ambiguous=False)
        close = [m for m in matches if m.score >= matches[0].score - margin]
        ambiguous = len(close) > 1
        if ambiguous and region_code:
            local = [m for m in close if m.client.region_code == region_code]
            if local:
                # The region decides among the close ones: put its clients first.
                matches = local + [m for m in matches if m not in local]
                ambiguous = len(local) > 1
        chosen = tuple(matches[: max(limit, 1)])
        return NameLookup(best=chosen[0], candidates=chosen, ambiguous=ambiguous)


# What each field holds, for messages: «ИНН не загружены».
_FIELD_TITLES = {
    "name": "названия", "inn": "ИНН", "kpp": "КПП", "ogrn": "ОГРН", "region_code": "коды регионов",
    "city": "города", "manager": "менеджеры", "group": "группы", "domains": "домены",
    "alt_names": "другие названия", "since": "даты «клиент с»",
}  # fmt: skip
# Russian headers of CRM and 1C exports, to say which column was probably meant.
_USUAL_HEADERS = {
    "inn": ("инн",), "kpp": ("кпп",), "ogrn": ("огрн", "огрнип"), "city": ("город",),
    "region_code": ("регион", "код региона"), "domains": ("домен", "домены", "сайт"),
    "group": ("группа", "холдинг"), "since": ("клиент с", "дата начала"),
}  # fmt: skip


def _missing_columns(file: str, header: Sequence[str], columns: ColumnMap, cols: dict[str, int]) -> list[str]:
    """Damage notes for optional columns that were asked for and are not in the file: a
    column renamed in [clients.columns], or an ИНН-like header the default map misses."""
    found = ", ".join(h for h in header if h)
    notes: list[str] = []
    for f in fields(ColumnMap):
        name = getattr(columns, f.name)
        if f.name in cols or f.name in REQUIRED_COLUMNS:
            continue
        if name != f.default:
            notes.append(
                f"{file}: колонки «{name}» (поле {f.name} в [clients.columns]) в файле нет — "
                f"{_FIELD_TITLES[f.name]} не загружены. Найдены колонки: {found}; исправьте имя в [clients.columns]"
            )
            continue
        usual = next((h for h in header if h.strip().lower() in _USUAL_HEADERS.get(f.name, ())), None)
        if usual is not None:
            notes.append(
                f"{file}: есть колонка «{usual}», но {_FIELD_TITLES[f.name]} читаются из колонки «{name}», "
                f'которой нет, — {_FIELD_TITLES[f.name]} не загружены; добавьте {f.name} = "{usual}" в [clients.columns]'
            )
    return notes


def _empty_columns(file: str, columns: ColumnMap, cols: dict[str, int], filled: set[str], rows: int) -> list[str]:
    """Damage notes for columns that are there but empty in every row: the required ones
    and ИНН. An optional column left empty (КПП, ОГРН, holding) is normal, also under a
    name of its own: `inboxbot init`'s template maps every column to a Russian header."""
    if rows == 0:
        return []
    return [
        f"{file}: колонка «{getattr(columns, f)}» пуста во всех строках ({rows}) — {_FIELD_TITLES[f]} не загружены; "
        "проверьте выгрузку или соответствие колонок в [clients.columns]"
        for f in cols
        if f not in filled
        and (f in REQUIRED_COLUMNS or f == "inn")
    ]


def _misdecoded(file: str, used: str, asked: str | None, clients: Sequence[Client]) -> list[str]:
    """A damage note when the names read look like text in the wrong encoding: the file
    read in the wrong code page, or garbled text saved into it (Excel in a Russian locale
    reads a UTF-8 or KOI8-R CSV as windows-1251, and saves what it shows)."""
    page = used if used in CYRILLIC_CODEPAGES else "cp1251"
    real = misdecoded_as("\n".join(c.name for c in clients[:2000]), page)
    if real is None:
        return []
    example = next(((c, fixed) for c in clients if (fixed := _redecoded(c.name, page, real)) != c.name), None)
    if example is None:
        return []
    client, fixed = example
    where = f"{file}, строка {client.line}: «{client.name}» — похоже на текст в неверной кодировке («{fixed}»)"
    if used == page and asked:
        return [
            f'{where}: файл в кодировке {CODEPAGE_TITLES.get(real, real)}, а в [clients] указано encoding = "{asked}"; '
            "уберите encoding, и кодировка определится сама"
        ]
    if used == page:
        return [
            f"{where}: кодировка файла не определилась; сохраните выгрузку в UTF-8 "
            f'или укажите encoding = "{real}" в [clients]'
        ]
    return [
        f"{where}: выгрузку когда-то открыли не в той кодировке и сохранили заново; "
        "выгрузите базу из CRM или 1C заново (лучше в UTF-8)"
    ]


def _redecoded(text: str, page: str, real: str) -> str:
    """`text` as it reads when its bytes in `page` are decoded as `real` (for UTF-8: the
    first page whose bytes are valid UTF-8); the text itself when that fails."""
    for source in (page, *CYRILLIC_CODEPAGES) if real == "utf-8" else (page,):
        try:
            return text.encode(source).decode(real)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _client_from_row(
    values: dict[str, str], file: str, line: int, free_mail: frozenset[str]
) -> tuple[Client | None, list[str]]:
    """One row → Client (None if it has no name) and what is wrong with it, in Russian."""
    problems: list[str] = []
    name = values.get("name", "").strip()
    if not name:
        return None, ["нет названия компании (колонка name) — строка пропущена"]
    if not name_key(name):
        problems.append(f"в названии «{name}» нет ни одной буквы или цифры — по названию не найдётся")
    manager = values.get("manager", "").strip() or None
    if manager is None:
        problems.append("не указан менеджер (колонка manager) — клиент найдётся, но владельца у него нет")

    inn: str | None = _fix_inn(values.get("inn", "")) or None
    if inn and not is_valid_inn(inn):
        problems.append(
            f"ИНН {inn} не проходит проверку контрольных цифр (10 цифр у организации, 12 у ИП) — ИНН не учтён"
        )
        inn = None
    kpp = values.get("kpp", "").replace(" ", "") or None
    if kpp and not is_valid_kpp(kpp):
        problems.append(f"КПП {kpp} — не 9 знаков вида NNNNPPNNN — КПП не учтён")
        kpp = None
    ogrn = values.get("ogrn", "").replace(" ", "") or None
    if ogrn and not is_valid_ogrn(ogrn):
        problems.append(f"ОГРН {ogrn} не проходит проверку (13 цифр, у ИП 15) — ОГРН не учтён")
        ogrn = None
    region = values.get("region_code", "").strip() or None
    if region is not None:
        if region.isascii() and region.isdigit() and 1 <= int(region) <= 99:  # not «²», which int() rejects
            region = region.zfill(2)  # Excel writes Adygea's 01 as 1
        else:
            problems.append(f"код региона «{region}» — нужен код субъекта РФ из двух цифр (01–99)")
            region = None
    if region is None and inn:
        region = inn[:2]  # the INN's first two digits are the region of registration
    since_text = values.get("since", "").strip()
    since = parse_since(since_text) if since_text else None
    if since_text and since is None:
        problems.append(f"дата «{since_text}» (колонка since) — нужна дата вида 2021-03-15 или 15.03.2021 — дата не учтена")

    domains: list[str] = []
    for raw in _split_list(values.get("domains", ""), r"[;,\s]+"):
        domain = normalize_domain(raw)
        if "." not in domain:
            problems.append(f"домен «{raw}» не похож на домен (нужно вида example.ru) — пропущен")
        elif any(p in free_mail for p in parent_domains(domain)):
            problems.append(f"домен {raw} — бесплатная почта, клиента по нему не определить — пропущен")
        elif domain not in domains:
            domains.append(domain)
    client = Client(
        name=name,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        region_code=_intern(region),
        city=_intern(values.get("city", "")),
        manager=_intern(manager),
        group=_intern(values.get("group", "")),
        domains=tuple(domains),
        alt_names=_split_list(values.get("alt_names", ""), r"[;|]"),
        file=file,
        line=line,
        since=since,
    )
    return client, problems


def _getter(cells: Sequence[str], cols: dict[str, int]) -> Callable[[str], str]:
    """Cell of a field in one row, '' when the column is absent or the row is short."""

    def get(field: str) -> str:
        i = cols.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    return get


# --- holdings --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    policy: str  # "one_owner" | "independent"
    owner: str | None
    aliases: tuple[str, ...]
    domains: tuple[str, ...]


def load_groups(path: Path) -> tuple[Group, ...]:
    """groups.csv: group, policy, owner, aliases (separated by ';'), optional domains.
    A small hand-edited config, so any problem is fatal and all are reported at once."""
    path = Path(path)
    header, rows = read_table(path)
    cols = _column_indexes(
        path.name,
        header,
        {"group": "group", "policy": "policy", "owner": "owner", "aliases": "aliases", "domains": "domains"},
        ("group", "policy"),
    )
    groups: list[Group] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if not any(cells):
            continue
        get = _getter(cells, cols)
        name, policy, owner = get("group"), get("policy"), get("owner") or None
        where = f"{path.name}, строка {line}"
        if not name:
            problems.append(f"{where}: нет названия группы (колонка group)")
            continue
        if name.casefold() in seen:
            problems.append(f"{where}: группа «{name}» уже описана в строке {seen[name.casefold()]}")
        seen[name.casefold()] = line
        if policy not in GROUP_POLICIES:
            problems.append(f"{where}: политика «{policy}» неизвестна. Допустимо: {', '.join(GROUP_POLICIES)}")
        elif policy == "one_owner" and owner is None:
            problems.append(f"{where}: у группы «{name}» политика one_owner, но не указан владелец (колонка owner)")
        groups.append(
            Group(
                name=name,
                policy=policy,
                owner=owner,
                aliases=_split_list(get("aliases"), r";"),
                domains=tuple(normalize_domain(d) for d in _split_list(get("domains"), r"[;,\s]+")),
            )
        )
    if problems:
        raise RulesError("\n".join(problems))
    return tuple(groups)


_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")
_SHORT_ALIAS = 3  # ВКГ, ЮАХ, TVM: matched only when written in capitals
_FUZZY_ALIAS = 8  # words this long may carry one typo


def _norm_word(word: str) -> str:
    return normal_form(word.lower().replace("ё", "е"))


def find_group_mentions(text: str, groups: Sequence[Group]) -> tuple[tuple[Group, str], ...]:
    """Groups whose name or alias occurs in `text` (a company name or a whole mail), with
    the text that matched, in order of appearance. Tolerant of case, quotes, hyphens
    («Агроимпульс-Омск»), inflection («ГК „Молочная страна“» in «группы компаний
    „Молочной страны“») and one typo in words of 8+ letters. Aliases of up to three
    letters (ВКГ, TVM) count only in capitals, so ordinary words do not trigger them."""
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    normal = [_norm_word(w) for w, _, _ in words]
    positions: dict[str, list[int]] = {}
    for i, n in enumerate(normal):
        positions.setdefault(n, []).append(i)

    def word_matches(i: int, wanted: str) -> bool:
        written = words[i][0]
        if len(wanted) <= _SHORT_ALIAS:
            return normal[i] == wanted and written.isupper()
        if normal[i] == wanted or written.lower().replace("ё", "е") == wanted:
            return True
        return len(wanted) >= _FUZZY_ALIAS and Levenshtein.distance(normal[i], wanted, score_cutoff=1) <= 1

    def starts(first: str) -> list[int]:
        """Positions whose word may be `first`; fuzzy candidates come from distinct words."""
        keys = (
            [first]
            if len(first) < _FUZZY_ALIAS
            else [n for n in positions if Levenshtein.distance(n, first, score_cutoff=1) <= 1]
        )
        found = sorted(i for k in keys for i in positions.get(k, ()))
        return [i for i in found if word_matches(i, first)]

    found: list[tuple[int, Group, str]] = []
    for group in groups:
        patterns = {tuple(_norm_word(w) for w in _WORD.findall(a)) for a in (group.name, *group.aliases)}
        taken: list[tuple[int, int]] = []
        for pattern in sorted((p for p in patterns if p), key=len, reverse=True):  # longest first
            for i in starts(pattern[0]):
                end = i + len(pattern)
                if end > len(words) or any(s <= i < e for s, e in taken):
                    continue
                if all(word_matches(i + j, pattern[j]) for j in range(1, len(pattern))):
                    taken.append((i, end))
                    found.append((words[i][1], group, text[words[i][1] : words[end - 1][2]]))
    found.sort(key=lambda f: f[0])
    return tuple((g, t) for _, g, t in found)


# --- VIP -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VipEntry:
    name: str
    inn: str | None
    owner: str
    since: str | None
    line: int


def load_vip(path: Path) -> tuple[VipEntry, ...]:
    """vip.csv: name, inn, owner, since (YYYY-MM-DD). Every problem is reported at once."""
    path = Path(path)
    header, rows = read_table(path)
    wanted = {"name": "name", "inn": "inn", "owner": "owner", "since": "since"}
    cols = _column_indexes(path.name, header, wanted, ("name", "owner"))
    entries: list[VipEntry] = []
    problems: list[str] = []
    for line, cells in rows:
        if not any(cells):
            continue
        get = _getter(cells, cols)
        where = f"{path.name}, строка {line}"
        name, owner, since = get("name"), get("owner"), get("since") or None
        inn = _fix_inn(get("inn")) or None
        if not name:
            problems.append(f"{where}: нет названия (колонка name)")
        if not owner:
            problems.append(f"{where}: не указан владелец (колонка owner)")
        if inn and not is_valid_inn(inn):
            problems.append(f"{where}: ИНН {inn} не проходит проверку контрольных цифр")
        if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
            problems.append(f"{where}: дата «{since}» — нужна дата вида 2025-06-01")
        entries.append(VipEntry(name=name, inn=inn, owner=owner, since=since, line=line))
    if problems:
        raise RulesError("\n".join(problems))
    return tuple(entries)
