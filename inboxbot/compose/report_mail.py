"""The report as the sales head reads it: an HTML mail with its charts inline, or one
self-contained HTML file. Pure (the clock is read only when no `now` is passed).

    multipart/alternative
    ├── text/plain          report.txt.j2
    └── multipart/related
        ├── text/html       report.html.j2, images as cid:…
        └── image/png …     one part per chart, Content-ID named in the HTML

The file written by `inboxbot report --out` is the same template with the images as
data: URIs, so it opens anywhere without the mail around it. Headers are written with
act.py's helpers (no CR/LF or control characters from the journal can reach them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal

from inboxbot.compose.act import (
    _DOMAIN_RE,
    _MONTHS,
    POLICY,
    ForwardContext,
    Recipient,
    Templates,
    _bot_name,
    _clean,
    _put_address,
    _put_ascii,
    _put_text,
    ru_date,
)
from inboxbot.compose.report import Changes, CountLine, ManagerLine, Report, Triaged, Waiting
from inboxbot.mail.message import Address
from inboxbot.model.worktime import describe_duration
from inboxbot.rules.rules import Rules

if TYPE_CHECKING:  # matplotlib is loaded when a chart is drawn, not by `inboxbot check`
    from inboxbot.compose.charts import Chart

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
        return f"{first.day}–{last.day} {_MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {_MONTHS[first.month - 1]} – {last.day} {_MONTHS[last.month - 1]} {last.year}"
    return f"{ru_date(first)} – {ru_date(last)}"


def report_subject(report: Report) -> str:
    return f"{REPORT_TITLE}: {period_text(*period_days(report))}"


# -- what the templates see -----------------------------------------------------------------


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
        "department": _clean(report.department, 120),
        "period": period_text(*period_days(report)),
        "generated": f"{ru_date(generated.date())}, {generated:%H:%M}",
        "totals": totals,
        "managers": [_manager_view(m, pool.total if pool else 0) for m in report.managers],
        "pool": {"name": _clean(pool.name, 60), "method": pool.method, "total": pool.total,
                 "gap": f"{pool.worst_gap:.0f}"} if pool else None,
        "rules": _lines(report.rules),
        "regions": _lines(report.regions),
        "other_regions": report.other_regions,
        "districts": _lines(report.districts),
        "response": {"answered": response.answered, "forwarded": response.forwarded, "hours": response.hours,
                     "median": _duration(response.median), "p90": _duration(response.p90)},
        "waiting": [_waiting_view(w, when, report.day_length) for w in report.waiting],
        "waiting_total": report.waiting_total,
        "waiting_earlier": report.waiting_earlier,
        "waiting_more": report.waiting_total - len(report.waiting),
        "triaged": [_triaged_view(t, when) for t in report.triaged[:TRIAGE_SHOWN]],
        "triaged_total": len(report.triaged),
        "triaged_more": max(0, len(report.triaged) - TRIAGE_SHOWN),
        "substitutions": [{"absent": _clean(s.absent, 60), "backup": _clean(s.backup, 60), "count": s.count}
                          for s in report.substitutions],
        "changes": _changes_view(report.changes, when),
        "charts": dict(images),
    }


def _manager_view(m: ManagerLine, pool_total: int) -> dict[str, object]:
    # Off the fair share by more than 5 points and by two mails or more: worth a look.
    off = (m.target is not None and m.pool_share is not None and abs(m.pool_share - m.target) > 0.05
           and abs(m.pool - m.target * pool_total) >= 2)
    return {"name": _clean(m.name, 60), "total": m.total, "pool": m.pool, "share": _percent(m.pool_share),
            "target": _percent(m.target), "off": off, "answered": m.answered, "waiting": m.waiting,
            "median": _duration(m.median), "p90": _duration(m.p90)}


def _waiting_view(w: Waiting, when: Callable[[datetime | None], str], day: timedelta) -> dict[str, object]:
    marks = [f"напоминание {when(w.reminded_at)}"] if w.reminded_at else []
    if w.escalated_at:
        marks.append(f"эскалация {when(w.escalated_at)}" + (f" → {_clean(w.escalated_to, 60)}" if w.escalated_to else ""))
    return {"subject": _subject(w.subject), "who": _who_wrote(w.company, w.sender), "owner": _clean(w.owner, 60),
            "forwarded": when(w.forwarded_at), "waited": _working_days(w.waited, day), "earlier": w.earlier,
            "marks": "; ".join(marks)}


def _triaged_view(t: Triaged, when: Callable[[datetime | None], str]) -> dict[str, object]:
    return {"subject": _subject(t.subject), "who": _who_wrote("", t.sender), "seen": when(t.seen_at),
            "reason": _capital(_clean(t.reason, 300)) or "Причина не записана", "rule": t.rule}


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
            "reason": _capital(_clean(c.reason, 300)),
        }
        for c in changes.items[:CHANGES_SHOWN]
    ]  # fmt: skip
    return {
        "state": "ok" if changes.available else "unavailable",
        "note": _clean(changes.note, 400),
        "rules_label": _clean(changes.rules_label, 200),
        "checked": changes.checked,
        "missing": changes.missing,
        "entries": items,  # not "items": a template's changes.items would be dict.items
        "more": len(changes.items) - len(items),
    }


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian form for `count`: 1 заявка, 3 заявки, 5 заявок, 21 заявка, 11 заявок."""
    if count % 10 == 1 and count % 100 != 11:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


