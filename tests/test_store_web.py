"""The web pages' store nouns over every backend (the fixtures of test_store_contract.py):
`browse` (filtered, paged lists; one request; the ledger; digest listings) and `audit`."""

from __future__ import annotations

from datetime import timedelta

from test_store_contract import ACME, T0, backend, decision, forwarded, key, record, store  # noqa: F401

from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.interfaces import AuditEntry, RequestFilter, Store


def test_search_filters_by_text_owner_state_and_period_newest_first(store: Store) -> None:  # noqa: F811
    forwarded(store, 1, "petrov")
    forwarded(store, 2, "ivanova", seen=T0 + timedelta(days=2))
    record(store, 3, "m3@x", decision(None, action="skip", rule="bulk"), subject="Рассылка ЁЛКИ", seen=T0)
    record(store, 4, "m4@x", decision(None, action="triage", rule="triage"), sender="Someone_Else@corp.ru")
    store.requests.record_answer(["fwd1@bot"], "petrov", T0 + timedelta(hours=1), "reply")

    def uids(where: RequestFilter, **kw: object) -> list[int]:
        return [r.key.uid for r in store.browse.search(where, **kw)]  # type: ignore[arg-type]

    assert uids(RequestFilter()) == [4, 3, 2, 1]
    assert uids(RequestFilter(), before=3, limit=1) == [2]
    assert uids(RequestFilter(owner="ivanova")) == [2]
    assert uids(RequestFilter(state="answered")) == [1]
    assert uids(RequestFilter(state="waiting")) == [2]
    assert uids(RequestFilter(state="skipped")) == [3]
    assert uids(RequestFilter(state="triage")) == [4]
    assert uids(RequestFilter(since=T0 + timedelta(days=1))) == [2]
    assert uids(RequestFilter(until=T0 + timedelta(days=1))) == [4, 3, 1]
    # any case, ё as е, the company and INN inside the decision, % and _ taken literally
    assert uids(RequestFilter(text="рассылка елки")) == [3]
    assert uids(RequestFilter(text="ромашка")) == [4, 3, 2, 1]
    assert uids(RequestFilter(text="someone_else")) == [4] and uids(RequestFilter(text="someone%")) == []
    assert uids(RequestFilter(text="7707083893", owner="petrov")) == [1]


def test_a_manager_sees_their_own_and_the_unassigned_only(store: Store) -> None:  # noqa: F811
    forwarded(store, 1, "petrov")
    forwarded(store, 2, "ivanova")
    record(store, 3, "m3@x", decision(None, action="skip", rule="bulk"))
    record(store, 4, "m4@x", decision(None, action="triage", rule="triage"))
    mine = store.browse.search(RequestFilter(visible_to="petrov"))
    assert [r.key.uid for r in mine] == [1]
    assert [r.key.uid for r in store.browse.search(RequestFilter(visible_to="petrov", unassigned=True))] == [4, 1]
    row = store.browse.request(mine[0].id)
    assert row is not None and row.owner == "petrov" and row.forward_id == "fwd1@bot"
    assert store.browse.request(10_000) is None


def test_clients_are_the_ledger_paged_by_identity(store: Store) -> None:  # noqa: F811
    store.ledger.claim([Assignment(k, "petrov", T0, rule="territory") for k in ACME])
    store.ledger.claim([Assignment(ClientKey("inn", "5001000001"), "ivanova", T0)])
    every = store.browse.clients()
    assert [(a.key.kind, a.key.value) for a in every] == sorted((a.key.kind, a.key.value) for a in every)
    assert len(every) == 5 and every[0].since == T0
    assert [a.key for a in store.browse.clients(owner="ivanova")] == [ClientKey("inn", "5001000001")]
    first = store.browse.clients(limit=2)
    rest = store.browse.clients(after=(first[-1].key.kind, first[-1].key.value))
    assert first + rest == every


def test_digest_items_by_key_take_the_newest_listing(store: Store) -> None:  # noqa: F811
    store.releases.record_digest("d1@bot", [key(1), key(2)], T0)
    store.releases.record_digest("d2@bot", [key(2)], T0 + timedelta(days=1))
    found = store.browse.digest_items([key(1), key(2), key(3)])
    assert {k: (i.digest_id, i.number) for k, i in found.items()} == {key(1): ("d1@bot", 1), key(2): ("d2@bot", 1)}
    assert store.browse.digest_items([]) == {}


def test_audit_keeps_every_action_newest_first(store: Store) -> None:  # noqa: F811
    store.audit.record(AuditEntry(T0, "volkov", "login", "", "вход по паролю", "127.0.0.1"))
    store.audit.record(AuditEntry(T0 + timedelta(minutes=1), "volkov", "release", "request:3", "«Рассылка»"))
    store.audit.record(AuditEntry(T0 + timedelta(minutes=2), "petrov", "login"))
    assert [e.action for e in store.audit.entries()] == ["login", "release", "login"]
    (about,) = store.audit.entries(subject="request:3")
    assert about == AuditEntry(T0 + timedelta(minutes=1), "volkov", "release", "request:3", "«Рассылка»", "")
    assert len(store.audit.entries(limit=1)) == 1
