"""The on-disk client index (directory.index_file, stored_base, stored_forms): a base read
through it answers every look-up routing makes exactly as the in-memory base does, and the
index is rebuilt when — and only when — the base or the way it is read changes."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.index_file import FORMAT_VERSION, SUFFIX
from inboxbot.directory.name_forms import tokens

ROOT = Path(__file__).resolve().parents[1]
BASES = [ROOT / "inboxbot" / "demo_data" / "clients.csv", ROOT / "tests" / "corpus" / "clients.csv"]


def _noisy(name: str, rng: random.Random) -> str:
    """The name as a mail might write it: lower case, no quotes, one letter dropped."""
    text = name.replace("«", "").replace("»", "").lower()
    i = rng.randrange(len(text))
    return text[:i] + text[i + 1 :] if rng.random() < 0.5 else text


@pytest.fixture(params=BASES, ids=lambda p: p.parent.name)
def both(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[ClientBase, ClientBase]:
    base = tmp_path / "clients.csv"
    shutil.copy(request.param, base)
    return ClientBase.load(base, indexed=False), ClientBase.load(base, indexed=True)


def test_an_indexed_base_answers_as_the_memory_base(both: tuple[ClientBase, ClientBase]) -> None:
    memory, indexed = both
    assert list(indexed) == list(memory)
    assert len(indexed) == len(memory) > 100
    assert (indexed.problems, indexed.damage) == (memory.problems, memory.damage)
    rng = random.Random(3)
    bare = ClientDictionary(list(memory)).lookup
    for client in memory:
        if client.inn:
            assert indexed.by_inn(client.inn) == memory.by_inn(client.inn)
        for domain in client.domains:
            assert indexed.by_domain(f"mail.{domain}") == memory.by_domain(f"mail.{domain}")
        assert indexed.at_line(client.file, client.line) == client
        if client.group:
            assert indexed.group_members(client.group.upper()) == memory.group_members(client.group.upper())
        query = _noisy(client.name, rng)
        assert indexed.by_name(query, region_code=client.region_code) == memory.by_name(query, region_code=client.region_code)
        assert indexed.by_name(query, exhaustive=True) == memory.by_name(query, exhaustive=True)
        text = f"Добрый день! Это {query}, просим счёт; копия для {client.name} и ВМК."
        toks = list(tokens(text))
        assert indexed.dictionary.match(toks) == memory.dictionary.match(toks)
        # Extraction asks the dictionary by INN and exact domain (extract.base_company).
        if client.inn:
            assert indexed.dictionary.lookup.by_inn(client.inn) == memory.dictionary.lookup.by_inn(client.inn) == bare.by_inn(client.inn)
        for domain in client.domains:
            assert indexed.dictionary.lookup.at_domain(domain) == memory.dictionary.lookup.at_domain(domain) == bare.at_domain(domain)
            assert client in bare.at_domain(domain)
    assert indexed.by_inn("0000000000") is None and indexed.by_domain("nobody.example") == ()
    assert indexed.at_line("clients.csv", 10**6) is None is memory.at_line("clients.csv", 10**6)


def test_the_index_lies_next_to_the_base_and_is_reused(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    ClientBase.load(base, indexed=True)
    index = tmp_path / ("clients.csv" + SUFFIX)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clients.csv", index.name]  # no temporary file left
    built = index.stat().st_mtime_ns
    os.utime(base, ns=(base.stat().st_atime_ns, base.stat().st_mtime_ns + 10**9))  # touched, not changed
    ClientBase.load(base, indexed=True)
    assert index.stat().st_mtime_ns == built
    meta = dict(sqlite3.connect(index).execute("SELECT key, value FROM meta").fetchall())
    assert meta["format"] == FORMAT_VERSION and meta["path"] == str(base.resolve())


def test_the_index_is_rebuilt_when_the_base_changes(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    first = ClientBase.load(base, indexed=True)
    lines = base.read_text(encoding="utf-8").splitlines(keepends=True)
    base.write_text("".join([lines[0], *lines[2:]]), encoding="utf-8")  # the first client is gone
    again = ClientBase.load(base, indexed=True)
    assert len(again) == len(first) - 1
    assert list(again) == list(ClientBase.load(base, indexed=False))


def test_the_index_is_rebuilt_when_the_columns_change(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    assert any(c.city for c in ClientBase.load(base, indexed=True))
    renamed = ClientBase.load(base, ColumnMap(city="город"), indexed=True)  # no such column: no cities
    assert not any(c.city for c in renamed)


def test_an_index_of_another_format_is_rebuilt(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    ClientBase.load(base, indexed=True)
    index = tmp_path / ("clients.csv" + SUFFIX)
    with sqlite3.connect(index) as conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    assert len(ClientBase.load(base, indexed=True)) == len(ClientBase.load(base, indexed=False))
    meta = dict(sqlite3.connect(index).execute("SELECT key, value FROM meta").fetchall())
    assert meta["format"] == FORMAT_VERSION


def test_a_garbage_index_file_is_replaced(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    (tmp_path / ("clients.csv" + SUFFIX)).write_bytes(b"not a database")
    assert list(ClientBase.load(base, indexed=True)) == list(ClientBase.load(base, indexed=False))


def test_a_small_base_stays_in_memory_and_writes_nothing(tmp_path: Path) -> None:
    base = tmp_path / "clients.csv"
    shutil.copy(BASES[0], base)
    ClientBase.load(base)
    assert [p.name for p in tmp_path.iterdir()] == ["clients.csv"]


def test_routing_identifies_the_same_clients_through_the_index(tmp_path: Path) -> None:
    """Every corpus mail, identified against the demo rules with their base in memory and
    through the index: the same INN, domain and name clients, the same mention in the text."""
    from dataclasses import replace

    from samples import CORPUS, CORPUS_2, RULES

    from inboxbot.extract.extract import Extractor
    from inboxbot.mail.message import parse
    from inboxbot.route.identity import identify
    from inboxbot.rules.load import load_rules

    rules = load_rules(RULES)
    dept = rules.department
    base = tmp_path / "clients.csv"
    shutil.copy(RULES.parent / "clients.csv", base)
    indexed = replace(rules, clients=ClientBase.load(base, free_mail_domains=dept.free_mail_domains, indexed=True))
    assert list(indexed.clients) == list(rules.clients)
    extractor = Extractor()
    mails = sorted(CORPUS.glob("*.eml")) + sorted(CORPUS_2.glob("*.eml"))
    assert len(mails) > 50
    named = 0
    for path in mails:
        msg = parse(path.read_bytes())
        facts, facts_indexed = (
            extractor.extract(
                msg, internal_domains=dept.internal_domains, shared_addresses=dept.shared_addresses,
                free_mail_domains=dept.free_mail_domains, clients=r.clients.dictionary,
            )
            for r in (rules, indexed)
        )  # fmt: skip
        # The dictionary read from the index finds what the one in memory finds.
        assert facts_indexed == facts, path.name
        expected = identify(msg, facts, rules)
        assert identify(msg, facts_indexed, indexed) == expected, path.name
        named += expected.named is not None
    assert named > 0  # the dictionary's text search was exercised, not only INN and domain
