"""The client base (a CRM or 1C export: CSV or XLSX), with look-ups by INN, sender domain
and company name.

Loading a base a sales assistant exported is forgiving on purpose: a bad row is reported
in `problems` ("clients.csv, строка 17: …") and the rest still loads, because one typo in
a 10,000-row export must not stop the mailbox. Only a missing file or a missing required
column is fatal (RulesError), since then nothing could be routed by client at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from inboxbot.directory.client import REQUIRED_COLUMNS, Client, ColumnMap
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.client_rows import client_from_row
from inboxbot.directory.export_checks import empty_columns, misdecoded, missing_columns
from inboxbot.directory.name_index import NameIndex
from inboxbot.directory.names import name_key, name_variants, variant_text
from inboxbot.directory.tables import MAX_CELL_CHARS, column_indexes, open_table
from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain, parent_domains

# Name look-up defaults, on the 0–100 scale of names.score_keys: one typo in a two-word
# name scores ≈ 93, «Агроимпульс» vs «Агроимпульс Омск» 83, «Альянс» vs «Альянс Трейд» 67.
NAME_THRESHOLD = 86.0
NAME_MARGIN = 5.0

log = logging.getLogger(__name__)

_DEFAULT_COLUMNS = ColumnMap()


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
            for kind, key in name_variants(client.name, (*client.alt_names, *client.former_names))
        )
        self._dictionary: ClientDictionary | None = None

    @classmethod
    def load(
        cls,
        path: Path,
        columns: ColumnMap = _DEFAULT_COLUMNS,
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
        return cls(clients, [*damage, *problems], damage=damage, free_mail_domains=free)

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients)

    @property
    def dictionary(self) -> ClientDictionary:
        """The base as a dictionary of name forms, for finding clients in running text;
        built on first use (`inboxbot check` never needs it)."""
        if self._dictionary is None:
            self._dictionary = ClientDictionary(self._clients)
        return self._dictionary

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
                matched=variant_text(h.kind, c.name, (*c.alt_names, *c.former_names)),
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
