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
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from inboxbot.decision import ClientRef
from inboxbot.errors import RulesError
from inboxbot.names import NameIndex, name_key, name_variants, normal_form, variant_text
from inboxbot.requisites import is_valid_inn, is_valid_kpp, is_valid_ogrn

# Public mail services: a sender there tells nothing about the company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    """mail.ru bk.ru inbox.ru list.ru internet.ru yandex.ru ya.ru yandex.com gmail.com
    rambler.ru outlook.com hotmail.com icloud.com qip.ru ro.ru""".split()
)
REQUIRED_COLUMNS = ("name", "manager")
GROUP_POLICIES = ("one_owner", "independent")
# Name look-up defaults, on the 0–100 scale of names.score_keys: one typo in a two-word
# name scores ≈ 93, «Агроимпульс» vs «Агроимпульс Омск» 83, «Альянс» vs «Альянс Трейд» 67.
NAME_THRESHOLD = 86.0
NAME_MARGIN = 5.0


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


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's «Unicode text»), else
    windows-1251, which decodes any byte string — so it has to be the last guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", "replace")


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
    the header on line 1 (for XLSX: the sheet's row number)."""
    if not path.is_file():
        raise RulesError(f"{path}: файл не найден; укажите путь к выгрузке клиентов (CSV или XLSX)")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    data = path.read_bytes()
    text = data.decode(encoding) if encoding else _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff_delimiter(text))
    rows = iter(reader)
    header = next(rows, [])

    def body() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        for row in rows:
            yield start, [c.strip() for c in row]
            start = reader.line_num + 1  # a quoted cell may span lines

    return [h.strip().lstrip("\ufeff") for h in header], body()


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    import openpyxl  # only XLSX users pay for the import

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/XML errors of a damaged or mislabelled file
        raise RulesError(f"{path.name}: не читается как XLSX ({exc}); сохраните выгрузку как .xlsx или .csv") from exc
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise RulesError(f"{path.name}: нет листа «{sheet}». Листы: {', '.join(book.sheetnames)}")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_cell(v) for v in next(rows, ())]

    def body() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(rows, start=2):
                yield number, [_cell(v) for v in row]
        finally:
            book.close()

    return header, body()


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


def normalize_domain(domain: str) -> str:
    """Lower-case ASCII (punycode) form of a domain or e-mail address, so that
    «пример.рф», «xn--e1afmkfd.xn--p1ai» and «Mail.Example.RU.» compare equal."""
    domain = domain.strip().lower().rpartition("@")[2]
    domain = re.sub(r"^[a-z]+://", "", domain).split("/")[0].strip(". ")
    domain = domain.removeprefix("www.")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # over-long or empty labels: keep it as written
        return domain


def _parents(domain: str) -> Iterator[str]:
    """The domain and each parent down to two labels: a.b.example.ru, b.example.ru, example.ru."""
    labels = domain.split(".")
    for i in range(max(len(labels) - 1, 1)):
        yield ".".join(labels[i:])


def _fix_inn(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    # Excel drops leading zeros (Adygea's 01…, Bashkortostan's 02…): put one back when
    # that makes a valid INN.
    if len(digits) in (9, 11) and digits.isdigit() and is_valid_inn("0" + digits):
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
        free_mail_domains: Iterable[str] = FREE_MAIL_DOMAINS,
    ) -> None:
        self._clients = tuple(clients)
        self.problems: tuple[str, ...] = tuple(problems)
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
        """Load a CSV (UTF-8/BOM/windows-1251; ; , or tab) or XLSX export. Bad rows end up in
        `problems`; a missing file or a missing name/manager column raises RulesError."""
        path = Path(path)
        free = frozenset(normalize_domain(d) for d in free_mail_domains)
        header, rows = read_table(path, encoding=encoding, delimiter=delimiter, sheet=sheet)
        wanted = {f.name: getattr(columns, f.name) for f in fields(ColumnMap)}
        cols = _column_indexes(path.name, header, wanted, REQUIRED_COLUMNS)
        clients: list[Client] = []
        problems: list[str] = []
        inn_lines: dict[str, int] = {}
        file = path.name
        for line, cells in rows:
            if not any(cells):
                continue
            values = {f: (cells[i] if i < len(cells) else "") for f, i in cols.items()}
            client, row_problems = _client_from_row(values, file, line, free)
            problems.extend(f"{path.name}, строка {line}: {p}" for p in row_problems)
            if client is None:
                continue
            if client.inn:
                if client.inn in inn_lines:
                    problems.append(
                        f"{path.name}, строка {line}: ИНН {client.inn} уже есть в строке "
                        f"{inn_lines[client.inn]}; по ИНН будет находиться клиент из строки {inn_lines[client.inn]}"
                    )
                else:
                    inn_lines[client.inn] = line
            clients.append(client)
        return cls(clients, problems, free_mail_domains=free)

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients)

    def by_inn(self, inn: str) -> Client | None:
        return self._by_inn.get(inn.strip())

    def is_free_mail(self, domain: str) -> bool:
        return any(p in self._free_mail for p in _parents(normalize_domain(domain)))

    def by_domain(self, domain: str) -> tuple[Client, ...]:
        """Clients of a domain (or e-mail address), the most specific level that has any:
        mail.kareliafish.ru finds kareliafish.ru; omsk.agroimpuls.ru finds its own client
        before agroimpuls.ru. Free-mail domains never match."""
        ascii_domain = normalize_domain(domain)
        if not ascii_domain or self.is_free_mail(ascii_domain):
            return ()
        for candidate in _parents(ascii_domain):
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
        """Clients whose name matches `name` (see inboxbot.names for what may differ).
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
        if region.isdigit() and 1 <= int(region) <= 99:
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
        elif any(p in free_mail for p in _parents(domain)):
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
