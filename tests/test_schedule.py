"""Working time, follow-up due dates and report periods: pure, with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import RULES

from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.model.worktime import WorkingHours, describe_duration, parse_clock, parse_duration
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Absence, FollowUp, Pool, ReportSchedule
from inboxbot.run.schedule import ESCALATE, REMIND, due_followups, reassign_target, report_period

MSK = ZoneInfo("Europe/Moscow")
HOURS = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4), MSK)


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)  # type: ignore[misc]


# 2026-11-20 is a Friday, 2026-11-23 a Monday.


def test_elapsed_counts_only_office_hours_across_a_weekend() -> None:
    assert HOURS.elapsed(msk(2026, 11, 20, 17, 0), msk(2026, 11, 23, 10, 30)) == timedelta(hours=2, minutes=30)
    assert HOURS.elapsed(msk(2026, 11, 21, 12, 0), msk(2026, 11, 22, 12, 0)) == timedelta(0)  # Sat → Sun
    assert HOURS.elapsed(msk(2026, 11, 23, 7, 0), msk(2026, 11, 23, 20, 0)) == timedelta(hours=9)
    assert HOURS.elapsed(msk(2026, 11, 23, 12, 0), msk(2026, 11, 23, 11, 0)) == timedelta(0)


def test_add_lands_on_the_next_working_day() -> None:
    assert HOURS.add(msk(2026, 11, 20, 17, 0), timedelta(hours=4)) == msk(2026, 11, 23, 12, 0)
    assert HOURS.add(msk(2026, 11, 22, 23, 0), timedelta(hours=1)) == msk(2026, 11, 23, 10, 0)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 10),
)
def test_add_and_elapsed_agree(start: datetime, minutes: int) -> None:
    since = start.replace(tzinfo=MSK)
    amount = timedelta(minutes=minutes)
    assert HOURS.elapsed(since, HOURS.add(since, amount)) == amount


def test_durations_and_clock_parse_in_both_languages() -> None:
    day = HOURS.day_length
    assert day == timedelta(hours=9)
    assert parse_duration("4h", day) == parse_duration("4 ч", day) == timedelta(hours=4)
    assert parse_duration("90 мин", day) == timedelta(minutes=90)
    assert parse_duration("2d", day) == parse_duration("2 дня", day) == timedelta(hours=18)
    assert parse_duration("soon", day) is None
    assert parse_clock("9.30") == time(9, 30)
    assert parse_clock("25:00") is None
    assert parse_clock("9") == time(9)
    assert describe_duration(timedelta(hours=3, minutes=5)) == "3 ч 5 мин"
    assert HOURS.describe() == "пн–пт 09:00–18:00"


def row(forwarded_at: datetime | None, **changes: object) -> RequestRow:
    base = RequestRow(
        id=1, key=MessageKey("INBOX", 1, 1), message_id="m@x", sender="c@client.ru", subject="КП",
        sent_at=None, seen_at=forwarded_at or msk(2026, 11, 20, 9, 0), state="marked", action="forward",
        owner="ivanova", rule="territory", base_owner=None, base_rule=None, pool=None, reasons=(),
        company=None, inn=None, region_code=None, region_name=None, district=None,
        forward_id="fwd.1@bot" if forwarded_at else None, forwarded_at=forwarded_at, answered_at=None,
        answered_by=None, answer_how=None, reminded_at=None, escalated_at=None, escalated_to=None,
        acked_at=None, error=None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


POLICY = FollowUp(timedelta(hours=4), timedelta(hours=8), "head")


def test_reminder_then_escalation_in_working_time() -> None:
    friday = row(msk(2026, 11, 20, 16, 0))
    assert due_followups([friday], POLICY, HOURS, msk(2026, 11, 20, 17, 59)) == []
    # Saturday: 2 working hours passed, and nobody is in anyway.
    assert due_followups([friday], POLICY, HOURS, msk(2026, 11, 21, 12, 0)) == []
    due = due_followups([friday], POLICY, HOURS, msk(2026, 11, 23, 11, 0))
    assert [(d.kind, d.waited) for d in due] == [(REMIND, timedelta(hours=4))]
    reminded = replace(friday, reminded_at=msk(2026, 11, 23, 11, 0))
    assert due_followups([reminded], POLICY, HOURS, msk(2026, 11, 23, 14, 59)) == []
    assert [d.kind for d in due_followups([reminded], POLICY, HOURS, msk(2026, 11, 23, 15, 0))] == [ESCALATE]
    escalated = replace(reminded, escalated_at=msk(2026, 11, 23, 15, 0))
    assert due_followups([escalated], POLICY, HOURS, msk(2026, 11, 25, 15, 0)) == []


def test_answered_tagged_and_old_requests_are_left_alone() -> None:
    now = msk(2026, 11, 25, 12, 0)
    forwarded = msk(2026, 11, 23, 9, 0)
    assert due_followups([row(forwarded, answered_at=msk(2026, 11, 23, 9, 30))], POLICY, HOURS, now) == []
    assert due_followups([row(forwarded, action="tag")], POLICY, HOURS, now) == []
    assert due_followups([row(None)], POLICY, HOURS, now) == []
    assert due_followups([row(forwarded)], POLICY, HOURS, now, since=msk(2026, 11, 24, 0, 0)) == []
    # Past both thresholds at once: the escalation, not a reminder first.
    assert [d.kind for d in due_followups([row(forwarded)], POLICY, HOURS, now)] == [ESCALATE]
    no_escalation = FollowUp(timedelta(hours=4), None, "head")
    assert [d.kind for d in due_followups([row(forwarded)], no_escalation, HOURS, now)] == [REMIND]


def test_reassign_goes_to_the_least_loaded_present_pool_member() -> None:
    rules = replace(load_rules(RULES), followup=FollowUp(timedelta(hours=4), timedelta(hours=8), "reassign"))
    assert rules.pool is not None
    day = msk(2026, 11, 23, 12, 0)
    load = {m: 10 for m in rules.pool.members}
    load["orlov"] = 3
    assert reassign_target(rules, "ivanova", day, load) == "orlov"
    assert reassign_target(rules, "orlov", day, load) == rules.pool.members[0]
    # Petrov is on leave 07.07–20.07.2025 in the demo rules: never chosen then.
    july = msk(2025, 7, 10, 12, 0)
    load = {m: 10 for m in rules.pool.members} | {"petrov": 0}
    assert reassign_target(rules, "ivanova", july, load) != "petrov"
    fixed = replace(rules, followup=FollowUp(timedelta(hours=4), None, "reassign", "volkov"))
    assert reassign_target(fixed, "ivanova", day, {}) == "volkov"
    assert reassign_target(fixed, "volkov", day, {}) is None


@pytest.mark.parametrize(
    ("now", "last_until", "expected"),
    [
        # Monday 09:00 weekly report: the seven days before Monday.
        (msk(2026, 11, 23, 9, 0), None, (msk(2026, 11, 16), msk(2026, 11, 23))),
        # Before 09:00 on Monday: last week's report is not due yet, the one before was sent.
        (msk(2026, 11, 23, 8, 59), msk(2026, 11, 16), None),
        (msk(2026, 11, 23, 8, 59), msk(2026, 11, 9), (msk(2026, 11, 9), msk(2026, 11, 16))),
        (msk(2026, 11, 23, 9, 0), msk(2026, 11, 23), None),
        # Down over Monday, back on Wednesday: the week that ended on Monday, once.
        (msk(2026, 11, 25, 14, 0), msk(2026, 11, 16), (msk(2026, 11, 16), msk(2026, 11, 23))),
    ],
)
def test_weekly_report_period(now: datetime, last_until: datetime | None, expected: tuple[datetime, datetime] | None) -> None:
    schedule = ReportSchedule("week", time(9), 0, ("volkov",))
    period = report_period(schedule, HOURS, now, last_until.astimezone(UTC) if last_until else None)
    if expected is None:
        assert period is None
    else:
        assert period is not None
        assert (period.since, period.until) == expected


def test_daily_report_period() -> None:
    schedule = ReportSchedule("day", time(8, 30), 0, ("volkov",))
    period = report_period(schedule, HOURS, msk(2026, 11, 19, 8, 30), None)
    assert period is not None and (period.since, period.until) == (msk(2026, 11, 18), msk(2026, 11, 19))
    assert report_period(schedule, HOURS, msk(2026, 11, 19, 20, 0), period.until) is None
    # No report at the weekend: Monday's covers Friday to Sunday.
    friday = report_period(schedule, HOURS, msk(2026, 11, 20, 9, 0), period.until)
    assert friday is not None and (friday.since, friday.until) == (msk(2026, 11, 19), msk(2026, 11, 20))
    assert report_period(schedule, HOURS, msk(2026, 11, 22, 8, 30), friday.until) is None
    monday = report_period(schedule, HOURS, msk(2026, 11, 23, 8, 30), friday.until)
    assert monday is not None and (monday.since, monday.until) == (msk(2026, 11, 20), msk(2026, 11, 23))


def test_daily_report_skips_the_new_year_holidays() -> None:
    """31.12.2026 and 01–10.01.2027 are days off by the production calendar: no report
    on 31.12 or 01.01; the one of 11.01 covers the days since 30.12."""
    schedule = ReportSchedule("day", time(9), 0, ("volkov",))
    sent = msk(2026, 12, 30).astimezone(UTC)  # the report of 30.12 covered 29.12
    assert report_period(schedule, HOURS, msk(2026, 12, 31, 9, 0), sent) is None
    assert report_period(schedule, HOURS, msk(2027, 1, 1, 9, 0), sent) is None
    assert report_period(schedule, HOURS, msk(2027, 1, 11, 8, 59), sent) is None
    period = report_period(schedule, HOURS, msk(2027, 1, 11, 9, 0), sent)
    assert period is not None and (period.since, period.until) == (msk(2026, 12, 30), msk(2027, 1, 11))


def test_weekly_report_on_a_holiday_goes_out_on_the_next_working_day() -> None:
    """Monday 11.05.2026 is a day off (Victory Day falls on a Saturday): the week 04–10.05
    is reported on Tuesday. Monday 05.01.2026 is in the New Year holidays, postponed to
    12.01 like the next week's report: that one covers both weeks."""
    schedule = ReportSchedule("week", time(9), 0, ("volkov",))
    sent = msk(2026, 5, 4).astimezone(UTC)
    assert report_period(schedule, HOURS, msk(2026, 5, 11, 10, 0), sent) is None
    assert report_period(schedule, HOURS, msk(2026, 5, 12, 8, 59), sent) is None
    period = report_period(schedule, HOURS, msk(2026, 5, 12, 9, 0), sent)
    assert period is not None and (period.since, period.until) == (msk(2026, 5, 4), msk(2026, 5, 11))
    sent = msk(2025, 12, 29).astimezone(UTC)
    assert report_period(schedule, HOURS, msk(2026, 1, 5, 10, 0), sent) is None
    period = report_period(schedule, HOURS, msk(2026, 1, 12, 9, 0), sent)
    assert period is not None and (period.since, period.until) == (msk(2025, 12, 29), msk(2026, 1, 12))


