"""Shares: the report's figures and charts, live, for any period — per manager (the pool's
share beside its fair target), rule, region and district. The same aggregation as the
report mail (compose/report.py), the same charts (compose/charts.py), the same values
(compose/report_view.py); only the frame is the page's.

Everyone logged in sees the same totals: shares are the department's agreement, and
seeing them is what stops the quarrels. What would name clients (the waiting list, the
mail on manual triage) is left out: those stay behind the requests pages' own access.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute

from inboxbot.compose.charts import render_charts
from inboxbot.compose.report import build_report, day_bounds
from inboxbot.compose.report_view import period_text, report_view
from inboxbot.rules.model import Rules
from inboxbot.store.interfaces import Store
from inboxbot.web.pages import NavItem, Visit, WebContext, page

NAV = (NavItem("/shares", "Доли"),)
LONGEST = 366  # days in one period: a year's journal is read at most
PRESETS = (("week", "7 дней"), ("month", "Этот месяц"), ("last_month", "Прошлый месяц"))


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [page(ctx, "/shares", shares)]


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date
    preset: str  # a key of PRESETS, "" for days typed in
    error: str = ""


def preset_days(preset: str, today: date) -> tuple[date, date]:
    if preset == "month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today - timedelta(days=6), today


def asked_period(preset: str, since: str, until: str, today: date) -> Period:
    """The period from the query: days typed in (`since`..`until`, both included) win over
    a preset; bad days fall back to the last 7 days with the reason."""
    if not since and not until:
        key = preset if preset in dict(PRESETS) else "week"
        return Period(*preset_days(key, today), key)
    try:
        first = date.fromisoformat(since) if since else today - timedelta(days=6)
        last = date.fromisoformat(until) if until else today
    except ValueError:
        return Period(*preset_days("week", today), "week", "Дата не распознана: нужен день вида 2026-12-03.")
    if first > last:
        return Period(*preset_days("week", today), "week", "Начало периода позже его конца.")
    if (last - first).days >= LONGEST:
        return Period(last - timedelta(days=LONGEST - 1), last, "", f"Период — не длиннее {LONGEST} дней; показан последний год.")
    return Period(first, last, "")


def figures(store: Store, rules: Rules, period: Period, now: datetime) -> dict[str, object]:
    """The report of `period` as the page shows it: report_view's values, charts as data: URIs."""
    since, until = day_bounds(rules, period.first, period.last)
    rows = store.queries.requests(since, until)
    report = build_report(rows, store.requests.awaiting_answer(), rules, since, until, now=now)
    images = {
        c.name: {"src": "data:image/png;base64," + base64.b64encode(c.png).decode("ascii"), "alt": c.alt,
                 "width": c.width, "height": c.height, "title": c.title}
        for c in render_charts(report)
    }  # fmt: skip
    return report_view(report, images)


async def shares(visit: Visit) -> Response:
    query = visit.request.query_params
    now = visit.ctx.clock()
    today = now.astimezone(visit.rules.department.timezone).date()
    period = asked_period(query.get("preset", ""), query.get("since", "").strip()[:20],
                          query.get("until", "").strip()[:20], today)  # fmt: skip
    # matplotlib draws for a while; the other pages keep answering meanwhile.
    shown = await run_in_threadpool(figures, visit.ctx.store, visit.rules, period, now)
    return visit.render("shares.html", period=period, presets=PRESETS, report=shown,
                        period_words=period_text(period.first, period.last))  # fmt: skip