def _outcome(owner: str, action: str) -> str:
    if action == "skip":
        return "не пересылать (не заявка)"
    if not owner:
        return "ручной разбор"
    return _clean(owner, 60) + (" (только пометка)" if action == "tag" else "")


def _lines(lines: Sequence[CountLine]) -> list[dict[str, object]]:
    return [{"key": _clean(line.key, 60), "label": _clean(line.label, 120), "count": line.count,
             "share": _percent(line.share)} for line in lines]  # fmt: skip


def _pool_total(report: Report) -> int:
    return report.pool.total if report.pool else 0


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
    return _clean(subject, 140) or "(без темы)"


def _who_wrote(company: str, sender: str) -> str:
    company, sender = _clean(company, 120), _clean(sender, 120)
    return f"{company}, {sender}" if company and sender else company or sender or "отправитель неизвестен"


# -- HTML file and mail -------------------------------------------------------------------------


def _image(chart: Chart, src: str) -> dict[str, object]:
    return {"src": src, "alt": chart.alt, "width": chart.width, "height": chart.height, "title": chart.title}


def render_report_html(
    report: Report,
    templates: Templates,
    inline: Literal["data", "cid"] = "data",
    *,
    charts: Sequence[Chart] | None = None,
    cids: Mapping[str, str] | None = None,
) -> str:
    """The report as HTML. inline="data": the charts embedded as data: URIs (a file that
    opens on its own); inline="cid": referenced as cid:<Content-ID> from `cids`."""
    if charts is None:
        from inboxbot.compose.charts import render_charts

        charts = render_charts(report)
    images: dict[str, dict[str, object]] = {}
    for chart in charts:
        if inline == "data":
            src = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
        else:
            assert cids is not None, "inline='cid' needs the Content-IDs"
            src = f"cid:{cids[chart.name]}"
        images[chart.name] = _image(chart, src)
    return templates.render("report.html.j2", **report_view(report, images))


def check_templates(templates: Templates, rules: Rules) -> None:
    """Render report.html.j2 and report.txt.j2 for an empty week: for start-up, so a
    broken override in the templates folder fails then and not at report time. Raises
    TemplateError (act.Templates.check covers the forward and notice templates)."""
    from inboxbot.compose.report import build_report
    from inboxbot.store.journal import Journal

    moment = datetime(2025, 6, 16, tzinfo=UTC)
    with Journal() as journal:
        sample = build_report(journal, rules, moment - timedelta(days=7), moment, now=moment)
    render_report_html(sample, templates, "data", charts=())
    templates.render("report.txt.j2", **report_view(sample, {}))