def test_reassign_looks_at_the_moment_not_the_whole_day() -> None:
    """A manager back from the doctor by 11:00 takes a request at 12:00; one leaving at
    14:00 still takes it at 12:00 — before, any absence that day ruled them out."""
    rules = replace(load_rules(RULES), followup=FollowUp(timedelta(hours=4), timedelta(hours=8), "reassign"))
    assert rules.pool is not None
    day = msk(2026, 11, 23, 12, 0).date()
    load = {m: 10 for m in rules.pool.members} | {"orlov": 0}
    morning = replace(rules, absences=(Absence("orlov", day, day, "volkov", "у врача", end_time=time(11, 0)),))
    assert reassign_target(morning, "ivanova", msk(2026, 11, 23, 12, 0), load) == "orlov"
    assert reassign_target(morning, "ivanova", msk(2026, 11, 23, 10, 0), load) != "orlov"
    afternoon = replace(rules, absences=(Absence("orlov", day, day, "volkov", "у врача", start_time=time(14, 0)),))
    assert reassign_target(afternoon, "ivanova", msk(2026, 11, 23, 12, 0), load) == "orlov"
    assert reassign_target(afternoon, "ivanova", msk(2026, 11, 23, 15, 0), load) != "orlov"
    fixed = replace(morning, followup=FollowUp(timedelta(hours=4), None, "reassign", "orlov"))
    assert reassign_target(fixed, "ivanova", msk(2026, 11, 23, 12, 0), {}) == "orlov"
    assert reassign_target(fixed, "ivanova", msk(2026, 11, 23, 10, 0), {}) is None


def test_reassign_stays_in_the_queue_the_request_came_through() -> None:
    rules = replace(load_rules(RULES), followup=FollowUp(timedelta(hours=4), timedelta(hours=8), "reassign"))
    assert rules.pool is not None
    pharma = Pool("pharma", ("smirnova", "orlov"))
    rules = replace(rules, pools={rules.pool.name: rules.pool, "pharma": pharma})
    now = msk(2026, 11, 23, 12, 0)
    load = {m: 0 for m in rules.pool.members} | {"orlov": 50}
    assert reassign_target(rules, "smirnova", now, load, pool="pharma") == "orlov"  # the only other in «pharma»
    assert reassign_target(rules, "smirnova", now, load) != "orlov"  # a request of the first queue
    assert reassign_target(rules, "smirnova", now, load, pool="gone") != "orlov"  # a queue since removed: the first
