"""One client of the base (a row of the CRM or 1C export) and the export's column names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from inboxbot.model.decision import ClientRef

REQUIRED_COLUMNS = ("name", "manager")


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
    former_names: tuple[str, ...] = ()  # names before a renaming (the optional `former_names` column)

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
    former_names: str = "former_names"
    since: str = "since"
