"""The client base (a CRM or 1C export: CSV or XLSX), with look-ups by INN, sender domain
and company name.

Reading the export is inboxbot.directory.base_reader (forgiving: bad rows become
`problems`). A small base is kept in memory; a large one (a CRM export of a million
companies) is read once into an on-disk index next to the file and answered from there
(inboxbot.directory.client_store, index_file): one interface, two implementations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from inboxbot.directory.base_reader import ReadBase, read_base
from inboxbot.directory.client import Client, ColumnMap
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.client_store import ClientStore, MemoryStore
from inboxbot.directory.index_file import indexed_base
from inboxbot.directory.names import name_key, variant_text
from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain, parent_domains

# Name look-up defaults, on the 0–100 scale of names.score_keys: one typo in a two-word
# name scores ≈ 93, «Агроимпульс» vs «Агроимпульс Омск» 83, «Альянс» vs «Альянс Трейд» 67.
NAME_THRESHOLD = 86.0
NAME_MARGIN = 5.0
# From this file size (≈ 25,000 rows) a base is read through its on-disk index: smaller
# ones load in well under a second and stay simply in memory.
INDEX_FROM_BYTES = 2 << 20

_DEFAULT_COLUMNS = ColumnMap()


@dataclass(frozen=True, slots=True)
class BaseSource:
    """How a base was loaded, as plain values: a child process that needs the base (the
    extraction's client dictionary) opens it again from these. `stamp` (size, mtime) makes
    a changed file another version, so a dictionary is built once per version."""

    path: str
    columns: ColumnMap
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    free: tuple[str, ...]
    indexed: bool
    stamp: tuple[int, int]

    def open(self) -> ClientBase:
        return ClientBase.load(
            Path(self.path), self.columns, encoding=self.encoding, delimiter=self.delimiter, sheet=self.sheet,
            free_mail_domains=self.free, indexed=self.indexed,
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
        self._setup(MemoryStore(clients), problems, damage, free_mail_domains)

    def _setup(self, store: ClientStore, problems: Sequence[str], damage: Sequence[str], free_mail_domains: Iterable[str]) -> None:
        self._store = store
        self.problems: tuple[str, ...] = tuple(problems)
        # The problems that make the file itself suspect: `inboxbot check` fails on them.
        self.damage: tuple[str, ...] = tuple(damage)
        self._free_mail = frozenset(normalize_domain(d) for d in free_mail_domains)
        self._dictionary: ClientDictionary | None = None
        # How the file was read ([clients] in rules.toml), set by `load` (a base built from
        # rows has none): a child process opens it again from this, and an export in its
        # columns, encoding and delimiter reads back in (`inboxbot clients export`).
        self.source: BaseSource | None = None

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
        indexed: bool | None = None,
    ) -> ClientBase:
        """Load a CSV (UTF-8/BOM/any Cyrillic code page; ; , or tab) or XLSX export.
        Bad rows end up in `problems`; damage to the file as a whole (a stray quote, a
        mapped column missing or empty, mis-decoded text) in `damage` and, first, in
        `problems` too. RulesError for a missing or unreadable file or a missing
        name/manager column. A file of INDEX_FROM_BYTES or more (or any, `indexed=True`)
        is read through its on-disk index (inboxbot.directory.index_file), built once."""
        path = Path(path)
        free = frozenset(normalize_domain(d) for d in free_mail_domains)

        def read() -> ReadBase:
            return read_base(path, columns, encoding=encoding, delimiter=delimiter, sheet=sheet, free=free)

        if indexed is None:
            indexed = path.is_file() and path.stat().st_size >= INDEX_FROM_BYTES
        if not indexed:
            got = read()
            base = cls(got.clients, got.problems, damage=got.damage, free_mail_domains=free)
        else:
            options = repr((columns, encoding, delimiter, sheet, sorted(free)))
            stored = indexed_base(path, hashlib.sha256(options.encode()).hexdigest(), read)
            base = cls.__new__(cls)
            base._setup(stored, stored.notes("problem"), stored.notes("damage"), free)
        stat = path.stat()
        base.source = BaseSource(str(path), columns, encoding, delimiter, sheet, tuple(sorted(free)), indexed, (stat.st_size, stat.st_mtime_ns))
        return base

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._store)

    @property
    def dictionary(self) -> ClientDictionary:
        """The base as a dictionary of name forms, for finding clients in running text;
        built (or opened from the on-disk index) on first use (`inboxbot check` never needs it)."""
        if self._dictionary is None:
            self._dictionary = self._store.dictionary()
        return self._dictionary

    def by_inn(self, inn: str) -> Client | None:
        return self._store.by_inn(inn.strip())

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
            found = self._store.at_domain(candidate)
            if found:
                return found
        return ()

    def at_line(self, file: str, line: int) -> Client | None:
        """The client read from this line of this file (a ClientRef's origin)."""
        return self._store.at_line(file, line)

    def group_members(self, group: str) -> tuple[Client, ...]:
        return self._store.in_group(group.strip().casefold())

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
        hits = self._store.names.search(name_key(name), threshold=threshold, exhaustive=exhaustive)
        if not hits:
            return NameLookup(best=None, candidates=(), ambiguous=False)
        # Clients are read only for what is returned and the region check: a common name
        # in a million-row base has a hundred hits, each a stored row.
        best = round(hits[0].score, 1)
        close = [h for h in hits if round(h.score, 1) >= best - margin]
        ambiguous = len(close) > 1
        if ambiguous and region_code:
            regions = self._store.regions([h.owner for h in close])
            local = [h for h, region in zip(close, regions, strict=True) if region == region_code]
            if local:
                # The region decides among the close ones: put its clients first.
                hits = local + [h for h in hits if h not in local]
                ambiguous = len(local) > 1
        hits = hits[: max(limit, 1)]
        chosen = tuple(
            NameMatch(client=c, score=round(h.score, 1), matched=variant_text(h.kind, c.name, (*c.alt_names, *c.former_names)))
            for h, c in zip(hits, self._store.many([h.owner for h in hits]), strict=True)
        )
        return NameLookup(best=chosen[0], candidates=chosen, ambiguous=ambiguous)
