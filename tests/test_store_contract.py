"""The store's contract, noun by noun: every test runs against the SQLite backend (a file,
as the worker uses it), the PostgreSQL one (a real server, tests/servers_postgres.py: the store
workers share) and the in-memory one (explain, replay, tests), which must behave alike.
Plus: two connections racing the same step get one winner; a journal written by the
first release opens and keeps working; the PostgreSQL schema migrates once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from servers import Postgres

from inboxbot.mail.message import parse
from inboxbot.model.decision import ClientRef, Decision, Step
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, MessageKey
from inboxbot.store.factory import memory_store, open_store
from inboxbot.store.interfaces import Store
from inboxbot.store.sqlite import ADDED_COLUMNS

T0 = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
BACKENDS = ("sqlite", "postgres", "memory")


class Backend:
    """Fresh stores of one backend (each its own SQLite file or PostgreSQL database), and
    `again(store)`: a second connection to the same database, as a second worker has."""

    def __init__(self, kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.kind, self.tmp_path, self.request = kind, tmp_path, request
        self.opened: list[Store] = []
        self.where: dict[int, str] = {}  # id(store) → its file or URL (Store.path masks the password)

    def __call__(self) -> Store:
        if self.kind == "memory":
            return self._keep(memory_store(), ":memory:")
        if self.kind == "sqlite":
            return self._open(str(self.tmp_path / f"j{len(self.opened)}.sqlite"))
        server: Postgres = self.request.getfixturevalue("postgres")
        return self._open(server.url(server.new_database()))

    def again(self, store: Store) -> Store:
        """Memory has no second connection: the same store, shared by threads."""
        return store if self.kind == "memory" else self._open(self.where[id(store)])

    def _open(self, location: str) -> Store:
        return self._keep(open_store(location), location)

    def _keep(self, store: Store, location: str) -> Store:
        self.opened.append(store)
        self.where[id(store)] = location
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = Backend(request.param, tmp_path, request)
    yield made
    made.close()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend()


def decision(owner: str | None = "petrov", *, action: str = "forward", pool: str | None = None,
             rule: str = "territory") -> Decision:  # fmt: skip
    return Decision(
        action=action,
        owner=owner,
        rule="pool" if pool else rule,
        reasons=("Вологодская область → СЗФО → Петров",),
        trail=(Step("territory", True, "регион 35"),),
        client=ClientRef("ООО «Ромашка»", "7707083893", owner or "", "clients.csv", 12),
        pool=pool,
    )


def key(uid: int, uidvalidity: int = 7) -> MessageKey:
    return MessageKey("INBOX", uidvalidity, uid)


def record(store: Store, uid: int, message_id: str | None, made: Decision, *, seen: datetime = T0,
           sender: str = "client@example.ru", subject: str = "Заявка", body: str = "",
           uidvalidity: int = 7, details: Mapping[str, object] | None = None) -> MessageKey:  # fmt: skip
    header = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    raw = f"From: {sender}\r\nSubject: {subject}\r\n{header}\r\n{body or uid}\r\n"
    store.messages.record_decision(key(uid, uidvalidity), parse(raw.encode()), made, details=details, seen_at=seen)
    return key(uid, uidvalidity)


# --- messages: the lifecycle and its exactly-once guards ---------------------------------------


def test_each_step_moves_the_state_once(store: Store) -> None:
    k = record(store, 1, "m1@x", decision())
    entry = store.messages.entry(k)
    assert entry is not None and entry.state == DECIDED and entry.forward_id is None and entry.attempts == 0
    assert entry.decision is not None and Decision.from_dict(entry.decision["decision"]) == decision()  # type: ignore[arg-type]
    store.messages.mark_forwarded(k, "fwd1@bot", "petrov", "territory", at=T0)
    entry = store.messages.entry(k)
    assert entry is not None and entry.state == FORWARDED and entry.forward_id == "fwd1@bot"
    store.messages.mark_done(k)
    assert store.messages.entry(k).state == MARKED  # type: ignore[union-attr]
    assert store.messages.entry(key(99)) is None


def test_a_second_decision_for_the_same_key_keeps_the_first(store: Store) -> None:
    record(store, 1, "m1@x", decision("petrov"))
    again = store.messages.record_decision(key(1), parse(b"Message-ID: <m1@x>\r\n\r\nx\r\n"), decision("ivanova"))
    assert again.owner == "petrov" and store.messages.entry(key(1)).owner == "petrov"  # type: ignore[union-attr]
    assert store.queries.summary()["total"] == 1


def test_details_are_kept_with_the_decision(store: Store) -> None:
    k = record(store, 1, "m1@x", decision(), details={"company": {"name": "ООО «Ромашка»", "inn": "7707083893"}})
    entry = store.messages.entry(k)
    assert entry is not None and entry.decision is not None
    assert entry.decision["company"] == {"name": "ООО «Ромашка»", "inn": "7707083893"}


def test_find_copy_prefers_a_copy_that_went_out_then_the_first(store: Store) -> None:
    record(store, 1, "same@x", decision())
    content_hash = store.messages.entry(key(1)).content_hash  # type: ignore[union-attr]
    waiting = store.messages.find_copy("same@x", content_hash, has_message_id=True)
    assert waiting is not None and waiting.state == DECIDED and waiting.key == key(1)
    record(store, 2, "same@x", decision())
    record(store, 3, "same@x", decision())
    store.messages.mark_forwarded(key(3), "fwd3@bot", "petrov", "territory")
    store.messages.mark_forwarded(key(2), "fwd2@bot", "petrov", "territory")
    copy = store.messages.find_copy("same@x", "another-hash", has_message_id=True)
    assert copy is not None and copy.key == key(2) and copy.state == FORWARDED
    assert store.messages.find_copy("other@x", content_hash, has_message_id=True) is None


def test_find_copy_without_message_id_goes_by_the_bytes(store: Store) -> None:
    record(store, 1, None, decision(), body="одни и те же байты")
    entry = store.messages.entry(key(1))
    assert entry is not None
    copy = store.messages.find_copy("whatever@x", entry.content_hash, has_message_id=False)
    assert copy is not None and copy.key == key(1)
    # a mail without Message-ID never matches by the id the parser made up for it
    assert store.messages.find_copy(entry.message_id, "h", has_message_id=True) is None
    assert store.messages.find_copy("x", "other-hash", has_message_id=False) is None


def test_the_same_mail_after_a_uidvalidity_change_is_found_as_a_copy(store: Store) -> None:
    record(store, 5, "m@x", decision())
    store.messages.mark_forwarded(key(5), "f@bot", "petrov", "territory")
    store.messages.mark_done(key(5))
    copy = store.messages.find_copy("m@x", "h", has_message_id=True)
    assert store.messages.entry(key(5, uidvalidity=8)) is None
    assert copy is not None and copy.key == key(5) and copy.state == MARKED


def test_failures_count_and_the_refusal_clock_starts_once(store: Store) -> None:
    k = record(store, 1, "m@x", decision())
    assert store.messages.record_failure(k, "SMTP down") == 1
    assert store.messages.failing_since(k) is None  # the server being down is not about this mail
    assert store.messages.record_failure(k, "451 later", about_message=True) == 2
    first = store.messages.failing_since(k)
    assert first is not None and abs(first - datetime.now(UTC)) < timedelta(minutes=5)
    assert store.messages.record_failure(k, "451 later", about_message=True) == 3
    assert store.messages.failing_since(k) == first
    assert store.messages.record_failure(key(99), "no such mail") == 0
    assert store.messages.failing_since(key(99)) is None


def test_mark_done_keeps_an_error_and_the_batch_mark_clears_it(store: Store) -> None:
    a, b = record(store, 1, "a@x", decision()), record(store, 2, "b@x", decision())
    store.messages.mark_done(a, error="адрес менеджера отклонён")
    assert store.queries.summary()["failing"] == [
        {"folder": "INBOX", "uid": 1, "subject": "Заявка", "state": MARKED, "error": "адрес менеджера отклонён", "attempts": 0}
    ]
    store.messages.record_failure(b, "SMTP down")
    store.messages.mark_done_many([a, b])
    assert [store.messages.entry(k).state for k in (a, b)] == [MARKED, MARKED]  # type: ignore[union-attr]
    assert store.queries.summary()["failing"] == []


def test_notices_are_noted_once(store: Store) -> None:
    k = record(store, 1, "m@x", decision())
    assert not store.messages.notified(k)
    store.messages.mark_notified(k, at=T0)
    assert store.messages.notified(k)
    assert not store.messages.notified(key(99))


# --- two workers on one database: every guarded step has one winner ---------------------------

RACES = 20  # rounds per race: one round can be won by whoever comes first without any overlap


def race(first: Store, second: Store, step: Callable[[Store, str, int], object]) -> list[tuple[object, object]]:
    """Run `step(store, name, round)` on both stores at once, round after round (a barrier
    lines the two threads up before each round); returns both results of each round."""
    barrier = threading.Barrier(2)

    def run(store: Store, name: str) -> list[object]:
        results = []
        try:
            for n in range(RACES):
                barrier.wait()
                results.append(step(store, name, n))
        except BaseException:
            barrier.abort()  # the other thread must not wait for this one forever
            raise
        return results

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.submit(run, first, "a"), pool.submit(run, second, "b")
        return list(zip(a.result(), b.result(), strict=True))


def test_two_connections_racing_the_forward_of_a_row_have_one_winner(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)
    keys = [record(first, uid, f"r{uid}@x", decision()) for uid in range(1, RACES + 1)]

    def forward(store: Store, name: str, n: int) -> object:
        return store.messages.mark_forwarded(keys[n], f"{name}{n}@bot", "petrov", "territory")

    rounds = race(first, second, forward)
    assert all(sorted((a, b)) == [False, True] for a, b in rounds), rounds  # type: ignore[type-var]
    for n, (a_won, _) in enumerate(rounds):
        entry = second.messages.entry(keys[n])
        assert entry is not None and entry.state == FORWARDED
        assert entry.forward_id == f"{'a' if a_won else 'b'}{n}@bot"  # the loser overwrote nothing
    assert not first.messages.mark_forwarded(keys[0], "late@bot", "petrov", "territory")  # and nobody later
    first.messages.mark_done(keys[0])
    assert not second.messages.mark_forwarded(keys[0], "late@bot", "petrov", "territory")
    assert first.messages.entry(keys[0]).state == MARKED  # type: ignore[union-attr]
    assert not first.messages.mark_forwarded(key(999), "none@bot", "petrov", "territory")


def test_two_connections_deciding_the_same_mail_keep_one_decision(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)

    def decide(store: Store, name: str, n: int) -> object:
        owner = "petrov" if name == "a" else "ivanova"
        raw = f"From: c@x\r\nSubject: Заявка {n}\r\nMessage-ID: <d{n}@x>\r\n\r\n{n}\r\n".encode()
        return store.messages.record_decision(key(n + 1), parse(raw), decision(owner)).owner

    rounds = race(first, second, decide)
    assert all(a == b for a, b in rounds), rounds  # both act on the decision that was kept
    for n, (owner, _) in enumerate(rounds):
        assert first.history.thread_owner([f"d{n}@x"]) == (owner, f"d{n}@x")  # its thread, not the loser's
    assert first.queries.summary()["total"] == RACES


def test_two_connections_seeing_the_same_answer_count_it_once(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)
    for uid in range(1, RACES + 1):
        forwarded(first, uid)

    def answer(store: Store, name: str, n: int) -> object:
        return [r.key.uid for r in store.requests.record_answer([f"fwd{n + 1}@bot"], name, T0, "reply")]

    rounds = race(first, second, answer)
    assert all(sorted((a, b), key=len) == [[], [n + 1]] for n, (a, b) in enumerate(rounds)), rounds  # type: ignore[arg-type]
    assert first.requests.awaiting_answer() == []


# --- routing history -----------------------------------------------------------------------------


def test_threads_by_the_original_and_by_our_forward(store: Store) -> None:
    k = record(store, 1, "orig@client", decision("ivanova"))
    store.messages.mark_forwarded(k, "fwd@bot", "ivanova", "territory")
    assert store.history.thread_owner(["unknown@x", "orig@client"]) == ("ivanova", "orig@client")
    assert store.history.thread_owner(["fwd@bot", "orig@client"]) == ("ivanova", "fwd@bot")
    assert store.history.thread_owner(["nothing@x"]) is None
    assert store.history.thread_owner([]) is None


def test_the_first_owner_keeps_the_thread_and_skipped_mail_starts_none(store: Store) -> None:
    record(store, 1, "t@x", decision("petrov"))
    record(store, 2, "t@x", decision("ivanova", rule="absence_backup"))  # a second delivery, a backup
    assert store.history.thread_owner(["t@x"]) == ("petrov", "t@x")
    record(store, 3, "auto@x", decision(None, action="skip"))
    record(store, 4, "news@x", decision("orlov", action="skip"))
    assert store.history.thread_owner(["auto@x"]) is None and store.history.thread_owner(["news@x"]) is None


def test_the_subject_fallback_takes_the_latest_owner_and_ignores_prefixes(store: Store) -> None:
    record(store, 1, "a@x", decision("orlov"), sender="Buyer@Shop.ru", subject="Коробки 40x30")
    assert store.history.subject_owner("buyer@shop.ru", "RE: Fwd: коробки  40x30") == "orlov"
    assert store.history.subject_owner("other@shop.ru", "Коробки 40x30") is None
    record(store, 2, "b@x", decision("petrov"), sender="buyer@shop.ru", subject="Re: Коробки 40x30")
    assert store.history.subject_owner("BUYER@shop.ru", "коробки 40x30") == "petrov"
    record(store, 3, "c@x", decision("smirnova"), sender="buyer@shop.ru", subject="")
    assert store.history.subject_owner("buyer@shop.ru", "") is None


def test_pool_history_and_fair_share_counts(store: Store) -> None:
    record(store, 1, "a@x", decision("ivanova", pool="main"), seen=T0 - timedelta(days=40))
    record(store, 2, "b@x", decision("petrov", pool="main"), seen=T0)
    record(store, 3, "c@x", decision("orlov"), seen=T0 + timedelta(hours=1))
    record(store, 4, "d@x", decision(None, action="triage", pool="main"), seen=T0)
    record(store, 5, "e@x", decision("orlov", action="skip"), seen=T0)
    assert store.history.last_pool_owner("main") == "petrov"
    assert store.history.last_pool_owner("other") is None
    assert store.history.owner_counts(T0 - timedelta(days=60)) == {"ivanova": 1, "orlov": 2, "petrov": 1}
    assert store.history.owner_counts(T0) == {"orlov": 2, "petrov": 1}  # since is inclusive
    assert store.history.owner_counts(T0, pool="main") == {"petrov": 1}
    assert store.history.owner_counts(T0 + timedelta(days=1)) == {}
    # another time zone, the same moment
    moscow = T0.astimezone(datetime.fromisoformat("2025-01-01T00:00+03:00").tzinfo)
    assert store.history.owner_counts(moscow) == {"orlov": 2, "petrov": 1}


# --- requests: answers, follow-ups, acknowledgements ---------------------------------------------


def forwarded(store: Store, uid: int, owner: str = "petrov", *, seen: datetime = T0) -> MessageKey:
    k = record(store, uid, f"m{uid}@client", decision(owner), seen=seen)
    store.messages.mark_forwarded(k, f"fwd{uid}@bot", owner, "territory", at=seen + timedelta(minutes=1))
    store.messages.mark_done(k)
    return k


# -- credits (credit-back of a junk lead) ------------------------------------------------------


def test_a_credited_back_lead_leaves_the_share_counts(store: Store) -> None:
    record(store, 1, "m1@client", decision("petrov", pool="main", rule="pool"), seen=T0, subject="Спам")
    record(store, 2, "m2@client", decision("petrov", pool="main", rule="pool"), seen=T0)
    k3 = record(store, 3, "m3@client", decision("ivanova", pool="main", rule="pool"), seen=T0)
    store.messages.mark_forwarded(k3, "<fwd3@bot>", "ivanova", "pool", at=T0)
    assert store.history.owner_counts(T0, pool="main") == {"ivanova": 1, "petrov": 2}
    credit = store.credits.credit_back("<m1@client>", "volkov", T0 + timedelta(hours=1, microseconds=5), "спам")
    assert credit is not None and (credit.message_id, credit.owner, credit.pool, credit.rule, credit.subject) == (
        "m1@client", "petrov", "main", "pool", "Спам")
    assert (credit.by, credit.reason, credit.at, credit.new) == ("volkov", "спам", T0 + timedelta(hours=1), True)
    assert store.history.owner_counts(T0, pool="main") == {"ivanova": 1, "petrov": 1}
    assert store.history.owner_counts(T0) == {"ivanova": 1, "petrov": 1}
    # By our forward's Message-ID too; a repeat changes nothing and says so.
    assert store.credits.credit_back(" fwd3@bot ", "volkov", T0 + timedelta(hours=2)).owner == "ivanova"  # type: ignore[union-attr]
    again = store.credits.credit_back("m1@client", "someone", T0 + timedelta(hours=3), "ещё раз")
    assert again is not None and (again.new, again.by, again.reason) == (False, "volkov", "спам")
    assert store.history.owner_counts(T0, pool="main") == {"petrov": 1}
    assert [c.message_id for c in store.credits.credits(T0)] == ["m1@client", "m3@client"]
    assert [c.message_id for c in store.credits.credits(T0 + timedelta(hours=2))] == ["m3@client"]


def test_owner_counts_of_some_rules_only(store: Store) -> None:
    record(store, 1, "m1@client", decision("petrov", rule="territory"), seen=T0)
    record(store, 2, "m2@client", decision("petrov", pool="main", rule="pool"), seen=T0)
    record(store, 3, "m3@client", decision("ivanova", rule="client_inn"), seen=T0)
    substituted = replace(decision("orlov", rule="absence_backup"), base_rule="territory", base_owner="sidorov")
    record(store, 4, "m4@client", substituted, seen=T0)
    assert store.history.owner_counts(T0, rules=["territory", "pool"]) == {"orlov": 1, "petrov": 2}
    assert store.history.owner_counts(T0, rules=["client_inn"]) == {"ivanova": 1}
    assert store.history.owner_counts(T0, rules=[]) == {}
    assert store.history.owner_counts(T0, pool="main", rules=["territory"]) == {}


def test_credit_back_of_an_unknown_or_unassigned_mail_is_none(store: Store) -> None:
    record(store, 1, "m1@client", decision(None, action="triage"), seen=T0)
    assert store.credits.credit_back("m1@client", "volkov", T0) is None
    assert store.credits.credit_back("nobody@x", "volkov", T0) is None
    assert store.credits.credit_back("  <> ", "volkov", T0) is None
    assert store.credits.credits(T0 - timedelta(days=1)) == []


# -- ledger -------------------------------------------------------------------------

ACME = (ClientKey("inn", "7707083893"), ClientKey("domain", "acme.ru"), ClientKey("name", "acme"),
        ClientKey("address", "ivan@acme.ru"))  # fmt: skip


def claims(owner: str, at: datetime, keys: tuple[ClientKey, ...] = ACME, source: str = "m1@x") -> list[Assignment]:
    return [Assignment(k, owner, at, rule="pool", pool="main", source=source) for k in keys]


def test_a_first_assignment_is_written_once_and_found_by_each_identity(store: Store) -> None:
    assert store.ledger.find(ACME) is None
    assert store.ledger.claim(claims("petrov", T0)) == ACME
    assert store.ledger.claim(claims("petrov", T0)) == ()  # repeated after a crash: nothing written
    assert store.ledger.claim(claims("ivanova", T0 + timedelta(hours=1), source="m2@x")) == ()  # the first stays
    for k in ACME:
        found = store.ledger.find([ClientKey("inn", "0000000000"), k])
        assert found == Assignment(k, "petrov", T0, "first", "pool", "main", "m1@x")
    assert store.ledger.find([ClientKey("domain", "other.ru"), ClientKey("address", "ivan@acme.ru"), ACME[0]]) == (
        Assignment(ACME[3], "petrov", T0, "first", "pool", "main", "m1@x")
    )  # the first key given that has an entry
    assert store.ledger.find([]) is None


def test_a_claim_adds_new_identities_and_renews_only_expired_ones(store: Store) -> None:
    store.ledger.claim(claims("petrov", T0, ACME[:2]))
    later = T0 + timedelta(days=400)
    written = store.ledger.claim(claims("ivanova", later, ACME), renew_before=T0 + timedelta(days=1))
    assert written == ACME  # expired ones replaced, new ones added
    assert store.ledger.find(ACME[:1]).owner == "ivanova"  # type: ignore[union-attr]
    assert store.ledger.claim(claims("sidorov", later + timedelta(days=1)), renew_before=T0 + timedelta(days=2)) == ()


def test_two_connections_claiming_the_same_new_client_leave_one_owner(backend: Backend) -> None:
    first = backend()
    second = backend.again(first)

    def claim(store: Store, name: str, n: int) -> object:
        keys = (ClientKey("domain", f"c{n}.ru"), ClientKey("address", f"a@c{n}.ru"))
        return len(store.ledger.claim(claims("petrov" if name == "a" else "ivanova", T0, keys)))

    rounds = race(first, second, claim)
    assert all(sorted((a, b)) == [0, 2] for a, b in rounds), rounds  # type: ignore[type-var]
    for n, (a_won, _) in enumerate(rounds):
        owners = {second.ledger.find([ClientKey(kind, f"{p}c{n}.ru")]).owner  # type: ignore[union-attr]
                  for kind, p in (("domain", ""), ("address", "a@"))}  # fmt: skip
        assert owners == {"petrov" if a_won else "ivanova"}


def test_awaiting_answer_lists_forwarded_unanswered_requests_oldest_first(store: Store) -> None:
    forwarded(store, 1)
    record(store, 2, "decided@x", decision())  # not forwarded yet
    forwarded(store, 3, "ivanova")
    k4 = record(store, 4, "m4@client", decision())
    store.messages.mark_forwarded(k4, "fwd4@bot", "petrov", "territory")  # forwarded, mark pending: waits too
    assert [(r.key.uid, r.owner, r.forward_id) for r in store.requests.awaiting_answer()] == [
        (1, "petrov", "fwd1@bot"), (3, "ivanova", "fwd3@bot"), (4, "petrov", "fwd4@bot"),
    ]  # fmt: skip


def test_the_first_answer_counts_by_either_message_id(store: Store) -> None:
    forwarded(store, 1)
    forwarded(store, 2)
    record(store, 3, "m3@client", decision())  # never forwarded: an answer to it counts for nothing
    answered = store.requests.record_answer(["fwd1@bot", "", "m2@client", "m3@client"], "petrov", T0 + timedelta(hours=2), "reply")
    assert sorted(r.key.uid for r in answered) == [1, 2]
    row = next(r for r in answered if r.key.uid == 1)
    assert (row.answered_at, row.answered_by, row.answer_how) == (T0 + timedelta(hours=2), "petrov", "reply")
    assert store.requests.record_answer(["fwd1@bot"], "ivanova", T0 + timedelta(hours=3), "flag") == []
    assert store.requests.record_answer([], "ivanova", T0, "flag") == []
    assert store.requests.awaiting_answer() == []
    (first,) = [r for r in store.queries.requests(T0) if r.key.uid == 1]
    assert first.answered_by == "petrov" and first.answer_how == "reply"


def test_reminder_and_escalation_to_the_head(store: Store) -> None:
    forwarded(store, 1)
    (row,) = store.requests.awaiting_answer()
    store.requests.record_reminder(row.id, T0 + timedelta(hours=4))
    store.requests.record_escalation(row.id, T0 + timedelta(hours=8), "head")
    (row,) = store.requests.awaiting_answer()
    assert row.reminded_at == T0 + timedelta(hours=4)
    assert (row.escalated_at, row.escalated_to, row.owner) == (T0 + timedelta(hours=8), "head", "petrov")
    assert store.history.thread_owner(["m1@client"]) == ("petrov", "m1@client")
    store.requests.record_reminder(9999, T0)  # no such row: nothing happens
    store.requests.record_escalation(9999, T0, "head")
    assert len(store.queries.requests(T0 - timedelta(days=1))) == 1


def test_a_request_handed_to_a_new_owner_waits_for_them(store: Store) -> None:
    forwarded(store, 1)
    (row,) = store.requests.awaiting_answer()
    store.requests.record_reminder(row.id, T0 + timedelta(hours=4))
    store.requests.record_escalation(row.id, T0 + timedelta(hours=8), "head", new_owner="ivanova",
                                     new_forward_id="fwd1b@bot")  # fmt: skip
    (row,) = store.requests.awaiting_answer()
    assert (row.owner, row.forward_id, row.forwarded_at, row.reminded_at) == (
        "ivanova", "fwd1b@bot", T0 + timedelta(hours=8), None)  # fmt: skip
    # the client's next reply, and the new owner's reply to the new forward, go to the new owner
    assert store.history.thread_owner(["m1@client"]) == ("ivanova", "m1@client")
    assert store.history.thread_owner(["fwd1b@bot"]) == ("ivanova", "fwd1b@bot")
    assert store.history.thread_owner(["fwd1@bot"]) == ("petrov", "fwd1@bot")
    (answered,) = store.requests.record_answer(["fwd1b@bot"], "ivanova", T0 + timedelta(hours=9), "reply")
    assert answered.key == key(1) and answered.answered_by == "ivanova"


def test_the_client_is_acknowledged_once_per_thread(store: Store) -> None:
    k = record(store, 1, "m1@client", decision())
    assert not store.requests.thread_acknowledged(["m1@client"]) and not store.requests.acked(k)
    assert not store.requests.thread_acknowledged([]) and not store.requests.thread_acknowledged([""])
    store.requests.record_ack(k, ["m1@client", "earlier@client", "", "m1@client"], T0)
    assert store.requests.acked(k)
    assert store.requests.thread_acknowledged(["other@x", "earlier@client"])
    assert store.requests.thread_acknowledged(["m1@client"])
    assert not store.requests.thread_acknowledged(["other@x"])
    k2 = record(store, 2, "m2@client", decision())
    store.requests.record_ack(k2, ["m2@client"], T0, error="адрес клиента отклонён")  # failed for good: never again
    assert store.requests.acked(k2) and store.requests.thread_acknowledged(["m2@client"])
    (row,) = [r for r in store.queries.requests(T0) if r.key == k]
    assert row.acked_at == T0
    assert not store.requests.acked(key(99))


# --- queries ---------------------------------------------------------------------------------------


def test_requests_of_a_period_are_in_arrival_order_with_their_facts(store: Store) -> None:
    details = {"company": {"name": "ООО «Ромашка»", "inn": "7707083893"},
               "region": {"code": "35", "name": "Вологодская область", "district": "СЗФО"}}  # fmt: skip
    record(store, 1, "a@x", decision(), seen=T0 - timedelta(seconds=1))
    record(store, 2, "b@x", decision(pool="main"), seen=T0, details=details)
    record(store, 3, "c@x", decision(None, action="skip"), seen=T0 + timedelta(days=1))
    rows = store.queries.requests(T0, T0 + timedelta(days=1))
    assert [r.key.uid for r in rows] == [2]
    (row,) = rows
    assert (row.company, row.inn, row.region_code, row.region_name, row.district) == (
        "ООО «Ромашка»", "7707083893", "35", "Вологодская область", "СЗФО")  # fmt: skip
    assert (row.seen_at, row.state, row.action, row.pool, row.sender, row.subject) == (
        T0, DECIDED, "forward", "main", "client@example.ru", "Заявка")  # fmt: skip
    assert row.reasons == ("Вологодская область → СЗФО → Петров",) and not row.forwarded
    assert [r.key.uid for r in store.queries.requests(T0)] == [2, 3]


def test_summary_and_recent(store: Store) -> None:
    record(store, 1, "a@x", decision("petrov"))
    record(store, 2, "b@x", decision("ivanova"))
    record(store, 3, "c@x", decision(None, action="skip", rule="not_a_request"))
    store.messages.mark_done(key(3))
    summary = store.queries.summary()
    assert summary["total"] == 3
    assert summary["states"] == {DECIDED: 2, MARKED: 1}
    assert summary["actions"] == {"forward": 2, "skip": 1}
    assert summary["owners"] == {"ivanova": 1, "petrov": 1}
    assert summary["rules"] == {"not_a_request": 1, "territory": 2}
    recent = store.queries.recent(2)
    assert [r["uid"] for r in recent] == [3, 2]
    assert recent[0] == {"uid": 3, "sender": "client@example.ru", "subject": "Заявка", "state": MARKED, "action": "skip",
                         "owner": None, "rule": "not_a_request", "reasons": '["Вологодская область → СЗФО → Петров"]',
                         "error": None}  # fmt: skip
    assert [r["uid"] for r in store.queries.recent()] == [3, 2, 1]
    assert store.queries.recent(0) == []


def test_meta_and_durability(store: Store) -> None:
    assert store.meta.get("report_until") is None
    store.meta.set("report_until", "2025-06-09")
    store.meta.set("report_until", "2025-06-16")
    assert store.meta.get("report_until") == "2025-06-16"
    with store.grouped():
        record(store, 1, "a@x", decision())
        store.sync()
        assert store.meta.get("synced_at")
    assert store.messages.entry(key(1)) is not None


# --- releases: the digest of skipped mail and the head's replies ------------------------------


def test_skipped_mail_of_a_period_is_listed_without_duplicates(store: Store) -> None:
    record(store, 1, "a@x", decision(None, action="skip", rule="not_a_request"), seen=T0)
    record(store, 2, "b@x", decision(), seen=T0)
    record(store, 3, "c@x", decision(None, action="skip", rule="duplicate"), seen=T0)
    record(store, 4, "d@x", decision(None, action="skip", rule="digest_reply"), seen=T0)
    record(store, 5, "e@x", decision(None, action="skip", rule="bulk"), seen=T0 + timedelta(hours=1))
    record(store, 6, "f@x", decision(None, action="skip", rule="not_a_request"), seen=T0 + timedelta(days=1))
    rows = store.releases.skipped(T0, T0 + timedelta(days=1))
    assert [r.key.uid for r in rows] == [1, 5] and rows[0].reasons == ("Вологодская область → СЗФО → Петров",)
    assert store.releases.skipped(T0 + timedelta(hours=2), T0 + timedelta(days=1)) == []


def test_a_digest_lists_keys_once_and_a_release_is_claimed_once(store: Store) -> None:
    from inboxbot.store.interfaces import ReleaseCommand

    store.releases.record_digest("d1@bot", [key(1), key(5)], T0)
    store.releases.record_digest("d1@bot", [key(9)], T0)  # recorded again: unchanged
    items = store.releases.items("d1@bot")
    assert [(i.number, i.key, i.released, i.decision) for i in items] == [(1, key(1), False, None), (2, key(5), False, None)]
    assert store.releases.digest_of(["other@x", "d1@bot"]) == "d1@bot" and store.releases.digest_of(["x@y"]) is None
    assert store.releases.digest_of([]) is None and store.releases.items("nothing@bot") == []

    first = store.releases.claim("d1@bot", 2, {"owner": "petrov"}, T0)
    second = store.releases.claim("d1@bot", 2, {"owner": "ivanova"}, T0 + timedelta(minutes=1))
    assert first.decision == second.decision == {"owner": "petrov"} and not second.released
    store.releases.finish("d1@bot", 2, "переслано Петрову", T0, released=True)
    store.releases.finish("d1@bot", 1, "письма уже нет в ящике", T0, released=False)
    one, two = store.releases.items("d1@bot")
    assert (one.released, one.outcome) == (False, "письма уже нет в ящике")
    assert (two.released, two.outcome) == (True, "переслано Петрову")
    with pytest.raises(KeyError):
        store.releases.claim("d1@bot", 7, {}, T0)

    command = ReleaseCommand("r1@head", "d1@bot", "volkov@x", (2,), None, T0)
    assert store.releases.record_command(command) and not store.releases.record_command(command)
    refused = ReleaseCommand("r2@evil", "d1@bot", "evil@x", None, "отправитель не руководитель", T0 + timedelta(minutes=5))
    store.releases.record_command(refused)
    assert store.releases.open_commands() == [command, refused]
    store.releases.close_command("r1@head", T0)
    assert store.releases.open_commands() == [refused]


def test_every_backend_gives_the_same_records(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """One scripted history, every backend: every record they return is equal."""
    results = []
    backends = [Backend(kind, tmp_path, request) for kind in BACKENDS]
    try:
        for store in (made() for made in backends):
            forwarded(store, 1)
            forwarded(store, 2, "ivanova", seen=T0 + timedelta(hours=1))
            record(store, 3, "m3@x", decision(None, action="skip"))
            store.messages.mark_done(key(3))
            store.requests.record_answer(["fwd2@bot"], "ivanova", T0 + timedelta(hours=3), "reply")
            (waiting,) = store.requests.awaiting_answer()
            store.requests.record_escalation(waiting.id, T0 + timedelta(hours=9), "head", new_owner="orlov",
                                             new_forward_id="fwd1b@bot")  # fmt: skip
            store.requests.record_ack(key(2), ["m2@client"], T0)
            results.append((
                store.queries.requests(T0 - timedelta(days=1)), store.requests.awaiting_answer(),
                [store.messages.entry(key(uid)) for uid in (1, 2, 3)],
                store.history.owner_counts(T0 - timedelta(days=1)), store.history.thread_owner(["fwd1b@bot"]),
                {k: v for k, v in store.queries.summary().items()}, store.queries.recent(),
            ))  # fmt: skip
    finally:
        for made in backends:
            made.close()
    assert results[0] == results[1] == results[2]


# --- the file on disk ------------------------------------------------------------------------------


FIRST_RELEASE = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
    message_id TEXT NOT NULL, has_message_id INTEGER NOT NULL, content_hash TEXT NOT NULL, sender TEXT,
    subject TEXT, sent_at TEXT, seen_at TEXT NOT NULL, state TEXT NOT NULL, action TEXT, owner TEXT,
    rule TEXT, base_owner TEXT, base_rule TEXT, pool TEXT, reasons TEXT, decision TEXT, forward_id TEXT,
    error TEXT, attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, UNIQUE (folder, uidvalidity, uid)
);
CREATE TABLE threads (message_id TEXT PRIMARY KEY, owner TEXT NOT NULL, rule TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE subjects (sender TEXT NOT NULL, subject TEXT NOT NULL, owner TEXT NOT NULL, at TEXT NOT NULL,
                       PRIMARY KEY (sender, subject));
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO messages (folder, uidvalidity, uid, message_id, has_message_id, content_hash, sender, subject,
                      seen_at, state, action, owner, rule, pool, reasons, decision, forward_id, updated_at)
VALUES ('INBOX', 7, 1, 'old@client', 1, 'h1', 'client@example.ru', 'Заявка', '2025-06-02T09:00:00+00:00',
        'marked', 'forward', 'petrov', 'pool', 'main', '["очередь"]', NULL, 'fwd-old@bot', '2025-06-02T09:01:00+00:00');
INSERT INTO threads VALUES ('old@client', 'petrov', 'pool', '2025-06-02T09:00:00+00:00');
INSERT INTO meta VALUES ('report_until', '2025-06-02T00:00:00+00:00');
"""


