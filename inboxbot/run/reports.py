"""The distribution report, mailed when its period is due (schedule.report_period)."""

from __future__ import annotations

import logging
from datetime import datetime

from inboxbot.compose.report import build_report
from inboxbot.compose.report_mail import compose_report, report_recipients
from inboxbot.run.conflicts import sweep_base
from inboxbot.run.context import RunContext
from inboxbot.run.outbox import Sender
from inboxbot.run.pollreport import PollReport
from inboxbot.run.schedule import report_period

log = logging.getLogger(__name__)

# Journal meta key: the end of the last report period sent.
REPORT_UNTIL = "report_until"


class Reports:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock

    def send_due(self, smtp: Sender, report: PollReport) -> None:
        """The distribution report, when its period is due. The first time the worker
        sees a schedule it only notes the current period as done: a new installation does
        not mail a report about the weeks before it existed."""
        schedule = self.ctx.rules.report
        if schedule is None:
            return
        now = self.clock()
        hours = self.ctx.rules.department.hours
        stored = self.store.meta.get(REPORT_UNTIL)
        period = report_period(schedule, hours, now, datetime.fromisoformat(stored) if stored else None)
        if period is None:
            return
        if stored is None:
            self.store.meta.set(REPORT_UNTIL, period.until.isoformat())
            return
        recipients = report_recipients(self.ctx.rules)
        if not recipients:
            return
        sweep_base(self.store, self.ctx.rules, now)  # the base and the ledger as they are now
        data = build_report(self.store.queries.requests(period.since, period.until), self.store.requests.awaiting_answer(),
                            self.ctx.rules, period.since, period.until, now=now,
                            conflicts=self.store.conflicts.listing(), ledger=self.store.ledger.entries(),
                            credited={c.message_id for c in self.store.credits.credits(period.since)})  # fmt: skip
        mail = compose_report(data, self.ctx.forward_context(recipients[0]), recipients, self.ctx.templates, now=now)
        smtp.send(mail, [m.email for m in recipients])
        self.store.meta.set(REPORT_UNTIL, period.until.isoformat())
        report.reports += 1
        log.debug("отчёт за %s–%s отправлен: %s", period.since.date(), period.until.date(), ", ".join(m.id for m in recipients))