def load_templates(rules: Rules) -> Templates:
    """The templates of `rules` (built-in, or overridden by [department] templates), each
    rendered once with sample values: a broken override fails here, at start-up, on a
    rules reload or in `inboxbot check`, not in the middle of a poll. Raises
    TemplateError (a RulesError)."""
    templates = Templates(rules.templates_dir)
    templates.check()
    check_templates(templates, rules)
    return templates


def report_recipients(rules: Rules) -> list[Recipient]:
    """Who gets the report: [report] to, else the department head."""
    ids = rules.report.to if rules.report and rules.report.to else (rules.department.head,)
    return [Recipient.of(m) for m in (rules.managers.get(i) for i in ids) if m is not None]


def report_context(rules: Rules, bot_address: str, recipients: Sequence[Recipient]) -> ForwardContext:
    """The sender side of the report mail, as the worker builds it for forwards."""
    dept = rules.department
    return ForwardContext(dept.name, Address(dept.name, bot_address or dept.bot_address), dept.loop_headers, recipients[0])


def report_message_id(report: Report, recipients: Sequence[Recipient], domain: str) -> str:
    """The same for the same period sent to the same people: a resend collapses."""
    first, last = period_days(report)
    seed = "\0".join([report.department, *sorted(r.email.lower() for r in recipients)])
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"<report.{first:%Y%m%d}-{last:%Y%m%d}.{digest}@{_domain(domain)}>"


def compose_report(
    report: Report,
    ctx: ForwardContext,
    recipients: Sequence[Recipient],
    templates: Templates,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """The report mail from the bot (`ctx.bot_address`) to `recipients`. `ctx.owner` is
    not used. Raises TemplateError when a template cannot be rendered, ValueError for a
    recipient whose address is not a plain e-mail address."""
    if not recipients:
        raise ValueError("a report needs at least one recipient")
    from inboxbot.compose.charts import render_charts

    first, last = period_days(report)
    domain = _domain(ctx.bot_address.domain)
    charts = render_charts(report)
    cids = {c.name: f"{c.name}.{first:%Y%m%d}-{last:%Y%m%d}@{domain}" for c in charts}
    html = render_report_html(report, templates, "cid", charts=charts, cids=cids)
    text = templates.render("report.txt.j2", **report_view(report, {}))

    out = EmailMessage(policy=POLICY)
    _put_address(out, "From", ctx.bot_address.email, _bot_name(ctx))
    _put_recipients(out, "To", recipients)
    _put_text(out, "Subject", report_subject(report))
    _put_ascii(out, "Date", format_datetime((now or datetime.now(UTC)).astimezone(report.tz)))
    _put_ascii(out, "Message-ID", report_message_id(report, recipients, domain))
    _put_ascii(out, ctx.loop_header, f"report; period={first:%Y-%m-%d}..{last:%Y-%m-%d}")
    # Nobody's out-of-office responder should answer a report (RFC 3834).
    _put_ascii(out, "Auto-Submitted", "auto-generated")
    _put_ascii(out, "MIME-Version", "1.0")
    out.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    out.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    _, html_part = out.iter_parts()
    for chart in charts:
        html_part.add_related(chart.png, maintype="image", subtype="png", cid=f"<{cids[chart.name]}>",
                              disposition="inline", filename=f"{chart.name}.png")  # fmt: skip
    return out


def _put_recipients(msg: EmailMessage, name: str, recipients: Sequence[Recipient]) -> None:
    """Several mailboxes in one header, each written by act.py's _put_address."""
    values: list[str] = []
    for person in recipients:
        scratch = EmailMessage(policy=POLICY)
        _put_address(scratch, name, person.email, person.name)
        values.extend(str(value) for _, value in scratch.raw_items())
    msg.set_raw(name, ",\n ".join(values))


def _domain(domain: str) -> str:
    domain = domain.strip().lower()
    return domain if _DOMAIN_RE.fullmatch(domain) else "inboxbot.invalid"
