"""Disputes over who owns a client, as routing finds them: a client of one manager writing
to another, the ledger against the base, a holding's company in a colleague's district,
an INN under two managers. Pure: the demo rules, hand-built mails and Facts, a real
in-memory store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from samples import RULES
from test_route import mail, region, with_inn

from inboxbot.directory.client import Client
from inboxbot.model.conflicts import Dispute
from inboxbot.model.facts import Company, Facts
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.route.decide import decide
from inboxbot.route.disputes import inn_twice, ledger_disagreements
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store

NOW = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
TULA = ("Тульская пряничная мануфактура", "7106346026")  # sidorov's client in the demo base, line 200


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(RULES)


def test_a_client_writing_to_a_colleague_is_a_dispute_with_its_owner(rules: Rules) -> None:
    d = decide(mail(to="d.petrov@severkarton.test"), with_inn(*TULA), rules, memory_store().history, received_at=NOW)
    assert (d.rule, d.owner) == ("addressed", "petrov")
    (dispute,) = d.disputes
    assert (dispute.kind, dispute.owners) == ("addressed", ("petrov", "sidorov")) and dispute.message_id
    assert "ИНН 7106346026" in dispute.client and "Тульская пряничная мануфактура" in dispute.client
    assert dispute.detail.startswith("клиент ") and "— Сидоров" in dispute.detail and "по базе клиентов" in dispute.detail
    assert dispute.facts == f"addressed|{dispute.client.casefold()}|petrov|sidorov"
    assert dispute.keys[0] == ClientKey("inn", TULA[1])  # what a verdict moves in the ledger, most reliable first
    assert dispute.keys[-1].kind == "address" and Dispute.from_dict(dispute.to_dict()) == dispute
    # Written to its own manager: nothing to dispute; the same for a new company.
    assert decide(mail(to="a.sidorov@severkarton.test"), with_inn(*TULA), rules, memory_store().history).disputes == ()
    assert decide(mail(to="d.petrov@severkarton.test"), Facts(new_text="коробки"), rules, memory_store().history).disputes == ()


def test_a_ledger_client_writing_to_a_colleague_is_a_dispute_with_its_owner(rules: Rules) -> None:
    store = memory_store()
    store.ledger.claim([Assignment(ClientKey("address", "kuzmin@gmail.com"), "orlov", NOW, rule="pool", pool="main")])
    d = decide(mail(to="d.petrov@severkarton.test"), Facts(new_text="коробки"), rules, store.history, received_at=NOW,
               ledger=store.ledger)  # fmt: skip
    (dispute,) = d.disputes
    assert (dispute.kind, dispute.client, dispute.owners) == ("addressed", "адрес kuzmin@gmail.com", ("petrov", "orlov"))
    assert "(по журналу закреплений)" in dispute.detail
    assert dispute.keys == (ClientKey("address", "kuzmin@gmail.com"),)


def test_the_ledger_against_the_base_is_a_dispute_on_every_mail_and_in_the_sweep(rules: Rules) -> None:
    store = memory_store()
    entry = Assignment(ClientKey("inn", TULA[1]), "orlov", NOW, rule="pool", pool="main")
    store.ledger.claim([entry])
    d = decide(mail(), with_inn(*TULA), rules, store.history, received_at=NOW, ledger=store.ledger)
    assert (d.rule, d.owner) == ("client_inn", "sidorov")
    (dispute,) = d.disputes
    assert (dispute.kind, dispute.client, dispute.owners) == ("ledger_base", f"ИНН {TULA[1]}", ("sidorov", "orlov"))
    assert dispute.detail == "по базе клиентов клиента ведёт Сидоров, а в журнале закреплений он за Орлов с 09.06.2025"
    swept = ledger_disagreements(rules, store.ledger.entries())
    assert [s.facts for s in swept] == [dispute.facts]  # the same facts: recorded once either way
    assert dispute.keys[0] == swept[0].keys[0] == entry.key


def test_a_holding_company_in_a_district_where_a_colleague_has_the_group(rules: Rules) -> None:
    # Without the territory rule the pool gives a new company at the ТВМ domain to whoever is
    # next; in the Urals (УФО) Сидоров has the group's ТВМ-Урал, in the South Орлов has ТВМ Сервис Юг.
    by_pool = replace(rules, rules=tuple(r for r in rules.rules if r.when != "territory"))
    found = []
    for code, district, name, there in (("74", "УФО", "Челябинская область", "sidorov"),
                                        ("23", "ЮФО", "Краснодарский край", "orlov")):  # fmt: skip
        facts = Facts(company=Company(name="ТВМ-Новый", core="ТВМ-Новый", legal_form="ООО"),
                      region=region(code, district, name=name), new_text="коробки")  # fmt: skip
        d = decide(mail(frm="snab@tvm-group.ru"), facts, by_pool, memory_store().history, received_at=NOW)
        holding = [x for x in d.disputes if x.kind == "holding"]
        if d.owner == there:
            assert holding == []  # the owner has the group's company there already
            continue
        (dispute,) = holding
        assert (dispute.client, dispute.owners) == (f"группа «ТВМ», {district}", (d.owner, there))
        assert dispute.detail.startswith(f"компания группы «ТВМ» из {name} ушла ")
        found.append(dispute)
    assert found


def test_an_inn_under_two_managers_in_the_base(rules: Rules) -> None:
    def client(line: int, manager: str) -> Client:
        return Client("ООО «Альфа»", "7707083893", None, None, "77", None, manager, None, (), (), "clients.csv", line)

    (found,) = inn_twice(rules, [client(2, "petrov"), client(9, "sidorov"), client(12, "petrov")])
    assert (found.kind, found.client, found.owners) == ("base_twice", "ИНН 7707083893", ("petrov", "sidorov"))
    assert found.detail == "ООО «Альфа»: строка 2 — Петров, строка 9 — Сидоров, строка 12 — Петров (clients.csv)"
    assert inn_twice(rules, [client(2, "petrov"), client(3, "petrov")]) == []
