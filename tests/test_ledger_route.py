"""The client ledger in routing: a new client's first assignment, written as the worker
writes it after the forward, decides the client's later mail. Pure: the demo rules, hand-built
mails and Facts, a real in-memory store."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from samples import RULES

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.why import why_view
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Company, Facts
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import MessageKey
from inboxbot.route.conditions.ledger import LedgerOptions, first_assignments, renew_before
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Absence, Rules
from inboxbot.store.factory import memory_store
from inboxbot.store.interfaces import Store

NOW = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, the mails' Date
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def rules() -> Rules:
    loaded = load_rules(RULES)
    return replace(loaded, rules=tuple(r for r in loaded.rules if r.when != "not_a_request"))


@pytest.fixture()
def store() -> Store:
    return memory_store()


def mail(frm: str, subject: str = "Заявка на коробки") -> ParsedMessage:
    raw = (f"From: {frm}\nTo: sales@severkarton.test\nSubject: {subject}\nDate: Mon, 09 Jun 2025 10:00:00 +0300\n"
           f"Message-ID: <l{next(_ids)}@client.example>\nContent-Type: text/plain; charset=utf-8\n\n"
           "Добрый день! Нужны коробки 400х300х200, 1000 шт.\n")  # fmt: skip
    return parse(raw.encode())


def new_company(name: str = "Полимер-Трейд") -> Facts:
    return Facts(company=Company(name=name, core=name, legal_form="ООО"), new_text="коробки")


def route(rules: Rules, store: Store, msg: ParsedMessage, facts: Facts, at: datetime = NOW) -> Decision:
    """Decide, journal, and write the first assignment as the worker does once the forward went."""
    decision = decide(msg, facts, rules, store.history, received_at=at, ledger=store.ledger)
    store.messages.record_decision(MessageKey("INBOX", 1, next(_ids)), msg, decision)
    store.ledger.claim(first_assignments(decision, at, msg.message_id), renew_before=renew_before(rules, at))
    return decision


def ledger_step(decision: Decision) -> str:
    return next(s.detail for s in decision.trail if s.rule == "ledger")


def test_three_mails_of_one_new_company_go_to_one_owner(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("Анна <anna@polimer-trade.ru>"), new_company())
    assert first.rule == "pool" and first.owner is not None
    assert ledger_step(first).startswith("клиент ни за кем не закреплён")
    assert set(first.claim) == {ClientKey("domain", "polimer-trade.ru"), ClientKey("address", "anna@polimer-trade.ru")} | {
        k for k in first.claim if k.kind == "name"
    } and any(k.kind == "name" for k in first.claim)
    later = [route(rules, store, mail("Анна <anna@polimer-trade.ru>", f"Заявка {n}"), new_company()) for n in (2, 3)]
    assert [d.owner for d in later] == [first.owner, first.owner]
    assert [d.rule for d in later] == ["ledger", "ledger"]
    assert all(d.claim == () for d in later)  # written once, by the first
    assert ledger_step(later[0]).startswith("домен polimer-trade.ru → ")
    # Without the ledger the round robin would have moved on.
    assert decide(mail("Анна <anna@polimer-trade.ru>"), new_company(), rules, store.history, received_at=NOW).owner != first.owner


def test_another_address_at_the_company_domain_finds_the_same_owner(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("anna@polimer-trade.ru"), new_company())
    other = route(rules, store, mail("Борис <boris@polimer-trade.ru>"), Facts(new_text="коробки"))
    assert (other.rule, other.owner) == ("ledger", first.owner)
    assert "домен отправителя polimer-trade.ru — в журнале закреплений" in other.reasons


def test_a_free_mail_sender_is_known_only_by_the_address(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("kuzmin@gmail.com"), Facts(new_text="коробки"))
    assert first.claim == (ClientKey("address", "kuzmin@gmail.com"),)
    again = route(rules, store, mail("Иван Кузьмин <Kuzmin@gmail.com>"), Facts(new_text="коробки"))
    assert (again.rule, again.owner) == ("ledger", first.owner)
    assert ledger_step(again).startswith("адрес kuzmin@gmail.com → ")
    stranger = route(rules, store, mail("petrova@gmail.com"), Facts(new_text="коробки"))
    assert stranger.rule == "pool"


def test_the_company_name_reaches_a_new_address_on_free_mail(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("anna@polimer-trade.ru"), new_company("Полимер-Трейд"))
    named = route(rules, store, mail("snab.polimer@mail.ru"), new_company("ПОЛИМЕР-ТРЕЙД"))
    assert (named.rule, named.owner) == ("ledger", first.owner)
    narrow = replace(rules, rules=tuple(
        replace(r, options=LedgerOptions(reach=("inn", "domain"))) if r.when == "ledger" else r for r in rules.rules
    ))  # fmt: skip
    assert decide(mail("snab2.polimer@mail.ru"), new_company(), narrow, store.history, received_at=NOW, ledger=store.ledger).rule == "pool"


def test_an_expired_entry_leaves_the_rules_as_usual_and_is_renewed(rules: Rules, store: Store) -> None:
    old = NOW - timedelta(days=400)
    store.ledger.claim([Assignment(ClientKey("domain", "polimer-trade.ru"), "orlov", old, rule="pool", pool="main")])
    d = route(rules, store, mail("anna@polimer-trade.ru"), Facts(new_text="коробки"))
    assert d.rule == "pool"
    assert ledger_step(d) == "домен polimer-trade.ru — клиент закреплён с 05.05.2024 за «orlov», но закрепление старше 365 дн. — по правилам как обычно"
    renewed = store.ledger.find([ClientKey("domain", "polimer-trade.ru")])
    assert renewed is not None and (renewed.owner, renewed.since) == (d.owner, NOW)  # the new first assignment


def test_an_owner_no_longer_among_the_managers_leaves_the_rules_as_usual(rules: Rules, store: Store) -> None:
    store.ledger.claim([Assignment(ClientKey("address", "anna@polimer-trade.ru"), "gone", NOW - timedelta(days=3))])
    d = route(rules, store, mail("anna@polimer-trade.ru"), Facts(new_text="коробки"))
    assert d.rule == "pool"
    assert "такого менеджера в правилах больше нет" in ledger_step(d)


def test_a_client_of_the_base_is_not_written(rules: Rules, store: Store) -> None:
    client = next(c for c in rules.clients if c.domains and c.manager in rules.managers)
    d = route(rules, store, mail(f"x@{client.domains[0]}"), Facts(new_text="коробки"))
    assert d.rule == "client_domain" and d.claim == ()
    assert store.ledger.find([ClientKey("domain", client.domains[0])]) is None


def test_an_absent_owner_is_covered_by_the_backup_and_stays_the_owner(rules: Rules, store: Store) -> None:
    store.ledger.claim([Assignment(ClientKey("domain", "polimer-trade.ru"), "petrov", NOW - timedelta(days=30),
                                   rule="pool", pool="main")])  # fmt: skip
    away = replace(rules, absences=(Absence("petrov", NOW.date(), NOW.date(), "ivanova", "в отпуске"),))
    d = route(away, store, mail("anna@polimer-trade.ru"), Facts(new_text="коробки"))
    assert (d.rule, d.base_rule, d.owner, d.base_owner) == ("absence_backup", "ledger", "ivanova", "petrov")
    assert store.ledger.find([ClientKey("domain", "polimer-trade.ru")]).owner == "petrov"  # type: ignore[union-attr]


def test_the_forward_says_since_when_and_how_the_client_is_the_readers(rules: Rules, store: Store) -> None:
    store.ledger.claim([Assignment(ClientKey("domain", "polimer-trade.ru"), "petrov", datetime(2026, 6, 12, 9, tzinfo=UTC),
                                   rule="pool", pool="main")])  # fmt: skip
    d = route(rules, store, mail("anna@polimer-trade.ru"), Facts(new_text="коробки"), at=datetime(2026, 7, 1, tzinfo=UTC))
    petrov = Recipient.of(rules.managers["petrov"])
    ctx = ForwardContext("ТД", Address("ТД", "bot@severkarton.test"), ("X-Loop",), petrov)
    assert why_view(d, ctx, petrov) == [
        "Домен отправителя polimer-trade.ru — в журнале закреплений.",
        "Клиент закреплён за вами с 12.06.2026 (первая заявка, очередь «main»).",
    ]
