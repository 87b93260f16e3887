"""The ledger's changes (store.changes) over every backend: one transaction each, kept as
history, an undo restoring the previous entries, a mail command applied once, a change
racing another refused whole. Runs on the fixtures of test_store_contract.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from servers import Postgres
from test_store_contract import ACME, BACKENDS, T0, Backend, claims, forwarded

from inboxbot.model.handover import HANDOVER, HEAD, KEPT, Change, moved_entries, new_entries, undo_of, undo_refusal
from inboxbot.model.ledger import ClientKey
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store
from inboxbot.store.ledger_change_rows import LedgerConflict
from inboxbot.store.ledger_changes_sql import history_sql

LATER = T0 + timedelta(days=2)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made = Backend(request.param, tmp_path, request)
    yield made()
    made.close()


def handover(store: Store, owner: str, *, command: str = "", requests: tuple[int, ...] = ()) -> Change:
    before = store.changes.entries(ACME[1])
    change = Change(before, moved_entries(before, owner, HEAD, LATER), HEAD, "volkov", LATER, owner, before[0].owner,
                    "просьба клиента",
                    requests=requests, command=command)  # fmt: skip
    return store.changes.apply(change)


def test_a_change_moves_every_identity_of_the_client_and_is_kept(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0))
    store.ledger.claim(claims("ivanova", T0, (ClientKey("domain", "other.ru"),), source="m9@x"))
    assert [e.key for e in store.changes.entries(ACME[3])] == list(ACME)  # found by any identity, all of them
    assert store.changes.entries(ClientKey("inn", "0000000000")) == ()
    done = handover(store, "sidorov")
    assert done.id == 1 and (done.previous, done.owner, done.by, done.why) == ("petrov", "sidorov", "volkov", "просьба клиента")
    for k in ACME:
        entry = store.ledger.find([k])
        assert entry is not None and (entry.owner, entry.since, entry.how, entry.source) == ("sidorov", LATER, HEAD, "m1@x")
    assert store.ledger.find([ClientKey("domain", "other.ru")]).owner == "ivanova"  # type: ignore[union-attr]
    assert store.changes.get(1) == done and store.changes.get(2) is None
    assert store.changes.history() == [done] == store.changes.history([ACME[0]])
    assert store.changes.history([ClientKey("domain", "other.ru")]) == []
    assert store.changes.unannounced() == [done]
    store.changes.mark_announced(1, LATER)
    assert store.changes.unannounced() == [] and store.changes.get(1).announced_at == LATER  # type: ignore[union-attr]


def test_an_undo_restores_the_previous_entries_and_is_itself_recorded(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0))
    done = handover(store, "sidorov")
    current = store.changes.entries(ACME[0])
    assert undo_refusal(done, current) is None
    undo = store.changes.apply(undo_of(done, current, "volkov", LATER))
    assert undo.id == 2 and (undo.previous, undo.owner) == ("sidorov", "petrov")
    entry = store.ledger.find([ACME[0]])
    assert entry is not None and (entry.owner, entry.since, entry.rule, entry.pool) == ("petrov", T0, "pool", "main")
    assert [c.id for c in store.changes.history()] == [2, 1]
    assert undo_refusal(done, store.changes.entries(ACME[0])) is not None  # moved since: undo the later one first
    assert undo_refusal(undo, store.changes.entries(ACME[0])) is not None  # an undo is not undone


def test_a_new_client_undone_leaves_the_ledger(store: Store) -> None:
    keys = (ClientKey("inn", "7707083893"),)
    made = store.changes.apply(Change((), new_entries(keys, "orlov", HEAD, T0), HEAD, "volkov", T0, "orlov", None))
    assert made.previous is None and store.ledger.find(keys).owner == "orlov"  # type: ignore[union-attr]
    store.changes.apply(undo_of(made, store.changes.entries(keys[0]), "volkov", T0))
    assert store.ledger.find(keys) is None


def test_a_mail_command_is_applied_once(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0))
    first = handover(store, "sidorov", command="cmd1@head")
    # The same command again (a kill after the change, before the mail was journalled):
    # it reads the client anew, but the stored change stands and nothing is written.
    again = store.changes.apply(Change((), (), HEAD, "volkov", LATER, "orlov", None, command="cmd1@head"))
    assert again == first and len(store.changes.history()) == 1
    assert store.changes.by_command("cmd1@head") == first and store.changes.by_command("other@head") is None
    assert store.changes.by_command("") is None


def test_a_change_racing_another_is_refused_whole(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0))
    before = store.changes.entries(ACME[0])
    handover(store, "sidorov")
    stale = Change(before, moved_entries(before, "orlov", HEAD, LATER), HEAD, "volkov", LATER, "orlov", "petrov")
    with pytest.raises(LedgerConflict, match="повторите"):
        store.changes.apply(stale)
    assert store.ledger.find([ACME[0]]).owner == "sidorov"  # type: ignore[union-attr]
    assert len(store.changes.history()) == 1


def test_open_requests_and_their_threads_move_with_the_client(store: Store) -> None:
    forwarded(store, 1)
    (row,) = store.requests.awaiting_answer()
    store.requests.record_reminder(row.id, T0 + timedelta(hours=4))
    store.ledger.claim(claims("petrov", T0))
    done = handover(store, "sidorov", requests=(row.id,))
    assert done.requests == (row.id,)
    (moved,) = store.requests.awaiting_answer()
    assert (moved.owner, moved.reminded_at) == ("sidorov", None)
    assert store.history.thread_owner(["m1@client"]) == ("sidorov", "m1@client")
    assert store.history.thread_owner(["fwd1@bot"]) == ("sidorov", "fwd1@bot")


def test_the_request_a_reply_to_its_forward_is_about(store: Store) -> None:
    forwarded(store, 1)
    forwarded(store, 2, "ivanova")
    found = store.changes.forwarded_request(["x@y", "fwd2@bot"])
    assert found is not None and (found.message_id, found.owner) == ("m2@client", "ivanova")
    assert store.changes.forwarded_request(["m1@client"]).forward_id == "fwd1@bot"  # type: ignore[union-attr]
    assert store.changes.forwarded_request(["x@y"]) is None and store.changes.forwarded_request([]) is None


def test_only_a_thread_moves_and_moves_back(store: Store) -> None:
    forwarded(store, 1)
    (row,) = store.requests.awaiting_answer()
    store.ledger.claim(claims("petrov", T0))
    done = store.changes.apply(Change((), (), HANDOVER, "sidorov", LATER, "sidorov", "petrov", requests=(row.id,)))
    assert done.threads_only and store.ledger.find([ACME[0]]).owner == "petrov"  # type: ignore[union-attr]
    assert store.history.thread_owner(["m1@client"]) == ("sidorov", "m1@client")
    assert undo_refusal(done, ()) is None
    store.changes.apply(undo_of(done, (), "volkov", LATER))
    assert store.history.thread_owner(["m1@client"]) == ("petrov", "m1@client")
    assert store.requests.awaiting_answer()[0].owner == "petrov"


def test_requests_kept_by_the_backup_are_listed_not_handed_again_and_an_undo_hands_them_back(store: Store) -> None:
    forwarded(store, 1)
    (row,) = store.requests.awaiting_answer()
    store.requests.record_reminder(row.id, T0 + timedelta(hours=4))
    kept = store.changes.apply(Change((), (), KEPT, "конец отсутствия", LATER, "petrov", "sidorov", requests=(row.id,),
                                      command="after-absence:sidorov:petrov:x"))  # fmt: skip
    assert kept.requests == (row.id,) and store.changes.by_command("after-absence:sidorov:petrov:x") == kept
    # Nothing moved, so the reminder the backup already had does not start over.
    assert store.requests.awaiting_answer()[0].reminded_at == T0 + timedelta(hours=4)
    store.changes.apply(undo_of(kept, (), "volkov", LATER))
    assert store.requests.awaiting_answer()[0].owner == "sidorov"


def test_a_notice_is_claimed_by_one_sender_until_its_claim_lapses(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0))
    change = handover(store, "sidorov")
    assert store.changes.claim_announcement(change.id, "worker:1", 3600)
    assert not store.changes.claim_announcement(change.id, "cli:2", 3600)  # the other sender keeps off
    assert store.changes.claim_announcement(change.id, "worker:1", 3600)  # its own claim, again
    assert store.changes.claim_announcement(change.id, "worker:1", -1)  # … run out (killed)
    assert store.changes.claim_announcement(change.id, "cli:2", 3600)  # the next sender takes it
    store.changes.mark_announced(change.id, LATER)
    assert not store.changes.claim_announcement(change.id, "cli:2", 3600)  # sent: never claimed again
    assert not store.changes.claim_announcement(change.id + 1, "cli:2", 3600)


def test_a_clients_history_is_its_newest_changes_found_by_any_identity(store: Store) -> None:
    """Changes of two clients, alternating: a client's history (by any of its identities)
    is its own changes only, newest first, `limit` of them, on every backend alike."""
    other = (ClientKey("inn", "5003052454"), ClientKey("domain", "other.ru"))
    store.ledger.claim(claims("petrov", T0))
    store.ledger.claim(claims("ivanova", T0, other, source="m9@x"))
    made: dict[ClientKey, list[int]] = {ACME[0]: [], other[0]: []}
    for n in range(12):
        keys = ACME if n % 3 else other  # two of ACME's for each of the other's
        before = store.changes.entries(keys[0])
        owner = "sidorov" if before[0].owner != "sidorov" else "petrov"
        change = store.changes.apply(Change(before, moved_entries(before, owner, HEAD, LATER), HEAD, "volkov",
                                            LATER + timedelta(minutes=n), owner, before[0].owner, "просьба клиента"))  # fmt: skip
        made[keys[0]].append(change.id)
    assert [c.id for c in store.changes.history([ACME[3]], limit=5)] == made[ACME[0]][::-1][:5]
    assert [c.id for c in store.changes.history([other[1], other[0]])] == made[other[0]][::-1]
    assert [c.id for c in store.changes.history([ACME[1], other[1]], limit=3)] == list(range(12, 9, -1))
    assert [c.id for c in store.changes.history(limit=4)] == list(range(12, 8, -1))
    assert store.changes.history([ClientKey("domain", "nobody.ru")]) == []


def test_a_clients_history_is_read_by_index_not_by_scanning_the_changes(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "j.sqlite")) as store:
        store.ledger.claim(claims("petrov", T0))
        handover(store, "sidorov")
    db = sqlite3.connect(tmp_path / "j.sqlite")
    plan = " | ".join(str(r[-1]) for r in db.execute(f"EXPLAIN QUERY PLAN {history_sql(2)}", ("inn", "1", "domain", "x", 5)))
    assert "SCAN" not in plan and "SEARCH ledger_history_keys USING COVERING INDEX" in plan, plan
    # A journal from before the identities' table: its changes are keyed when it is opened.
    db.executescript("DROP TABLE ledger_history_keys")
    db.close()
    with open_store(str(tmp_path / "j.sqlite")) as store:
        assert [c.id for c in store.changes.history([ACME[2]])] == [1]


def test_a_postgresql_store_from_before_the_identities_table_keys_its_changes(postgres: Postgres) -> None:
    import psycopg

    url = postgres.url(postgres.new_database())
    with open_store(url) as store:
        store.ledger.claim(claims("petrov", T0))
        handover(store, "sidorov")
    with psycopg.connect(url, autocommit=True) as conn:  # as migration 11 left it
        conn.execute("DROP TABLE ledger_history_keys")
        conn.execute("DELETE FROM schema_migrations WHERE version = 12")
    with open_store(url) as store:
        assert [c.id for c in store.changes.history([ACME[2]])] == [1]
        assert [c.id for c in store.changes.history([ACME[0], ACME[3]], limit=1)] == [1]
