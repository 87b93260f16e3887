"""The head's daily digest of skipped mail (compose/skipped_digest.py), sent once per
working day at the report's time ([report] at, skipped_digest = true).

Like the report, the first run only notes the moment: a new installation does not list
the mail of the weeks before it existed. Each digest lists what was skipped since the
last one; nothing is sent when nothing was. The listing (numbers → mail) is journalled
before the mail goes, so the head's reply always finds it; a resend after a failure
has the same Message-ID and the same numbers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from inboxbot.compose.ids import bare_id
from inboxbot.compose.report_mail import report_recipients
from inboxbot.compose.skipped_digest import Listed, compose_digest
from inboxbot.model.worktime import WorkingHours
from inboxbot.run.context import RunContext
from inboxbot.run.outbox import Sender
from inboxbot.run.pollreport import PollReport
from inboxbot.run.schedule import SEARCH_DAYS

log = logging.getLogger(__name__)

# Journal meta key: the sending moment of the last digest (the end of the period it listed).
DIGEST_UNTIL = "skipped_digest_until"


def digest_due(at: time, hours: WorkingHours, now: datetime, last: datetime | None) -> datetime | None:
    """The sending moment due at `now`: `at` on the latest working day (of the production
    calendar: none on a public holiday) that has reached it, when that is later than `last` (the last digest's); else None."""
    local = now.astimezone(hours.tz)
    for back in range(SEARCH_DAYS):
        day = local.date() - timedelta(days=back)
        moment = datetime.combine(day, at, tzinfo=hours.tz)
        if hours.is_working_day(day) and moment <= local:
            if last is not None and moment <= last:
                return None
            return moment.astimezone(UTC)
    return None  # no working day in sight: never due


class SkippedDigest:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def send_due(self, smtp: Sender, report: PollReport) -> None:
        """The digest, when one is due and something was skipped since the last one."""
        rules = self.ctx.rules
        if rules.report is None or not rules.report.skipped_digest:
            return
        now = self.ctx.clock()
        stored = self.store.meta.get(DIGEST_UNTIL)
        last = datetime.fromisoformat(stored) if stored else None
        until = digest_due(rules.report.at, rules.department.hours, now, last)
        if until is None:
            return
        if last is None:
            self.store.meta.set(DIGEST_UNTIL, until.isoformat())
            return
        rows = self.store.releases.skipped(last, until)
        # A mail the head released already (the web page's «Переслать») is not offered again.
        listed = self.store.browse.digest_items([r.key for r in rows])
        rows = [r for r in rows if r.key not in listed or not listed[r.key].released]
        recipients = report_recipients(rules)
        if rows and recipients:
            items = [Listed(n, r.seen_at, r.sender, r.subject, r.reasons) for n, r in enumerate(rows, 1)]
            mail = compose_digest(items, self.ctx.forward_context(recipients[0]), recipients, self.ctx.templates,
                                  since=last, until=until, now=now)  # fmt: skip
            self.store.releases.record_digest(bare_id(str(mail["Message-ID"])), [r.key for r in rows], now)
            smtp.send(mail, [m.email for m in recipients])
            report.digests += 1
            log.info("сводка неотправленных писем (%d) отправлена: %s", len(rows), ", ".join(m.id for m in recipients))
        self.store.meta.set(DIGEST_UNTIL, until.isoformat())
