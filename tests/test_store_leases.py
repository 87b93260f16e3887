"""The store's leases and send claims, on every backend (the Backend fixture of
test_store_contract.py): a mailbox has one worker at a time, a mail's forward one
sender, and a dead holder's lease or claim lapses on the store's clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_store_contract import BACKENDS, RACES, Backend, decision, key, race, record

from inboxbot.model.records import FORWARDED
from inboxbot.store.interfaces import Store

LAPSE = 0.1  # seconds: a lease this short has lapsed after twice as long


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = Backend(request.param, tmp_path, request)
    yield made
    made.close()


def lapse() -> None:
    threading.Event().wait(2 * LAPSE + 0.05)


def test_a_claim_has_one_holder_until_it_lapses_and_never_after_the_forward(backend: Backend) -> None:
    store = backend()
    k = record(store, 1, "m1@x", decision())
    assert store.messages.claim(k, "w1", 60)
    assert store.messages.claim(k, "w1", 60)  # the holder again (a retry, a restart): still its own
    assert not store.messages.claim(k, "w2", 60)
    assert store.messages.claim(k, "w1", LAPSE)
    lapse()
    assert store.messages.claim(k, "w2", 60)  # w1 died: its claim lapsed
    assert not store.messages.claim(k, "w1", 60)
    store.messages.mark_forwarded(k, "fwd@bot", "petrov", "territory")
    assert not store.messages.claim(k, "w2", 60)  # forwarded: nobody sends it again
    assert store.messages.claim(k, "w2", 60, state=FORWARDED)  # its notices and mark: the holder's
    assert not store.messages.claim(k, "w1", 60, state=FORWARDED)
    store.messages.mark_done(k)
    assert not store.messages.claim(k, "w2", 60, state=FORWARDED)  # marked: nothing left to claim
    assert not store.messages.claim(key(99), "w1", 60)  # an unknown mail is never claimed


def test_a_claim_names_its_holder_and_is_taken_over_from_a_named_dead_holder_only(backend: Backend) -> None:
    store = backend()
    k = record(store, 1, "m1@x", decision())
    assert store.messages.entry(k).claimed_by is None  # type: ignore[union-attr]
    assert store.messages.claim(k, "host#100", 60)
    assert store.messages.entry(k).claimed_by == "host#100"  # type: ignore[union-attr]
    assert not store.messages.claim(k, "host#200", 60)
    assert not store.messages.claim(k, "host#200", 60, taking_over="host#300")  # not the one holding it
    assert store.messages.claim(k, "host#200", 60, taking_over="host#100")  # its killed incarnation's, unlapsed
    assert store.messages.entry(k).claimed_by == "host#200"  # type: ignore[union-attr]
    assert not store.messages.claim(k, "host#300", 60, taking_over="host#100")  # taken over once: the race's loser
    store.messages.mark_forwarded(k, "fwd@bot", "petrov", "territory")
    assert not store.messages.claim(k, "host#300", 60, taking_over="host#200")  # forwarded: never claimed again
    assert store.messages.claim(k, "host#300", 60, state=FORWARDED, taking_over="host#200")


def test_two_connections_claiming_the_same_mail_have_one_winner(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)
    keys = [record(first, uid, f"c{uid}@x", decision()) for uid in range(1, RACES + 1)]

    def claim(store: Store, name: str, n: int) -> object:
        return store.messages.claim(keys[n], name, 60)

    rounds = race(first, second, claim)
    assert all(sorted((a, b)) == [False, True] for a, b in rounds), rounds  # type: ignore[type-var]


def test_a_lease_is_renewed_by_its_holder_refused_to_others_and_lapses(backend: Backend) -> None:
    store = backend()
    leases = store.leases
    assert leases.holder("sales") is None
    assert leases.take("sales", "w1", 60) and leases.take("sales", "w1", 60)
    assert not leases.take("sales", "w2", 60) and leases.holder("sales") == "w1"
    assert leases.take("zakaz", "w2", 60)  # one lease per mailbox
    leases.release("sales", "w2")  # not w2's: nothing happens
    assert leases.holder("sales") == "w1"
    assert leases.take("sales", "w1", LAPSE)
    lapse()
    assert leases.holder("sales") is None and leases.take("sales", "w2", 60)
    leases.release("sales", "w2")
    assert leases.take("sales", "w1", 60)  # a clean stop: taken over at once


def test_a_lease_is_taken_over_from_a_named_dead_holder_only(backend: Backend) -> None:
    store = backend()
    leases = store.leases
    assert leases.take("sales", "host#100-aa", 60)
    assert not leases.take("sales", "host#200-bb", 60, taking_over="host#300-cc")  # not the one holding it
    assert leases.holder("sales") == "host#100-aa"
    assert leases.take("sales", "host#200-bb", 60, taking_over="host#100-aa")  # its killed incarnation's, unlapsed
    assert leases.holder("sales") == "host#200-bb"
    assert not leases.take("sales", "host#300-cc", 60, taking_over="host#100-aa")  # taken over once: the race's loser
    assert leases.take("sales", "host#200-bb", 60, taking_over="host#100-aa")  # its own: renewed
    assert not leases.take("sales", "host#300-cc", 60)
    assert leases.take("zakaz", "host#300-cc", 60, taking_over="host#100-aa")  # a free lease: taken as ever


def test_two_connections_taking_a_free_lease_have_one_winner(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)

    def take(store: Store, name: str, n: int) -> object:
        return store.leases.take(f"box{n}", name, 60)

    rounds = race(first, second, take)
    assert all(sorted((a, b)) == [False, True] for a, b in rounds), rounds  # type: ignore[type-var]