def test_a_journal_of_the_first_release_opens_and_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    db = sqlite3.connect(path)
    db.executescript(FIRST_RELEASE)
    db.close()
    with open_store(path) as store:
        entry = store.messages.entry(key(1))
        assert entry is not None and entry.state == MARKED and entry.forward_id == "fwd-old@bot" and entry.decision is None
        assert store.history.thread_owner(["old@client"]) == ("petrov", "old@client")
        assert store.history.last_pool_owner("main") == "petrov"
        assert store.meta.get("report_until") == "2025-06-02T00:00:00+00:00"
        (old,) = store.requests.awaiting_answer()  # the follow-up columns came with the open
        assert old.key == key(1) and old.answered_at is None and old.company is None
        assert store.requests.record_answer(["fwd-old@bot"], "petrov", T0, "reply")
        forwarded(store, 2)
        store.requests.record_ack(key(2), ["m2@client"], T0)
        assert store.requests.thread_acknowledged(["m2@client"])
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(messages)")]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert columns[-len(ADDED_COLUMNS):] == list(ADDED_COLUMNS)
    assert tables == {"messages", "threads", "subjects", "meta", "acks", "digest_items", "release_commands", "ledger",
                      "ledger_history", "ledger_history_keys", "audit", "search_text", "recent_requests", "conflicts",
                      "credits", "leases", "presence"}
    with open_store(path) as reopened:  # and again, now that it is up to date
        assert [r.key.uid for r in reopened.queries.requests(T0 - timedelta(days=30))] == [1, 2]


