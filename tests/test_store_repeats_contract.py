"""The store's recent requests (the `repeat` rule's memory) and the repeat marker on a
journalled message, over all three backends (tests/test_store_contract.py's fixtures)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from test_store_contract import T0, Backend, backend, decision, key, record  # noqa: F401 (backend: a fixture)

from inboxbot.model.repeats import RecentRequest, RepeatOf
from inboxbot.store.interfaces import Store


@pytest.fixture
def store(backend: Backend) -> Store:  # noqa: F811 (the fixture above, used here)
    return backend()


def kept(n: int, sender: str = "anna@acme.ru", hours: float = 0, owner: str = "petrov") -> RecentRequest:
    at = T0 + timedelta(hours=hours)
    return RecentRequest(sender, f"m{n}@x", at, owner, f"заявка на коробки {n}", f"m{n}@x", at)


def test_a_request_is_kept_once_and_read_back_by_sender_newest_first(store: Store) -> None:
    assert store.repeats.remember(kept(1))
    assert not store.repeats.remember(kept(1, owner="ivanova"))  # again after a crash: the first stays
    store.repeats.remember(kept(2, hours=5))
    store.repeats.remember(kept(3, sender="boris@acme.ru", hours=1))
    repeat = RecentRequest("anna@acme.ru", "m4@x", T0 + timedelta(hours=6), "petrov", "заявка", "m1@x", T0)
    store.repeats.remember(repeat)
    assert store.repeats.recent("Anna@ACME.ru", T0) == [repeat, kept(2, hours=5), kept(1)]
    assert store.repeats.recent("anna@acme.ru", T0 + timedelta(hours=1)) == [repeat, kept(2, hours=5)]
    assert store.repeats.recent("nobody@acme.ru", T0) == []


def test_a_repeat_is_journalled_as_one_and_counted_once(store: Store) -> None:
    record(store, 1, "m1@x", decision("petrov"))
    record(store, 2, "m2@x", replace(decision("petrov"), rule="repeat", repeat_of=RepeatOf("m1@x", T0, "petrov", 97)))
    for n in (1, 2):
        store.messages.mark_forwarded(key(n), f"fwd{n}@bot", "petrov", "territory", at=T0)
    # It waits for an answer with the request it repeats: one reminder, not two.
    assert [r.message_id for r in store.requests.awaiting_answer()] == ["m1@x"]
    # The manager answers the repeat's forward: the first request is answered too.
    answered = store.requests.record_answer(["fwd2@bot"], "petrov", T0 + timedelta(hours=1), "reply")
    assert sorted(r.message_id for r in answered) == ["m1@x", "m2@x"]
    assert store.requests.awaiting_answer() == []
    assert store.history.owner_counts(T0 - timedelta(days=1)) == {"petrov": 1}
    rows = store.queries.requests(T0 - timedelta(days=1))
    assert [r.repeat_of for r in rows] == [None, "m1@x"]
    entry = store.messages.entry(key(2))
    assert entry is not None and entry.decision is not None
    assert entry.decision["decision"]["repeat_of"] == {"message_id": "m1@x", "at": T0.isoformat(), "owner": "petrov", "score": 97}
