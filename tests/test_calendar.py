"""Working time by the Russian production calendar: the New Year and May holidays of
2025–2026, the working Saturday 01.11.2025, the shortened eve of a holiday, the company's
own days in [calendar], and reassignment that never lands on a day off. A fixed clock."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from samples import RULES, demo_department

from inboxbot.model.calendar import WorkCalendar, is_pre_holiday, official_year
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.model.worktime import WorkingHours
from inboxbot.rules.load import check, load_rules
from inboxbot.rules.model import Absence, FollowUp, Rules
from inboxbot.run.schedule import ESCALATE, REMIND, due_followups, reassign_target

MSK = ZoneInfo("Europe/Moscow")
HOURS = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4), MSK)
POLICY = FollowUp(timedelta(hours=4), timedelta(hours=9), "reassign")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)  # type: ignore[misc]


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=MSK)


def request(forwarded_at: datetime, **changes: object) -> RequestRow:
    base = RequestRow(
        id=1, key=MessageKey("INBOX", 1, 1), message_id="m@x", sender="c@client.ru", subject="КП",
        sent_at=None, seen_at=forwarded_at, state="marked", action="forward",
        owner="ivanova", rule="territory", base_owner=None, base_rule=None, pool=None, reasons=(),
        company=None, inn=None, region_code=None, region_name=None, district=None,
        forward_id="fwd.1@bot", forwarded_at=forwarded_at, answered_at=None,
        answered_by=None, answer_how=None, reminded_at=None, escalated_at=None, escalated_to=None,
        acked_at=None, error=None,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def kinds(row: RequestRow, now: datetime, hours: WorkingHours = HOURS) -> list[tuple[str, timedelta]]:
    return [(d.kind, d.waited) for d in due_followups([row], POLICY, hours, now)]


# --- the official calendar ------------------------------------------------------------------


def test_the_package_knows_the_2025_and_2026_transfers() -> None:
    # Постановления Правительства РФ: 2025 — 04.01→02.05, 05.01→31.12, 23.02→08.05,
    # 08.03→13.06, 01.11→03.11; 2026 — 03.01→09.01, 04.01→31.12.
    y2025, y2026 = official_year(2025), official_year(2026)
    for day in (date(2025, 5, 2), date(2025, 5, 8), date(2025, 6, 13), date(2025, 11, 3), date(2025, 12, 31)):
        assert day in y2025.days_off, day
    for day in (date(2026, 1, 9), date(2026, 3, 9), date(2026, 5, 11), date(2026, 12, 31)):
        assert day in y2026.days_off, day
    assert y2025.working_weekends == {date(2025, 11, 1)}
    assert y2026.working_weekends == frozenset()


def test_new_year_holidays_are_nobodys_working_days() -> None:
    working = [d for d in (date(2025, 12, 29) + timedelta(days=n) for n in range(16)) if HOURS.is_working_day(d)]
    assert working == [date(2025, 12, 29), date(2025, 12, 30), date(2026, 1, 12), date(2026, 1, 13)]


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        # The official production calendars: four shortened days each year.
        (2025, [date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)]),
        (2026, [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)]),
    ],
)
def test_shortened_days_of_the_official_calendar(year: int, expected: list[date]) -> None:
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
    assert [d for d in days if is_pre_holiday(d)] == expected


# --- reminders and escalations over the New Year holidays ------------------------------------


def test_a_reminder_of_31_december_falls_due_on_12_january_at_13() -> None:
    # 31.12.2025 is a day off (moved from 05.01), 01–11.01.2026 are holidays and weekends:
    # 4 working hours from 16:00 on the 31st end at 13:00 on the 12th, not 11:00 on the 1st.
    row = request(msk(2025, 12, 31, 16, 0))
    assert HOURS.add(row.forwarded_at, POLICY.remind_after) == msk(2026, 1, 12, 13, 0)  # type: ignore[arg-type]
    assert kinds(row, msk(2026, 1, 1, 11, 0)) == []
    assert kinds(row, msk(2026, 1, 9, 11, 0)) == []  # the transferred day off of 03.01
    assert kinds(row, msk(2026, 1, 12, 12, 59)) == []
    assert kinds(row, msk(2026, 1, 12, 13, 0)) == [(REMIND, timedelta(hours=4))]


def test_an_escalation_waits_for_a_full_working_day_after_the_holidays() -> None:
    # Forwarded on 30.12.2025 at 17:00, the last working hour of the year.
    row = request(msk(2025, 12, 30, 17, 0), reminded_at=msk(2026, 1, 12, 12, 0))
    # On 02.01 nothing is due, let alone «без ответа 23 ч»: the office is closed.
    assert kinds(row, msk(2026, 1, 2, 12, 0)) == []
    assert HOURS.elapsed(row.forwarded_at, msk(2026, 1, 2, 12, 0)) == timedelta(hours=1)  # type: ignore[arg-type]
    assert kinds(row, msk(2026, 1, 12, 16, 59)) == []
    assert kinds(row, msk(2026, 1, 12, 17, 0)) == [(ESCALATE, timedelta(hours=9))]


def test_the_may_2026_holidays() -> None:
    # 01.05 (Fri) a holiday; 08.05 (Fri) the shortened eve of 09.05 (Sat), observed on 11.05 (Mon).
    before_first = request(msk(2026, 4, 30, 14, 0))  # the eve of 1 May closes at 17:00
    assert HOURS.add(before_first.forwarded_at, timedelta(hours=4)) == msk(2026, 5, 4, 10, 0)  # type: ignore[arg-type]
    assert kinds(before_first, msk(2026, 5, 1, 12, 0)) == []
    assert kinds(before_first, msk(2026, 5, 4, 10, 0)) == [(REMIND, timedelta(hours=4))]
    before_ninth = request(msk(2026, 5, 8, 15, 0))
    assert HOURS.add(before_ninth.forwarded_at, timedelta(hours=4)) == msk(2026, 5, 12, 11, 0)  # type: ignore[arg-type]
    assert kinds(before_ninth, msk(2026, 5, 11, 11, 0)) == []
    assert kinds(before_ninth, msk(2026, 5, 12, 10, 59)) == []
    assert kinds(before_ninth, msk(2026, 5, 12, 11, 0)) == [(REMIND, timedelta(hours=4))]


# --- the working Saturday and the shortened eve ----------------------------------------------


def test_the_working_saturday_1_november_2025_counts() -> None:
    assert HOURS.is_working_day(date(2025, 11, 1))
    assert not HOURS.is_working_day(date(2025, 11, 3))  # the Monday it was moved to
    assert HOURS.office_on(date(2025, 11, 1)) == (msk(2025, 11, 1, 9, 0), msk(2025, 11, 1, 17, 0))
    # Friday 17:00 → Wednesday 10:00: 1 h on Friday, 8 h on the short Saturday, 1 h on Wednesday.
    assert HOURS.elapsed(msk(2025, 10, 31, 17, 0), msk(2025, 11, 5, 10, 0)) == timedelta(hours=10)
    saturday = request(msk(2025, 11, 1, 10, 0))
    assert kinds(saturday, msk(2025, 11, 1, 13, 59)) == []
    assert kinds(saturday, msk(2025, 11, 1, 14, 0)) == [(REMIND, timedelta(hours=4))]


def test_a_pre_holiday_day_is_an_hour_shorter_unless_switched_off() -> None:
    eve = date(2026, 6, 11)  # before Russia Day
    assert HOURS.elapsed(msk(2026, 6, 11, 9, 0), msk(2026, 6, 11, 18, 0)) == timedelta(hours=8)
    assert HOURS.is_open(msk(2026, 6, 11, 16, 59)) and not HOURS.is_open(msk(2026, 6, 11, 17, 0))
    full = replace(HOURS, calendar=WorkCalendar(shortened_days=False))
    assert full.office_on(eve) == (msk(2026, 6, 11, 9, 0), msk(2026, 6, 11, 18, 0))
    assert full.elapsed(msk(2026, 6, 11, 9, 0), msk(2026, 6, 11, 18, 0)) == timedelta(hours=9)
    # A request of 16:00 on the eve: one working hour that day, then Monday 15.06 (12–14.06 off).
    assert HOURS.add(msk(2026, 6, 11, 16, 0), timedelta(hours=4)) == msk(2026, 6, 15, 12, 0)
    assert full.add(msk(2026, 6, 11, 16, 0), timedelta(hours=4)) == msk(2026, 6, 15, 11, 0)


def test_the_companys_own_days_off_and_working_days() -> None:
    own = replace(HOURS, calendar=WorkCalendar(
        extra_days_off=frozenset({date(2026, 1, 12)}), extra_work_days=frozenset({date(2026, 1, 10)}),
    ))  # fmt: skip
    assert own.is_working_day(date(2026, 1, 10)) and not own.is_working_day(date(2026, 1, 12))
    assert own.add(msk(2025, 12, 31, 16, 0), timedelta(hours=4)) == msk(2026, 1, 10, 13, 0)
    no_saturday = replace(HOURS, calendar=WorkCalendar(extra_days_off=frozenset({date(2026, 1, 10)})))
    assert no_saturday.add(msk(2025, 12, 31, 16, 0), timedelta(hours=4)) == msk(2026, 1, 12, 13, 0)


# --- reassignment ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rules() -> Rules:
    loaded = load_rules(RULES)
    return replace(loaded, followup=FollowUp(timedelta(hours=4), timedelta(hours=9), "reassign"))


def test_a_reassignment_never_picks_someone_on_holiday(rules: Rules) -> None:
    assert rules.pool is not None
    load = {m: 0 for m in rules.pool.members}
    for day in (date(2026, 1, 2), date(2026, 1, 9), date(2025, 12, 31), date(2026, 5, 11), date(2025, 11, 3)):
        assert reassign_target(rules, "ivanova", noon(day), load) is None, day
    assert reassign_target(rules, "ivanova", noon(date(2026, 1, 12)), load) is not None
    assert reassign_target(rules, "ivanova", noon(date(2025, 11, 1)), load) is not None  # the working Saturday
    fixed = replace(rules, followup=FollowUp(timedelta(hours=4), None, "reassign", "volkov"))
    assert reassign_target(fixed, "ivanova", noon(date(2026, 1, 2)), {}) is None
    assert reassign_target(fixed, "ivanova", noon(date(2026, 1, 12)), {}) == "volkov"


def test_a_reassignment_skips_the_absent_and_those_off_duty(rules: Rules) -> None:
    assert rules.pool is not None
    members = rules.pool.members
    load = {m: 10 for m in members} | {"orlov": 0, "smirnova": 1}
    monday = noon(date(2026, 1, 12))
    assert reassign_target(rules, "ivanova", monday, load) == "orlov"
    away = replace(rules, absences=(*rules.absences, Absence("orlov", date(2026, 1, 12), date(2026, 1, 16), "volkov")))
    assert reassign_target(away, "ivanova", monday, load) == "smirnova"
    managers = dict(rules.managers) | {"orlov": replace(rules.managers["orlov"], duty=(2, 3))}  # Wed, Thu
    off_duty = replace(rules, managers=managers)
    assert reassign_target(off_duty, "ivanova", monday, load) == "smirnova"
    assert reassign_target(off_duty, "ivanova", noon(date(2026, 1, 14)), load) == "orlov"


# --- [calendar] in rules.toml ------------------------------------------------------------------


def without_calendar() -> str:
    """The demo rules without their own [calendar] section (up to the blank line after it)."""
    text = RULES.read_text(encoding="utf-8")
    start = text.index("[calendar]\n")
    return text[:start] + text[text.index("\n\n", start) + 2 :]


def with_calendar(tmp_path: Path, section: str) -> tuple[Path, str]:
    text = without_calendar() + "\n" + section
    return demo_department(tmp_path, text), text


def test_calendar_section_reaches_the_working_hours(tmp_path: Path) -> None:
    path, _ = with_calendar(tmp_path, (
        "[calendar]\n"
        'extra_days_off = ["2026-01-12", 2026-01-13]\n'
        'extra_work_days = ["10.01.2026"]\n'
        "shortened_days = false\n"
    ))  # fmt: skip
    hours = load_rules(path).department.hours
    assert hours.calendar == WorkCalendar(
        frozenset({date(2026, 1, 12), date(2026, 1, 13)}), frozenset({date(2026, 1, 10)}), shortened_days=False
    )
    assert hours.is_working_day(date(2026, 1, 10)) and not hours.is_working_day(date(2026, 1, 13))


def test_check_names_the_line_of_a_bad_date(tmp_path: Path) -> None:
    path, text = with_calendar(tmp_path, (
        "[calendar]\n"
        "extra_days_off = [\n"
        '    "2026-01-12",\n'
        '    "2026-02-30",\n'
        "    12,\n"
        "]\n"
        'extra_work_days = ["2026-01-12"]\n'
        'shortened_days = "да"\n'
        "holidays = []\n"
    ))  # fmt: skip
    errors, _ = check(path)
    first = len(without_calendar().splitlines()) + 2  # the [calendar] header
    lines = {int(re.search(r"строка (\d+)", e).group(1)): e for e in errors}  # type: ignore[union-attr]
    assert len(errors) == 5, errors
    assert lines[first + 3] == (
        f"rules.toml, строка {first + 3}, [calendar]: «extra_days_off»: нужна дата вида 2025-12-30 "
        "(или «30.12.2025»), а указано «2026-02-30»"
    )
    assert "«extra_days_off»: нужна дата вида 2025-12-30 (или «30.12.2025»); указано число 12" in lines[first + 1]
    assert "дата 12.01.2026 указана и в extra_days_off, и в extra_work_days" in lines[first + 6]
    assert "shortened_days — true" in lines[first + 7] and "указан текст \"да\"" in lines[first + 7]
    assert "неизвестный параметр «holidays»; государственные праздники" in lines[first + 8]
    assert text.splitlines()[first + 2] == '    "2026-02-30",'


def test_a_holidays_section_is_pointed_to_calendar(tmp_path: Path) -> None:
    path, _ = with_calendar(tmp_path, '[holidays]\ndays = ["2026-01-12"]\n')
    (error,) = check(path)[0]
    assert "неизвестный раздел [holidays]; государственные праздники" in error
    assert "[calendar]" in error


def test_a_single_date_instead_of_a_list_and_a_misspelt_key(tmp_path: Path) -> None:
    path, _ = with_calendar(tmp_path, '[calendar]\nextra_days_off = "2025-12-30"\nshortend_days = false\n')
    errors, _ = check(path)
    assert len(errors) == 2, errors
    assert errors[0].endswith(
        '[calendar]: «extra_days_off» — список дат, например extra_days_off = ["2025-12-30", "2026-01-12"]; '
        'указан текст "2025-12-30"'
    )
    assert "неизвестный параметр «shortend_days» (возможно, «shortened_days»)" in errors[1]