# --- PostgreSQL: the schema, the credentials -------------------------------------------------------


def test_the_postgres_schema_migrates_once_and_reopens_unchanged(postgres: Postgres) -> None:
    import psycopg

    from inboxbot.store.postgres_schema import MIGRATIONS, migrate

    url = postgres.url(postgres.new_database())
    with open_store(url) as store:
        forwarded(store, 1)
    with psycopg.connect(url, autocommit=True) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        with conn.transaction():
            assert migrate(conn) == []  # up to date: nothing applied again
    assert versions == [version for version, _ in MIGRATIONS]
    with open_store(url) as reopened:
        (row,) = reopened.requests.awaiting_answer()
        assert row.key == key(1) and row.forward_id == "fwd1@bot"


def test_two_workers_starting_together_migrate_once(postgres: Postgres) -> None:
    url = postgres.url(postgres.new_database())
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(url), range(4)))
    try:
        record(stores[0], 1, "m@x", decision())
        assert all(s.messages.entry(key(1)) is not None for s in stores)
    finally:
        for opened in stores:
            opened.close()


def test_a_database_migrated_by_a_newer_version_is_refused(postgres: Postgres) -> None:
    import psycopg

    from inboxbot.errors import StoreError

    url = postgres.url(postgres.new_database())
    open_store(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'later')")
    with pytest.raises(StoreError, match="миграция 999"):
        open_store(url)


