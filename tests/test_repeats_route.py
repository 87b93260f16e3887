"""Near-duplicate requests in routing: the same sender with nearly the same text within the
window goes to the first request's owner, says so, and is not counted again. Pure: the demo
rules (without the ledger, so that the round robin would move on), hand-built mails and
Facts, a real in-memory store written as the worker writes it."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import RULES

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.why import why_view
from inboxbot.mail.fingerprint import most_similar, request_text, similarity
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey
from inboxbot.route.conditions.repeat import RepeatOptions, to_remember
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store
from inboxbot.store.interfaces import Store

NOW = datetime(2025, 6, 9, 7, 14, tzinfo=UTC)  # 10:14 in Moscow
_ids = itertools.count(1)
BOXES = "Добрый день! Просим выставить счёт на гофрокоробки 400х300х200, 1000 шт. Доставка в Самару."


@pytest.fixture(scope="module")
def rules() -> Rules:
    loaded = load_rules(RULES)
    return replace(loaded, rules=tuple(r for r in loaded.rules if r.when not in ("not_a_request", "ledger")))


@pytest.fixture()
def store() -> Store:
    return memory_store()


def mail(
    frm: str, at: datetime, subject: str = "Заявка на коробки", to: str = "sales@severkarton.test"
) -> ParsedMessage:
    raw = (f"From: {frm}\nTo: {to}\nSubject: {subject}\nDate: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\n"
           f"Message-ID: <r{next(_ids)}@client.example>\nContent-Type: text/plain; charset=utf-8\n\nтекст\n")  # fmt: skip
    return parse(raw.encode())


def route(rules: Rules, store: Store, msg: ParsedMessage, text: str, at: datetime) -> Decision:
    """Decide and journal as the worker does, the request remembered once decided."""
    facts = Facts(new_text=text)
    decision = decide(msg, facts, rules, store.history, received_at=at, ledger=store.ledger, recent=store.repeats)
    store.messages.record_decision(MessageKey("INBOX", 1, next(_ids)), msg, decision, seen_at=at)
    request = to_remember(rules, msg, facts, decision, at)
    if request is not None:
        store.repeats.remember(request)
    return decision


def step(decision: Decision) -> str:
    return next(s.detail for s in decision.trail if s.rule == "repeat")


def test_the_fingerprint_ignores_layout_prefixes_and_case_but_not_the_order() -> None:
    a = request_text("Заявка на коробки", BOXES)
    assert similarity(a, request_text("Fwd: ЗАЯВКА на коробки", BOXES.replace(" ", "\n  ").replace("ё", "е"))) == 100
    assert (
        similarity(a, request_text("Заявка на коробки", BOXES.replace("1000", "5000").replace("400х300", "600х400")))
        < 90
    )
    assert similarity(a, request_text("Нужна плёнка", "Стретч-плёнка 500 мм, 20 рулонов")) < 20
    assert request_text("", "") == ""


WORDS = st.sampled_from(
    ["коробки", "400х300", "1000", "шт", "плёнка", "стретч", "500", "мм", "прошу", "счёт", "на", "оплату", "срочно"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=12), st.lists(st.lists(WORDS, max_size=12), max_size=8))
def test_the_closest_of_many_is_the_one_scoring_each_finds(text: list[str], others: list[list[str]]) -> None:
    """most_similar skips the word triples of texts that cannot win: the answer is still exact."""
    a, candidates = " ".join(text), [" ".join(o) for o in others]
    scores = [similarity(a, c) if a else 0 for c in candidates]
    best = max(scores, default=0)
    assert most_similar(a, candidates) == (best, tuple(i for i, s in enumerate(scores) if s == best))


def test_a_resend_goes_to_the_first_owner_marked_and_counted_once(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("kuzmin@gmail.com", NOW), BOXES, NOW)
    assert first.rule == "pool" and first.repeat_of is None
    assert step(first) == "от kuzmin@gmail.com за 3 дн. заявок не было"
    later = NOW + timedelta(hours=5)
    again = route(rules, store, mail("Иван Кузьмин <Kuzmin@gmail.com>", later, "Fwd: Заявка на коробки"),
                  BOXES.replace(". ", ".\n") + "\n\nОтправлено с iPhone", later)  # fmt: skip
    assert (again.rule, again.owner, again.pool) == ("repeat", first.owner, None)
    assert again.repeat_of is not None and again.repeat_of.owner == first.owner and again.repeat_of.score >= 90
    assert again.reasons[-1] == f"повтор заявки от 09.06 10:14, первая ушла → {rules.manager_name(first.owner)}"
    # Without the rule the round robin would have given it to someone else.
    assert (
        decide(mail("kuzmin@gmail.com", later), Facts(new_text=BOXES), rules, store.history, received_at=later).owner
        != first.owner
    )
    # Counted once: the fair-share counts and the journal's period see one request.
    assert store.history.owner_counts(NOW - timedelta(days=1)) == {first.owner: 1}
    rows = store.queries.requests(NOW - timedelta(days=1))
    assert [r.repeat_of for r in rows] == [None, again.repeat_of.message_id]
    # The owner reads it in the forward's summary.
    owner = rules.managers[first.owner]
    reader = Recipient.of(owner)
    context = ForwardContext("ТД", Address("ТД", "bot@severkarton.test"), ("X-Loop",), reader)
    assert "Повтор заявки от 09.06 10:14, первая ушла вам же." in why_view(again, context, reader)


def test_a_third_copy_names_the_first_request(rules: Rules, store: Store) -> None:
    first = route(rules, store, mail("kuzmin@gmail.com", NOW), BOXES, NOW)
    second = route(rules, store, mail("kuzmin@gmail.com", NOW + timedelta(days=2)), BOXES, NOW + timedelta(days=2))
    third = route(rules, store, mail("kuzmin@gmail.com", NOW + timedelta(days=4)), BOXES, NOW + timedelta(days=4))
    assert second.repeat_of is not None and third.repeat_of is not None
    assert third.repeat_of.at == second.repeat_of.at == NOW  # the first one, not the second
    assert third.owner == first.owner


def test_another_text_a_stranger_or_a_late_resend_is_a_new_request(rules: Rules, store: Store) -> None:
    route(rules, store, mail("kuzmin@gmail.com", NOW), BOXES, NOW)
    other = route(rules, store, mail("kuzmin@gmail.com", NOW + timedelta(hours=1), "Плёнка"),
                  "Нужна стретч-плёнка 500 мм, 20 рулонов", NOW + timedelta(hours=1))  # fmt: skip
    assert other.rule == "pool" and other.repeat_of is None
    assert "ни одна не совпадает (самая похожая — на " in step(other) and "нужно 90%)" in step(other)
    stranger = route(rules, store, mail("petrova@gmail.com", NOW + timedelta(hours=2)), BOXES, NOW + timedelta(hours=2))
    assert stranger.rule == "pool"
    late = NOW + timedelta(days=3, minutes=1)
    assert route(rules, store, mail("kuzmin@gmail.com", late), BOXES, late).rule == "pool"


def test_an_empty_mail_and_an_answer_in_a_thread_are_not_kept(rules: Rules, store: Store) -> None:
    empty = route(rules, store, mail("kuzmin@gmail.com", NOW, ""), "", NOW)
    assert step(empty) == "в письме нет текста, чтобы сравнить"
    assert store.repeats.recent("kuzmin@gmail.com", NOW - timedelta(days=1)) == []
    reply = Decision("forward", "petrov", "thread", ("ответ в переписке",))
    msg = mail("kuzmin@gmail.com", NOW)
    assert to_remember(rules, msg, Facts(new_text="спасибо, ждём"), reply, NOW) is None


def test_the_options_are_checked() -> None:
    assert RepeatOptions(window_days=0).problem() == "«window_days» — число дней больше 0"
    assert RepeatOptions(similarity=30).problem() == "«similarity» — процент от 50 до 100"
    assert RepeatOptions().problem() is None


def test_the_report_recheck_with_the_rules_that_decided_keeps_a_repeat_a_repeat(rules: Rules) -> None:
    """A resend re-decided for the report's «что изменилось бы» is again a repeat of the
    first request (the store keeps it), not a change of manager."""
    from inboxbot.run.pipeline import Pipeline
    from inboxbot.run.recheck import recheck

    store, pipeline, raws = memory_store(), Pipeline(rules), {}
    for uid, (sender, minute) in enumerate(
        (("kuzmin@gmail.com", 0), ("petrova@gmail.com", 5), ("kuzmin@gmail.com", 40)), 1
    ):
        at = NOW + timedelta(minutes=minute)
        raw = (f"From: {sender}\nTo: sales@severkarton.test\nSubject: Заявка на коробки\n"
               f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\nMessage-ID: <rc{uid}@client.example>\n"
               f"Content-Type: text/plain; charset=utf-8\n\n{BOXES.replace(' Доставка в Самару.', '')}\n").encode()  # fmt: skip
        outcome = pipeline.run(raw, store.history, received_at=at, ledger=store.ledger, recent=store.repeats)
        key = MessageKey("INBOX", 7, uid)
        store.messages.record_decision(key, outcome.msg, outcome.decision, seen_at=at)
        request = to_remember(rules, outcome.msg, outcome.facts, outcome.decision, at)
        if request is not None:
            store.repeats.remember(request)
        raws[key] = raw
    rows = store.queries.requests(NOW - timedelta(days=1))
    assert [r.rule for r in rows] == ["pool", "pool", "repeat"] and rows[0].owner == rows[2].owner != rows[1].owner
    changes = recheck(store, rows, raws, pipeline, rules_label="действующие правила", source="тест")
    assert (changes.checked, changes.items) == (3, ())
