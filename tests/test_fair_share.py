"""Fair share per calendar month (route/share.py, [pool] period = "month"): the target
rule, the catch-up after an absence, and the explanation in the forward."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from samples import RULES

from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey
from inboxbot.route.decide import decide
from inboxbot.route.share import Share, explain, furthest_behind, month_shares
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Absence, Rules
from inboxbot.tools.fair_month import anonymous_request, simulate, with_month_share, working_moments


@pytest.fixture(scope="module")
def demo() -> Rules:
    rules = load_rules(RULES)
    # The demo's own absences are outside June but for kuznetsova, who is not in the pool.
    return replace(rules, rules=tuple(r for r in rules.rules if r.when != "not_a_request"))


def test_targets_divide_the_month_by_weight_times_days_present() -> None:
    shares = month_shares(("a", "b", "c"), {"a": 10, "b": 10, "c": 0}, {"a": 1.0, "b": 2.0, "c": 1.0}, {"a": 10, "b": 10, "c": 5})
    # 21 mails with this one; parts 10, 20, 5 of 35
    assert [round(shares[m].target, 2) for m in "abc"] == [6.0, 12.0, 3.0]
    assert furthest_behind(("a", "b", "c"), shares) == "c"  # 3 behind; b 2 behind; a 4 ahead


def test_ties_keep_the_round_robin_order() -> None:
    shares = month_shares(("a", "b"), {}, {"a": 1.0, "b": 1.0}, {"a": 3, "b": 3})
    assert furthest_behind(("b", "a"), shares) == "b"
    assert furthest_behind(("a", "b"), shares) == "a"


def test_nobody_present_yet_divides_by_weight() -> None:
    # The 1st of May is a holiday: no working day so far, the mail still has a target.
    shares = month_shares(("a", "b"), {}, {"a": 1.0, "b": 3.0}, {"a": 0, "b": 0})
    assert (shares["a"].target, shares["b"].target) == (0.25, 0.75)


def test_explanation_names_the_month_the_count_and_the_target() -> None:
    assert explain(Share("a", 10, 1.0, 15, 11.6), 6, 15) == "по очереди за июнь у вас 11 из 12 положенных (на месте 15 из 15 раб. дн.)"
    assert explain(Share("a", 3, 1.5, 4, 3.2), 5, 6, "вес 1.5") == "по очереди за май у вас 4 из 4 положенных (вес 1.5; на месте 4 из 6 раб. дн.)"
    assert explain(Share("a", 10, 1.0, 15, 11.0), 6, 15).startswith("по очереди за июнь у вас 11 из 11 ")


def test_forward_reason_and_month_reset(demo: Rules) -> None:
    from inboxbot.store.factory import memory_store


    rules = with_month_share(demo)
    store = memory_store()
    moment = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
    d = decide(anonymous_request(1, moment), Facts(), rules, store.history, received_at=moment)
    assert d.reasons[1] == "очередь «main»: дальше всех от равной доли за месяц → Иванова"
    assert d.reasons[2] == "по очереди за июнь у вас 1 из 1 положенных (на месте 19 из 19 раб. дн.)"


def _june(demo: Rules) -> Rules:
    """Petrov away 09.06–20.06 (back on Monday 23.06); Orlov on duty Monday to Thursday."""
    away = Absence("petrov", date(2025, 6, 9), date(2025, 6, 20), "ivanova", "в отпуске")
    rules = replace(with_month_share(demo), absences=(away,))
    managers = dict(rules.managers)
    managers["orlov"] = replace(managers["orlov"], duty=(0, 1, 2, 3))  # no pool mail on Fridays
    return replace(rules, managers=managers)


def test_a_month_with_an_absence_catches_up_and_ends_within_one_of_target(demo: Rules) -> None:
    month = simulate(_june(demo), 2025, 6, 600, snapshot=date(2025, 6, 23))
    assert month.total == 600
    before = {r.member: r for r in month.at_snapshot}
    after = {r.member: r for r in month.at_end}
    # The evening before he is back: 5 days present, his share of the month's mail so far
    # is well above what he got in his first week — the mail of his days is still his.
    assert before["petrov"].days == 5 and before["petrov"].target - before["petrov"].got > 3
    # By the month's end everyone is within one mail of the target.
    assert all(abs(r.got - r.target) <= 1 for r in after.values()), after
    assert after["petrov"].days == 11 and after["orlov"].days < after["ivanova"].days


def test_catch_up_gives_the_returning_manager_the_next_mails(demo: Rules) -> None:
    from inboxbot.store.factory import memory_store


    rules = _june(demo)
    store = memory_store()
    owners = []
    for n, moment in enumerate(working_moments(rules, 2025, 6, 600)):
        msg = anonymous_request(n, moment)
        d = decide(msg, Facts(), rules, store.history, received_at=moment)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=moment)
        if moment.date() == date(2025, 6, 23):
            owners.append(d.owner)
    assert owners[:5] == ["petrov"] * 5
    assert owners.count("petrov") > len(owners) / 5  # more than an equal fifth on his first day back


def test_weighted_month_follows_the_weights(demo: Rules) -> None:
    managers = dict(demo.managers)
    managers["smirnova"] = replace(managers["smirnova"], weight=2.0)
    rules = replace(with_month_share(demo, "weighted"), managers=managers)
    month = simulate(rules, 2025, 6, 120, snapshot=date(2025, 6, 16))
    after = {r.member: r for r in month.at_end}
    assert all(abs(r.got - r.target) <= 1 for r in after.values()), after
    assert after["smirnova"].got == pytest.approx(2 * after["ivanova"].got, abs=2)


def test_working_moments_spread_over_working_days(demo: Rules) -> None:
    moments = working_moments(demo, 2025, 6, 42)
    assert len(moments) == 42 and {m.date() for m in moments} >= {date(2025, 6, 2), date(2025, 6, 30)}
    assert date(2025, 6, 12) not in {m.date() for m in moments}  # Russia Day


def test_the_report_measures_the_month_share_the_queue_keeps(demo: Rules) -> None:
    from inboxbot.compose.report import fair_shares

    rules = _june(demo)
    month = simulate(rules, 2025, 6, 200, snapshot=date(2025, 6, 23))
    pool_rows = [r for r in month.requests if r.pool == "main"]
    assert rules.pool is not None
    targets = fair_shares(pool_rows, rules, rules.pool)
    documented = {r.member: r.target / month.total for r in month.at_end}
    assert targets == pytest.approx(documented, abs=1e-9)
    rolling = fair_shares(pool_rows, rules, replace(rules.pool, period="rolling"))
    assert rolling["petrov"] < targets["petrov"]  # day by day, his days away would not count for him


def test_the_month_is_the_bots_not_the_date_headers(demo: Rules) -> None:
    """A mail written on 30.05 that arrives on 02.06 counts in June's share: the bot's clock
    decides which month the queue is keeping (the Date header may be old)."""
    from inboxbot.store.factory import memory_store

    rules = with_month_share(demo)
    arrived = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)
    msg = anonymous_request(1, datetime(2025, 5, 30, 12, 0, tzinfo=UTC))
    d = decide(msg, Facts(), rules, memory_store().history, received_at=arrived)
    assert d.reasons[2] == "по очереди за июнь у вас 1 из 1 положенных (на месте 1 из 1 раб. дн.)"


def test_every_named_queue_is_simulated_each_with_its_own_month(demo: Rules) -> None:
    from types import MappingProxyType

    from inboxbot.rules.model import Pool
    from inboxbot.tools.fair_month import simulate_queues, table

    assert list(demo.pools) == ["main"]
    pharma = Pool("pharma", ("smirnova", "orlov"))
    rules = with_month_share(replace(demo, pools=MappingProxyType({**demo.pools, "pharma": pharma})))
    main, second = simulate_queues(rules, 2025, 6, 60, snapshot=date(2025, 6, 16))
    assert (main.queue, second.queue) == ("main", "pharma") and main.total == second.total == 60
    assert {r.member for r in second.at_end} == {"smirnova", "orlov"}
    assert all(abs(r.got - r.target) <= 1 for r in second.at_end), second.at_end
    assert {r.pool for r in second.requests} == {"pharma"}
    assert table(second).startswith("очередь «pharma»")