@pytest.mark.parametrize("wrong", ["wrong-password", None])
def test_an_unreachable_store_says_where_without_the_password(postgres: Postgres, wrong: str | None) -> None:
    from inboxbot.errors import StoreError

    database = postgres.new_database()
    url = postgres.url(database, password=wrong) if wrong else postgres.url(database).replace(
        f":{postgres.port}/", f":{postgres.port + 1 if postgres.port < 65535 else 1}/")  # fmt: skip
    with pytest.raises(StoreError) as raised:
        open_store(url)
    text = str(raised.value)
    assert f"postgresql://{postgres.user}:***@127.0.0.1:" in text
    for secret in (postgres.password, "wrong-password"):
        assert secret not in text
    with open_store(postgres.url(database)) as store:
        assert store.path == f"postgresql://{postgres.user}:***@127.0.0.1:{postgres.port}/{database}"


# -- presence (days away by the head's mail command) ---------------------------------------------


def test_a_day_away_is_recorded_once_per_command(store: Store) -> None:
    from inboxbot.model.presence import DayAway

    day = date(2026, 6, 16)
    away = DayAway("petrov", day, "sidorov", "нет на месте", "cmd1@head", "volkov", T0 + timedelta(microseconds=7))
    kept = store.presence.record(away)
    assert kept.new and (kept.manager, kept.day, kept.backup, kept.by, kept.at) == ("petrov", day, "sidorov", "volkov", T0)
    again = store.presence.record(DayAway("petrov", day, "ivanova", "другое", "cmd1@head", "x", T0 + timedelta(hours=1)))
    assert not again.new and (again.backup, again.reason, again.by) == ("sidorov", "нет на месте", "volkov")
    store.presence.record(DayAway("orlov", day + timedelta(days=1), "volkov", "нет на месте", "cmd2@head", "volkov", T0))
    assert store.presence.by_command("cmd1@head") == replace(kept, new=False)
    assert store.presence.by_command("nope@head") is None
    assert [a.manager for a in store.presence.on(day, day)] == ["petrov"]
    assert [a.command for a in store.presence.on(day - timedelta(days=1), day + timedelta(days=1))] == ["cmd1@head", "cmd2@head"]
    assert store.presence.on(day + timedelta(days=2), day + timedelta(days=9)) == []
