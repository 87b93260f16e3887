"""Credit-back of a junk lead (`inboxbot credit-back`): the lead leaves its manager's share,
the queue makes it up to them, a repeat or an unknown id says so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import RULES

from inboxbot.cli import cli
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import open_store
from inboxbot.tools.fair_month import anonymous_request, with_month_share

T0 = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def month_rules() -> Rules:
    rules = load_rules(RULES)
    return with_month_share(replace(rules, rules=tuple(r for r in rules.rules if r.when != "not_a_request")))


def _route(rules: Rules, journal: Path, n: int) -> str | None:
    moment = T0 + timedelta(minutes=n)
    msg = anonymous_request(n, moment)
    with open_store(journal) as store:
        d = decide(msg, Facts(), rules, store.history, received_at=moment)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=moment)
    return d.owner


def test_credit_back_makes_the_queue_repay_the_manager(month_rules: Rules, tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    owners = [_route(month_rules, journal, n) for n in range(5)]
    assert owners == ["ivanova", "petrov", "sidorov", "orlov", "smirnova"]
    args = ["credit-back", "--rules", str(RULES), "--journal", str(journal), "<sim1@gmail.com>", "--reason", "спам"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Заявка «Запрос цены 1» списана с доли: Петров, очередь «main». Следующие письма очереди это возместят. Записано ")
    # Petrov's junk lead no longer counts: the next mail is his, before Иванова's second.
    assert _route(month_rules, journal, 5) == "petrov"
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "Заявка «Запрос цены 1» уже списана с доли (Петров, очередь «main») " in again.output
    with open_store(journal) as store:
        (credit,) = store.credits.credits(T0)
    assert (credit.owner, credit.by, credit.reason) == ("petrov", "volkov", "спам")


def test_credit_back_of_an_unknown_id_changes_nothing(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    open_store(journal).close()
    result = CliRunner().invoke(cli, ["credit-back", "--rules", str(RULES), "--journal", str(journal), "nobody@x"])
    assert result.exit_code == 3
    assert result.output == (
        "Ошибка: в журнале нет заявки с Message-ID «nobody@x», которую бот отдал менеджеру. "
        "Укажите Message-ID письма клиента или пересылки бота (заголовок Message-ID)\n"
    )


def test_the_report_leaves_a_credited_lead_out_of_the_shares(month_rules: Rules, tmp_path: Path) -> None:
    from inboxbot.compose.report import build_report

    journal = tmp_path / "journal.sqlite"
    for n in range(10):
        _route(month_rules, journal, n)
    since, until = T0 - timedelta(hours=1), T0 + timedelta(days=1)
    with open_store(journal) as store:
        assert store.credits.credit_back("sim1@gmail.com", "volkov", T0 + timedelta(hours=2), "спам") is not None
        rows = store.queries.requests(since, until)
        credited = {c.message_id for c in store.credits.credits(since)}
    before = {m.id: m for m in build_report(rows, (), month_rules, since, until, now=until).managers}
    after = {m.id: m for m in build_report(rows, (), month_rules, since, until, now=until, credited=credited).managers}
    assert (before["petrov"].pool, after["petrov"].pool) == (2, 1)
    assert (before["petrov"].total, after["petrov"].total) == (2, 2)  # still a request he got
    assert after["ivanova"].pool_share == pytest.approx(2 / 9)
