"""What follows a forwarded request: [acknowledge] to the client, [followup] reminders
and escalations, the [report] schedule."""

from __future__ import annotations

from datetime import time, timedelta

from inboxbot.model.worktime import WorkingHours, parse_clock, parse_duration
from inboxbot.rules.forms import fold
from inboxbot.rules.model import (
    ESCALATIONS,
    REPORT_PERIODS,
    WEEKDAYS,
    Acknowledge,
    Department,
    FollowUp,
    ReportSchedule,
)
from inboxbot.rules.problems import shown
from inboxbot.rules.reader import EMAIL_RE, Reader, section_table

_ACKNOWLEDGE_KEYS = ("enabled", "from")
_FOLLOWUP_KEYS = ("remind_after", "escalate_after", "escalate", "reassign_to")
_REPORT_KEYS = ("every", "at", "weekday", "to", "skipped_digest")

def read_acknowledge(ctx: Reader, department: Department | None) -> Acknowledge | None:
    where, path = "[acknowledge]", ("acknowledge",)
    table = section_table(ctx, "acknowledge", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _ACKNOWLEDGE_KEYS, path, where)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        ctx.p.error(ctx.pos.line(*path, "enabled"), where, f"enabled — true (отвечать клиентам) или false; {shown(enabled)}")
        enabled = False
    shared = department.shared_addresses if department else ()
    sender = table.get("from", shared[0] if shared else "")
    if not isinstance(sender, str) or not EMAIL_RE.fullmatch(sender.strip()):
        ctx.p.error(
            ctx.pos.line(*path, "from") if "from" in table else ctx.pos.line(*path), where,
            "from — адрес, от имени которого клиент получит подтверждение (обычно общий ящик), "
            "например from = \"sales@company.ru\"",
        )  # fmt: skip
        sender = ""
    return Acknowledge(enabled, sender.strip().lower())


def read_followup(ctx: Reader, hours: WorkingHours) -> FollowUp | None:
    where, path = "[followup]", ("followup",)
    table = section_table(ctx, "followup", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _FOLLOWUP_KEYS, path, where)

    def duration(key: str, required: bool) -> timedelta | None:
        if key not in table:
            if required:
                ctx.p.error(ctx.pos.line(*path), where, f"нужен параметр {key}, например {key} = \"4h\"")
            return None
        value = table[key]
        amount = parse_duration(value, hours.day_length) if isinstance(value, str) else None
        if amount is None or amount <= timedelta(0):
            ctx.p.error(
                ctx.pos.line(*path, key), where,
                f"{key} — рабочее время в кавычках: \"4h\" (часы), \"90m\" (минуты), \"1d\" (рабочие дни); {shown(value)}",
            )  # fmt: skip
            return None
        return amount

    remind = duration("remind_after", True)
    escalate_after = duration("escalate_after", False)
    if remind is not None and escalate_after is not None and escalate_after <= remind:
        ctx.p.error(ctx.pos.line(*path, "escalate_after"), where, "escalate_after должен быть больше remind_after")
    escalate = ctx.choice(
        table, "escalate", ESCALATIONS, path, where, "head",
        explain=" (head — написать руководителю, reassign — передать заявку другому менеджеру)",
    )  # fmt: skip
    reassign_to = table.get("reassign_to", "pool")
    if reassign_to != "pool" and not ctx.manager_ref(reassign_to, (*path, "reassign_to"), where, "reassign_to"):
        reassign_to = "pool"
    if remind is None:
        return None
    return FollowUp(remind, escalate_after, escalate or "head", str(reassign_to))


def read_report(ctx: Reader, head: str | None) -> ReportSchedule | None:
    where, path = "[report]", ("report",)
    table = section_table(ctx, "report", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _REPORT_KEYS, path, where)
    every = ctx.choice(table, "every", REPORT_PERIODS, path, where, "week")
    at_text = table.get("at", "09:00")
    at = parse_clock(at_text) if isinstance(at_text, str) else None
    if at is None:
        ctx.p.error(
            ctx.pos.line(*path, "at"), where, f"at — время отправки отчёта в кавычках, например at = \"09:00\"; {shown(at_text)}"
        )
        at = time(9)
    weekday_text = table.get("weekday", "пн")
    weekday = WEEKDAYS.get(fold(weekday_text)) if isinstance(weekday_text, str) else None
    if not isinstance(weekday_text, str):
        ctx.p.error(
            ctx.pos.line(*path, "weekday"), where,
            f"weekday — день недели в кавычках, например weekday = \"пн\"; {shown(weekday_text)}",
        )  # fmt: skip
    elif weekday is None:
        ctx.p.error(
            ctx.pos.line(*path, "weekday"), where, f"неизвестный день «{weekday_text}». Допустимые: пн, вт, ср, чт, пт, сб, вс"
        )
    weekday = weekday or 0
    recipients = ctx.str_list(table, "to", path, where) if "to" in table else ((head,) if head else ())
    good = tuple(r for r in recipients if r in ctx.manager_ids)
    for bad in (r for r in recipients if r not in ctx.manager_ids):
        ctx.manager_ref(bad, (*path, "to"), where, "to")
    digest = table.get("skipped_digest", False)
    if not isinstance(digest, bool):
        ctx.p.error(ctx.pos.line(*path, "skipped_digest"), where,
                    f"skipped_digest — true или false (без кавычек); {shown(digest)}")  # fmt: skip
    if every is None or every == "off":
        return None
    return ReportSchedule(every, at, weekday, good, digest is True)


