"""The report's part about owners: who answered beside who received, the clients handed
over in the period, the open disputes («Нерешённые споры»), in the data and in the text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_report import RULES_PATH, Book, at, fwd, report_of, week

from inboxbot.compose.report_view import report_view
from inboxbot.compose.templates import Templates
from inboxbot.model.conflicts import Dispute
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store


@pytest.fixture(scope="module")
def demo_rules() -> Rules:
    return load_rules(RULES_PATH)


def test_credit_handovers_and_open_disputes(demo_rules: Rules) -> None:
    store = memory_store()
    book = Book(store)
    since, until = week(demo_rules)
    first = book.add(fwd("ivanova"), at(16, 10))
    book.add(fwd("ivanova"), at(16, 11), answered=at(16, 12))
    book.add(fwd("petrov"), at(17, 10), answered=at(17, 11))
    # Сидоров took over Ивановой's first request and answered it.
    entry = store.messages.entry(first)
    assert entry is not None and entry.forward_id is not None
    assert store.requests.record_answer([entry.forward_id], "sidorov", at(16, 15), "reply")
    store.ledger.claim([
        Assignment(ClientKey("domain", "acme.ru"), "ivanova", at(10, 9), rule="pool", pool="main", source="a@x"),
        Assignment(ClientKey("domain", "beta.ru"), "sidorov", at(16, 16), how="handover", source="b@x"),
        Assignment(ClientKey("address", "c@beta.ru"), "sidorov", at(16, 16), how="handover", source="b@x"),
        Assignment(ClientKey("inn", "7707083893"), "orlov", at(1, 9, month=10), how="head", source="c@x"),  # before the period
    ])  # fmt: skip
    store.conflicts.raise_conflict(Dispute("addressed", "ИНН 7106346026", ("petrov", "sidorov"), "клиент Сидорова написал Петрову"),
                                   at(18, 9))  # fmt: skip
    settled = store.conflicts.raise_conflict(Dispute("base_twice", "ИНН 7707083893", ("orlov", "petrov"), "два менеджера"), at(18, 9))
    store.conflicts.settle(settled.number, "keep", None, "", "cli", at(18, 10))

    report = report_of(store, demo_rules, since, until, now=at(20, 10), conflicts=store.conflicts.listing(),
                       ledger=store.ledger.entries())  # fmt: skip
    assert [c.id for c in report.credits] == ["ivanova", "petrov", "sidorov"]  # most answers first
    by_id = {c.id: c for c in report.credits}
    assert (by_id["ivanova"].received, by_id["ivanova"].answered, by_id["ivanova"].for_others) == (2, 1, 0)
    assert (by_id["sidorov"].received, by_id["sidorov"].answered, by_id["sidorov"].for_others) == (0, 1, 1)
    assert (by_id["petrov"].received, by_id["petrov"].answered) == (1, 1)
    assert [(h.client, h.how) for h in report.handovers] == [("домен beta.ru", "передача")]
    assert [(d.number, d.client) for d in report.disputes] == [(1, "ИНН 7106346026")]

    text = Templates(demo_rules.templates_dir).render("report.txt.j2", **report_view(report, {}))
    assert "КТО ОТВЕТИЛ (получено / отвечено)" in text and "0 / 1, из них за коллег — 1" in text
    assert "ПЕРЕДАЧИ КЛИЕНТОВ\n  16.11 16:00 домен beta.ru → Сидоров" in text
    assert "НЕРЕШЁННЫЕ СПОРЫ — 1\n  № 1 (18.11 09:00) письмо не владельцу клиента: ИНН 7106346026 — Петров" in text
    html = Templates(demo_rules.templates_dir).render("report.html.j2", **report_view(report, {}))
    assert "Нерешённые споры — 1" in html and "Кто ответил" in html and "Передачи клиентов" in html


def test_without_hand_overs_answers_for_others_or_disputes_the_sections_are_left_out(demo_rules: Rules) -> None:
    store = memory_store()
    book = Book(store)
    since, until = week(demo_rules)
    book.add(fwd("ivanova"), at(16, 10), answered=at(16, 11) + timedelta(minutes=5))
    report = report_of(store, demo_rules, since, until, now=at(20, 10))
    assert (report.credits, report.handovers, report.disputes) == ((), (), ())
    text = Templates(demo_rules.templates_dir).render("report.txt.j2", **report_view(report, {}))
    assert "КТО ОТВЕТИЛ" not in text and "ПЕРЕДАЧИ" not in text and "СПОРЫ" not in text
