"""The report as the sales head reads it: what report.html.j2 and report.txt.j2 see, and
the full lists behind «…и ещё N» (`inboxbot status --list`). Pure: plain, cleaned,
formatted values from a `Report`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta

from inboxbot.compose.headers import clean
from inboxbot.compose.report_data import Changes, CountLine, ManagerLine, Queue, Report, Triaged, Waiting
from inboxbot.compose.russian import MONTHS, plural, ru_date
from inboxbot.model.worktime import describe_duration

REPORT_TITLE = "Отчёт о распределении заявок"
TRIAGE_SHOWN = 15  # in the mail; the rest are counted
CHANGES_SHOWN = 50
NBSP = "\u00a0"


def period_days(report: Report) -> tuple[date, date]:
    """The first and the last day of the period, in the department's time zone."""
    last = report.until - timedelta(microseconds=1)
    return report.since.astimezone(report.tz).date(), last.astimezone(report.tz).date()


def period_text(first: date, last: date) -> str:
    """«16–22 ноября 2026», «28 октября – 3 ноября 2026», «29 декабря 2026 – 4 января
    2027», «16 ноября 2026» for one day."""
    if first == last:
        return ru_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} – {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"{ru_date(first)} – {ru_date(last)}"


def report_subject(report: Report) -> str:
    return f"{REPORT_TITLE}: {period_text(*period_days(report))}"


def report_view(report: Report, images: Mapping[str, Mapping[str, object]]) -> dict[str, object]:
    """The template context: plain, cleaned, formatted values; `images` maps a chart name
    to {src, alt, width, height, title}."""
    tz = report.tz

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m %H:%M") if moment else ""

    generated = report.generated_at.astimezone(tz)
    totals = {**asdict(report.totals), "requests": report.totals.requests}
    totals["requests_word"] = plural(report.totals.requests, "заявка", "заявки", "заявок")
    response = report.response
    pool = report.pool
    return {
        "title": REPORT_TITLE,
        "department": clean(report.department, 120),
        "period": period_text(*period_days(report)),
        "generated": f"{ru_date(generated.date())}, {generated:%H:%M}",
        "totals": totals,
        "managers": [_manager_view(m, pool.total if pool else 0) for m in report.managers],
        "pool": {"name": clean(pool.name, 60), "method": pool.method, "total": pool.total,
                 "gap": f"{pool.worst_gap:.0f}"} if pool else None,
        "queues": [_queue_view(q) for q in report.queues],
        "rules": _lines(report.rules),
        "regions": _lines(report.regions),
        "other_regions": report.other_regions,
        "districts": _lines(report.districts),
        "response": {"answered": response.answered, "forwarded": response.forwarded, "hours": response.hours,
                     "median": _duration(response.median), "p90": _duration(response.p90),
                     "has_p90": response.p90 is not None},
        "waiting": [_waiting_view(w, when, report.day_length) for w in report.waiting],
        "waiting_total": report.waiting_total,
        "waiting_earlier": report.waiting_earlier,
        "waiting_more": report.waiting_total - len(report.waiting),
        "triaged": [_triaged_view(t, when) for t in report.triaged[:TRIAGE_SHOWN]],
        "triaged_total": len(report.triaged),
        "triaged_more": max(0, len(report.triaged) - TRIAGE_SHOWN),
        "substitutions": [{"absent": clean(s.absent, 60), "backup": clean(s.backup, 60), "count": s.count}
                          for s in report.substitutions],
        "changes": _changes_view(report.changes, when),
        "credits": [{"name": clean(c.name, 60), "received": c.received, "answered": c.answered, "for_others": c.for_others}
                    for c in report.credits],
        "handovers": [{"client": clean(h.client, 200), "owner": clean(h.owner, 60), "since": when(h.since), "how": h.how}
                      for h in report.handovers],
        "disputes": [{"number": d.number, "what": d.what, "client": clean(d.client, 200), "who": clean(d.who, 120),
                      "raised": when(d.raised), "detail": clean(d.detail, 300)} for d in report.disputes],
        "charts": dict(images),
    }


def _manager_view(m: ManagerLine, pool_total: int) -> dict[str, object]:
    # Off the fair share by more than 5 points and by two mails or more: worth a look.
    off = (m.target is not None and m.pool_share is not None and abs(m.pool_share - m.target) > 0.05
           and abs(m.pool - m.target * pool_total) >= 2)
    return {"name": clean(m.name, 60), "total": m.total, "pool": m.pool, "share": _percent(m.pool_share),
            "target": _percent(m.target), "off": off, "answered": m.answered, "waiting": m.waiting,
            "median": _duration(m.median), "p90": _duration(m.p90), "has_p90": m.p90 is not None,
            "weight": clean(m.weight, 60)}


def _queue_view(queue: Queue) -> dict[str, object]:
    q = queue.summary
    return {"name": clean(q.name, 60), "method": q.method, "total": q.total, "gap": f"{q.worst_gap:.0f}",
            "members": [{"name": clean(m.name, 60), "count": m.count, "share": _percent(m.share),
                         "target": _percent(m.target)} for m in queue.members]}


def _waiting_view(w: Waiting, when: Callable[[datetime | None], str], day: timedelta) -> dict[str, object]:
    marks = [f"напоминание {when(w.reminded_at)}"] if w.reminded_at else []
    if w.escalated_at:
        marks.append(f"эскалация {when(w.escalated_at)}" + (f" → {clean(w.escalated_to, 60)}" if w.escalated_to else ""))
    return {"subject": _subject(w.subject), "who": _who_wrote(w.company, w.sender), "owner": clean(w.owner, 60),
            "forwarded": when(w.forwarded_at), "waited": _working_days(w.waited, day), "earlier": w.earlier,
            "marks": "; ".join(marks)}


def _triaged_view(t: Triaged, when: Callable[[datetime | None], str]) -> dict[str, object]:
    return {"subject": _subject(t.subject), "who": _who_wrote("", t.sender), "seen": when(t.seen_at),
            "reason": _capital(clean(t.reason, 300)) or "Причина не записана", "rule": t.rule}


def request_lists(report: Report) -> list[str]:
    """Every request of `report` still waiting for an answer and every mail left to manual
    triage, as text lines: the full lists behind the report's «…и ещё N»
    (`inboxbot status --list`)."""
    tz = report.tz

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%d.%m %H:%M") if moment else ""

    lines = [f"Без ответа сейчас: {report.waiting_total}"]
    for item in (_waiting_view(w, when, report.day_length) for w in report.waiting):
        lines.append(f"  • {item['subject']} — {item['who']}")
        marks = f"; {item['marks']}" if item["marks"] else ""
        lines.append(f"    {item['owner']}, ждёт {item['waited']} (переслано {item['forwarded']}){marks}")
    if report.waiting_total > len(report.waiting):
        lines.append(f"  …и ещё {report.waiting_total - len(report.waiting)}.")
    first, last = period_days(report)
    lines.append("")
    lines.append(f"На ручном разборе ({period_text(first, last)}): {len(report.triaged)}")
    for item in (_triaged_view(t, when) for t in report.triaged):
        lines.append(f"  • {item['subject']} — {item['who']}, {item['seen']}")
        lines.append(f"    {item['reason']}")
    return lines


def _changes_view(changes: Changes | None, when: Callable[[datetime | None], str]) -> dict[str, object]:
    if changes is None:
        return {"state": "off", "note": "не проверялось", "rules_label": "", "checked": 0, "missing": 0,
                "entries": [], "more": 0}
    items = [
        {
            "seen": when(c.seen_at), "who": _who_wrote("", c.sender), "subject": _subject(c.subject),
            "was": _outcome(c.was_owner, c.was_action), "was_rule": c.was_rule,
            "now": _outcome(c.now_owner, c.now_action), "now_rule": c.now_rule,
            "reason": _capital(clean(c.reason, 300)),
        }
        for c in changes.items[:CHANGES_SHOWN]
    ]  # fmt: skip
    return {
        "state": "ok" if changes.available else "unavailable",
        "note": clean(changes.note, 400),
        "rules_label": clean(changes.rules_label, 200),
        "checked": changes.checked,
        "missing": changes.missing,
        "entries": items,  # not "items": a template's changes.items would be dict.items
        "more": len(changes.items) - len(items),
    }


def _outcome(owner: str, action: str) -> str:
    if action == "skip":
        return "не пересылать (не заявка)"
    if not owner:
        return "ручной разбор"
    return clean(owner, 60) + (" (только пометка)" if action == "tag" else "")


def _lines(lines: Sequence[CountLine]) -> list[dict[str, object]]:
    return [{"key": clean(line.key, 60), "label": clean(line.label, 120), "count": line.count,
             "share": _percent(line.share)} for line in lines]  # fmt: skip


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}{NBSP}%"


def _duration(value: timedelta | None) -> str:
    return describe_duration(value).replace(" ", NBSP) if value is not None else "—"


def _working_days(value: timedelta, day: timedelta) -> str:
    """«2 раб. дня 3 ч» for a wait longer than a working day (`day` long): «44 ч» of
    working time is hard to picture; under a day, as describe_duration says it."""
    if day <= timedelta(0) or value < day:
        return _duration(value)
    days, rest = divmod(value, day)
    words = f"{days}{NBSP}раб.{NBSP}{plural(days, 'день', 'дня', 'дней')}"
    return words + (f" {_duration(rest)}" if rest >= timedelta(minutes=1) else "")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _subject(subject: str) -> str:
    return clean(subject, 140) or "(без темы)"


def _who_wrote(company: str, sender: str) -> str:
    company, sender = clean(company, 120), clean(sender, 120)
    return f"{company}, {sender}" if company and sender else company or sender or "отправитель неизвестен"
