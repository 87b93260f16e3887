"""What is due now: reminders and escalations of unanswered requests, the next report.

Pure functions over journal rows, the rules and a clock the caller passes; the worker
does the sending (followups.py, reports.py) and journals each step after it happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from inboxbot.model.records import RequestRow
from inboxbot.model.worktime import WorkingHours
from inboxbot.rules.model import FollowUp, ReportSchedule, Rules

REMIND, ESCALATE = "remind", "escalate"
FORWARDING_ACTIONS = ("forward", "forward_and_tag")


@dataclass(frozen=True, slots=True)
class Due:
    """One follow-up step to take now for `request`, after `waited` of working time."""

    request: RequestRow
    kind: str  # REMIND | ESCALATE
    waited: timedelta


def due_followups(
    rows: Iterable[RequestRow], policy: FollowUp, hours: WorkingHours, now: datetime, *, since: datetime | None = None
) -> list[Due]:
    """The reminders and escalations due at `now` for forwarded, unanswered requests.

    Nothing is due outside working hours: a reminder at 03:00 on Sunday helps nobody, and
    the clock of a request does not run then anyway. Each step happens once (the journal
    keeps `reminded_at` / `escalated_at`); a request handed to another manager waits for
    its new owner's reminder, but is not escalated twice. Requests forwarded before
    `since` (when follow-ups were switched on) are left alone, so enabling the feature
    does not flood the head with the whole history."""
    if not hours.is_open(now):
        return []
    due: list[Due] = []
    for row in rows:
        if row.answered_at is not None or row.forwarded_at is None or row.action not in FORWARDING_ACTIONS:
            continue
        if since is not None and row.forwarded_at < since:
            continue
        waited = hours.elapsed(row.forwarded_at, now)
        if policy.escalate_after is not None and row.escalated_at is None and waited >= policy.escalate_after:
            due.append(Due(row, ESCALATE, waited))
        elif row.reminded_at is None and waited >= policy.remind_after:
            due.append(Due(row, REMIND, waited))
    return due


def reassign_target(
    rules: Rules, current: str, now: datetime, load: Mapping[str, int], *, pool: str | None = None
) -> str | None:
    """Who takes over a request `current` left unanswered at `now`: the configured
    manager, or the least loaded member of the request's own queue (`pool`, the queue it
    came through; the first queue when it came by another rule) who is there at `now`
    (ties: queue order). None when nobody else can take it — the caller then tells the
    head instead. A public holiday or a day off of the production calendar is nobody's
    working day; an absence at `now` or a member's duty days rule out one person — a
    manager away in the morning and back by now is not."""
    policy = rules.followup
    day = now.astimezone(rules.department.timezone).date()
    if policy is None or not rules.department.hours.is_working_day(day):
        return None
    if policy.reassign_to != "pool":
        target = policy.reassign_to
        return target if target != current and rules.absence_at(target, now) is None else None
    queue = rules.pools.get(pool) if pool else None
    queue = queue or rules.pool
    members = queue.members if queue else ()
    candidates = [m for m in members if m != current and m in rules.managers and _on_duty(rules, m, now, day)]
    if not candidates:
        return None
    return min(candidates, key=lambda m: (load.get(m, 0), members.index(m)))


def _on_duty(rules: Rules, member: str, now: datetime, day: date) -> bool:
    duty = rules.managers[member].duty
    return rules.absence_at(member, now) is None and (not duty or day.weekday() in duty)


@dataclass(frozen=True, slots=True)
class Period:
    since: datetime  # inclusive
    until: datetime  # exclusive


# How far the schedule looks for a working day: longer than any run of days off (the New
# Year holidays are ten days, a company may add its own); beyond it nothing is due.
SEARCH_DAYS = 60


def report_period(schedule: ReportSchedule, hours: WorkingHours, now: datetime, last_until: datetime | None) -> Period | None:
    """The period whose report is due at `now`, or None, in the department's time zone.

    A daily report goes out on working days of the production calendar and covers the
    days since the previous working day (Monday's covers Friday to Sunday, the one of
    11.01 the New Year holidays). A weekly one covers the seven days before its weekday
    and goes out on that weekday, or on the next working day when the weekday is a day
    off; when the holidays push two weeks onto one day, that report covers both. Each
    period is reported once (`last_until` is the end of the last one sent). A worker
    that was down at the sending time sends the latest missed period when it comes
    back, not every missed one."""
    local = now.astimezone(hours.tz)
    period = _weekly(schedule, hours, local) if schedule.every == "week" else _daily(schedule, hours, local)
    if period is None or (last_until is not None and period.until <= last_until):
        return None
    return period


def _daily(schedule: ReportSchedule, hours: WorkingHours, local: datetime) -> Period | None:
    send_day = _working_day_back(hours, local.date())
    if send_day is not None and local < datetime.combine(send_day, schedule.at, tzinfo=hours.tz):
        send_day = _working_day_back(hours, send_day - timedelta(days=1))
    if send_day is None:
        return None
    previous = _working_day_back(hours, send_day - timedelta(days=1))
    if previous is None:
        return None
    return Period(_midnight(previous, hours), _midnight(send_day, hours))


def _weekly(schedule: ReportSchedule, hours: WorkingHours, local: datetime) -> Period | None:
    today = local.date()
    nominal = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
    # The latest week whose (possibly postponed) sending moment has come.
    for _ in range(SEARCH_DAYS // 7 + 1):
        send_day = _working_day_forward(hours, nominal)
        if send_day is not None and datetime.combine(send_day, schedule.at, tzinfo=hours.tz) <= local:
            break
        nominal -= timedelta(days=7)
    else:
        return None
    since = nominal - timedelta(days=7)
    while since > nominal - timedelta(days=SEARCH_DAYS) and _working_day_forward(hours, since) == send_day:
        since -= timedelta(days=7)  # that week's report was postponed onto this day too
    return Period(_midnight(since, hours), _midnight(nominal, hours))


def _working_day_back(hours: WorkingHours, day: date) -> date | None:
    """The latest working day not after `day`."""
    for back in range(SEARCH_DAYS):
        candidate = day - timedelta(days=back)
        if hours.is_working_day(candidate):
            return candidate
    return None


def _working_day_forward(hours: WorkingHours, day: date) -> date | None:
    """The first working day not before `day`."""
    for ahead in range(SEARCH_DAYS):
        candidate = day + timedelta(days=ahead)
        if hours.is_working_day(candidate):
            return candidate
    return None


def _midnight(day: date, hours: WorkingHours) -> datetime:
    return datetime.combine(day, time(0), tzinfo=hours.tz).astimezone(UTC)
