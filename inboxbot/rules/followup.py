"""What follows a forwarded request: [acknowledge] to the client, [followup] reminders
and escalations, the [report] schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from inboxbot.model.worktime import WorkingHours, parse_clock, parse_duration
from inboxbot.rules.model import ESCALATIONS, REPORT_PERIODS, Acknowledge, Department, FollowUp, ReportSchedule
from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import UNKNOWN_DAY, address, weekday


def _sender(read: Section, value: str) -> str:
    if read.given("from"):
        return value
    # Not written: the department's first shared address, which must then exist.
    department: Department | None = read.env
    shared = department.shared_addresses if department else ()
    sender = address(shared[0]) if shared else None
    if sender is None:
        read.invalid("from", None)
    return sender or ""


@dataclass(frozen=True, slots=True)
class AcknowledgeSection:
    """[acknowledge] as rules.toml writes it."""

    enabled: bool = setting(True, "bool", what="true (отвечать клиентам) или false")
    sender: str = setting(
        "", "text", key="from", show=False, parse=address, check=_sender,
        what="адрес, от имени которого клиент получит подтверждение (обычно общий ящик), например from = \"sales@company.ru\"",
    )  # fmt: skip


def read_acknowledge(ctx: Reader, department: Department | None) -> Acknowledge | None:
    where = "[acknowledge]"
    table = section_table(ctx, "acknowledge", where)
    if table is None:
        return None
    s, _ = read_section(ctx, AcknowledgeSection, table, ("acknowledge",), where, department)
    assert s is not None  # no key of [acknowledge] stops the reading
    return Acknowledge(s.enabled, s.sender)


def _duration(read: Section, key: str, value: str | None) -> timedelta | None:
    if value is None:  # missing or not text: reported already
        return None
    hours: WorkingHours = read.env
    amount = parse_duration(value, hours.day_length)
    if amount is None or amount <= timedelta(0):
        read.invalid(key, value)
        return None
    return amount


def _remind_after(read: Section, value: str | None) -> timedelta | None:
    return _duration(read, "remind_after", value)


def _escalate_after(read: Section, value: str | None) -> timedelta | None:
    remind, escalate_after = read.values["remind_after"], _duration(read, "escalate_after", value)
    if remind is not None and escalate_after is not None and escalate_after <= remind:
        read.error(read.line("escalate_after"), "escalate_after должен быть больше remind_after")
    return escalate_after


_WORKING_TIME = "рабочее время в кавычках: \"4h\" (часы), \"90m\" (минуты), \"1d\" (рабочие дни)"


@dataclass(frozen=True, slots=True)
class FollowUpSection:
    """[followup] as rules.toml writes it."""

    remind_after: timedelta | None = setting(
        None, "text", what=_WORKING_TIME, required="нужен параметр remind_after, например remind_after = \"4h\"",
        check=_remind_after,
    )  # fmt: skip
    escalate_after: timedelta | None = setting(None, "text", what=_WORKING_TIME, check=_escalate_after)
    escalate: str = setting(
        "head", "choice", choices=ESCALATIONS,
        explain=" (head — написать руководителю, reassign — передать заявку другому менеджеру)",
    )  # fmt: skip
    reassign_to: str = setting("pool", "manager", choices=("pool",), label="reassign_to")


def read_followup(ctx: Reader, hours: WorkingHours) -> FollowUp | None:
    where = "[followup]"
    table = section_table(ctx, "followup", where)
    if table is None:
        return None
    s, _ = read_section(ctx, FollowUpSection, table, ("followup",), where, hours)
    assert s is not None  # no key of [followup] stops the reading
    if s.remind_after is None:
        return None
    return FollowUp(s.remind_after, s.escalate_after, s.escalate, s.reassign_to)


def _weekday(read: Section, value: str) -> int:
    number = weekday(value)
    if number is None:
        read.error(read.line("weekday"), UNKNOWN_DAY.format(value), "weekday")
    return number or 0


def _recipients(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    head: str | None = read.env
    ctx = read.ctx
    recipients = value if read.given("to") else ((head,) if head else ())
    for unknown in (r for r in recipients if r not in ctx.manager_ids):
        ctx.manager_ref(unknown, (*read.path, "to"), read.where, "to")
    return tuple(r for r in recipients if r in ctx.manager_ids)


@dataclass(frozen=True, slots=True)
class ReportSection:
    """[report] as rules.toml writes it."""

    every: str = setting("week", "choice", choices=REPORT_PERIODS)
    at: time = setting(time(9), "text", what="время отправки отчёта в кавычках, например at = \"09:00\"", parse=parse_clock)
    weekday: int = setting("пн", "text", what="день недели в кавычках, например weekday = \"пн\"", check=_weekday)
    to: tuple[str, ...] = setting((), "str_list", check=_recipients)
    skipped_digest: bool = setting(False, "bool", what="true или false (без кавычек): список пропущенных писем руководителю раз в рабочий день")


def read_report(ctx: Reader, head: str | None) -> ReportSchedule | None:
    where = "[report]"
    table = section_table(ctx, "report", where)
    if table is None:
        return None
    s, read = read_section(ctx, ReportSection, table, ("report",), where, head)
    assert s is not None  # no key of [report] stops the reading
    if "every" in read.bad or s.every == "off":
        return None
    return ReportSchedule(s.every, s.at, s.weekday, s.to, s.skipped_digest)
