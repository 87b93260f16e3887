"""Where the clients of a base are kept and looked up: one interface, two implementations.

`MemoryStore` holds every client and its look-up tables in memory — quick to build, right
for a base of a few thousand rows (the demo's 263). A CRM export of a million companies
would take a minute and a gigabyte that way, so a large base is read once into an on-disk
index (inboxbot.directory.stored_base) and answered from there. ClientBase picks by size;
routing sees the same answers either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.name_index import NameIndex
from inboxbot.directory.names import name_variants
from inboxbot.model.domains import normalize_domain


class ClientStore(Protocol):
    """Clients by position (the order of the base), INN, exact domain and group key."""

    names: NameIndex

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Client]: ...

    def __getitem__(self, i: int) -> Client: ...

    def many(self, ids: Sequence[int]) -> list[Client]:
        """Clients at these positions, in the order asked."""

    def regions(self, ids: Sequence[int]) -> list[str | None]:
        """The region codes of the clients at these positions, in the order asked."""

    def by_inn(self, inn: str) -> Client | None:
        """The first client of the base with this INN."""

    def at_domain(self, domain: str) -> tuple[Client, ...]:
        """Clients listing exactly this (normalised) domain, in base order."""

    def in_group(self, key: str) -> tuple[Client, ...]:
        """Clients of a group, by its case-folded name, in base order."""

    def at_line(self, file: str, line: int) -> Client | None:
        """The client read from this line of this file."""

    def dictionary(self) -> ClientDictionary:
        """The base's client dictionary (built or opened on each call: the caller keeps it)."""


def name_entries(clients: Sequence[Client]) -> Iterator[tuple[int, int, str]]:
    """(owner, kind, key) of every name variant of every client, for NameIndex."""
    for i, client in enumerate(clients):
        for kind, key in name_variants(client.name, (*client.alt_names, *client.former_names)):
            yield i, kind, key


class MemoryStore:
    """Every client and look-up table in memory."""

    def __init__(self, clients: Sequence[Client]) -> None:
        self._clients = tuple(clients)
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
        self.names = NameIndex(name_entries(self._clients))

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients)

    def __getitem__(self, i: int) -> Client:
        return self._clients[i]

    def many(self, ids: Sequence[int]) -> list[Client]:
        return [self._clients[i] for i in ids]

    def regions(self, ids: Sequence[int]) -> list[str | None]:
        return [self._clients[i].region_code for i in ids]

    def by_inn(self, inn: str) -> Client | None:
        return self._by_inn.get(inn)

    def at_domain(self, domain: str) -> tuple[Client, ...]:
        return tuple(self._clients[i] for i in self._by_domain.get(domain, ()))

    def in_group(self, key: str) -> tuple[Client, ...]:
        return tuple(self._clients[i] for i in self._by_group.get(key, ()))

    def at_line(self, file: str, line: int) -> Client | None:
        return next((c for c in self._clients if c.file == file and c.line == line), None)

    def dictionary(self) -> ClientDictionary:
        return ClientDictionary(self._clients, lookup=self)
