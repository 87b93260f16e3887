"""The store's disputes over who owns a client, and the ledger's listing, over all three
backends (tests/test_store_contract.py's fixtures)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from test_store_contract import T0, Backend, backend  # noqa: F401 (backend: a fixture)

from inboxbot.model.conflicts import KEEP, OWNER, Conflict, Dispute
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.interfaces import Store

ACME = Dispute("addressed", "ИНН 7707083893", ("petrov", "sidorov"), "клиент Сидорова написал Петрову", "m1@x")


@pytest.fixture
def store(backend: Backend) -> Store:  # noqa: F811 (the fixture above, used here)
    return backend()


def test_a_dispute_is_recorded_once_by_its_facts(store: Store) -> None:
    first = store.conflicts.raise_conflict(ACME, T0)
    assert first == Conflict(1, ACME, T0)
    # The same facts from a later mail: the same dispute, its first mail kept.
    again = store.conflicts.raise_conflict(Dispute("addressed", "ИНН 7707083893", ("petrov", "sidorov"), "другой текст", "m2@x"),
                                           T0 + timedelta(hours=1))  # fmt: skip
    assert again == first
    other = store.conflicts.raise_conflict(Dispute("base_twice", "ИНН 7707083893", ("orlov", "petrov"), "два менеджера"), T0)
    assert other.number == 2 and other.dispute.message_id == ""
    store.conflicts.mark_notified(1, T0)
    assert store.conflicts.get(1) == Conflict(1, ACME, T0, notified=True)
    assert store.conflicts.get(99) is None
    assert [c.number for c in store.conflicts.listing()] == [1, 2]


def test_a_settled_dispute_keeps_its_verdict_and_is_not_raised_again(store: Store) -> None:
    store.conflicts.raise_conflict(ACME, T0)
    settled = store.conflicts.settle(1, OWNER, "sidorov", "клиент Сидорова с 2019 года", "head", T0 + timedelta(days=1))
    assert settled is not None and not settled.open
    assert (settled.verdict, settled.owner, settled.why, settled.settled_by) == (OWNER, "sidorov", "клиент Сидорова с 2019 года", "head")
    assert settled.settled_at == T0 + timedelta(days=1)
    # Settling again changes nothing; the same facts come back settled, not as a new dispute.
    assert store.conflicts.settle(1, KEEP, None, "", "head", T0 + timedelta(days=2)) == settled
    assert store.conflicts.raise_conflict(ACME, T0 + timedelta(days=3)) == settled
    assert store.conflicts.listing() == []
    assert store.conflicts.listing(open_only=False) == [settled]
    assert store.conflicts.settle(7, KEEP, None, "", "head", T0) is None


def test_two_connections_raising_the_same_dispute_record_it_once(backend: Backend) -> None:  # noqa: F811
    first = backend()
    stores = [first, backend.again(first), backend.again(first)]
    with ThreadPoolExecutor(3) as pool:
        raised = list(pool.map(lambda s: s.conflicts.raise_conflict(ACME, T0), stores))
    assert {c.number for c in raised} == {1}
    assert len(first.conflicts.listing()) == 1


def test_the_ledger_lists_every_entry_by_kind_then_value(store: Store) -> None:
    entries = [Assignment(ClientKey(kind, value), "petrov", T0, rule="pool", pool="main", source="m@x")
               for kind, value in (("address", "a@b.ru"), ("domain", "b.ru"), ("inn", "7707083893"), ("domain", "a.ru"))]  # fmt: skip
    store.ledger.claim(entries)
    assert [e.key for e in store.ledger.entries()] == [
        ClientKey("inn", "7707083893"), ClientKey("domain", "a.ru"), ClientKey("domain", "b.ru"), ClientKey("address", "a@b.ru"),
    ]
    assert store.ledger.entries()[0] == entries[2]


def test_a_dispute_keeps_its_clients_ledger_identities_and_its_verdicts_change(store: Store) -> None:
    keys = (ClientKey("inn", "7707083893"), ClientKey("domain", "acme.ru"), ClientKey("address", "anna@acme.ru"))
    raised = store.conflicts.raise_conflict(replace(ACME, keys=keys), T0)
    assert raised.dispute.keys == keys and store.conflicts.get(1) == raised
    settled = store.conflicts.settle(1, OWNER, "sidorov", "", "volkov", T0, change_id=7)
    assert settled is not None and settled.change_id == 7 and settled.dispute.keys == keys
    assert store.conflicts.settle(1, OWNER, "petrov", "", "volkov", T0, change_id=8) == settled  # the first verdict stays
    # A dispute recorded before it had keys: none, and a keep has no change.
    store.conflicts.raise_conflict(Dispute("base_twice", "ИНН 7701", ("a", "b"), "x"), T0)
    kept = store.conflicts.settle(2, KEEP, None, "", "volkov", T0)
    assert kept is not None and kept.dispute.keys == () and kept.change_id is None
