"""The worker: one poll of the mailbox, and the backoff after a failed one.

A poll fetches the pending mail, decides it in batches (batch.py) and carries out each
mail's planned effects (plan.py: what is left to do, from the journal state; effects.py:
done in that order, each journalled after it succeeded), so that a kill -9 at any point
neither drops nor doubles a mail. The IMAP mark is the ground truth of "handled": a
marked mail is never looked at again, even with the journal lost. Then what the head
must hear of marking (markcheck.py). The follow-ups and the report are jobs of their
own (jobs.py runs all three).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from inboxbot.compose.template_check import load_templates
from inboxbot.compose.templates import Templates
from inboxbot.config import MailboxSettings, Settings
from inboxbot.errors import ActionError, ExtractionError, FetchError, RulesError
from inboxbot.io.imap import RawMessage
from inboxbot.model.records import MessageKey
from inboxbot.rules.model import Rules
from inboxbot.run.batch import Batches, batches
from inboxbot.run.context import RunContext, with_recorded
from inboxbot.run.effects import EffectRunner
from inboxbot.run.followups import FollowUps
from inboxbot.run.handover import follow_base, return_after_absence
from inboxbot.run.handover_mail import Announcer
from inboxbot.run.lease import Lease
from inboxbot.run.ledger_command import LedgerCommands
from inboxbot.run.markcheck import MARKING_RETRY_SECONDS, MarkingWatch
from inboxbot.run.outbox import Outbox, smtp_for
from inboxbot.run.pipeline import Pipeline, extraction_processes
from inboxbot.run.pollreport import PollReport, poll_summary
from inboxbot.run.releases import Releases
from inboxbot.run.reports import Reports
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.run.skipped import SkippedDigest
from inboxbot.store.interfaces import Store

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 15 * 60


class Worker:
    def __init__(
        self,
        settings: Settings,
        rules_path: Path,
        store: Store,
        *,
        pipeline_factory: Callable[[Rules], Pipeline] | None = None,
        processes: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.holder = RulesHolder(rules_path)
        self.processes = extraction_processes(os.cpu_count() or 1) if processes is None else processes
        self._pipeline_factory = pipeline_factory or self._new_pipeline
        self.pipeline = self._pipeline_factory(self.holder.rules)
        self.ctx = RunContext(settings, self.holder, store, clock, load_templates(self.holder.rules))
        self.outbox = Outbox(self.ctx)
        self.commands = LedgerCommands(self.ctx)
        self.runner = EffectRunner(self.ctx, self.outbox, self.commands)
        self.announcer = Announcer(store, lambda: self.holder.rules, lambda: self.ctx.templates, settings.bot_address, clock)
        self.followups = FollowUps(self.ctx, lambda: self.pipeline)
        self.reports = Reports(self.ctx)
        self.skipped = SkippedDigest(self.ctx)
        self.releases = Releases(self.ctx, lambda: self.pipeline, self.outbox)
        self.markcheck = MarkingWatch(self.ctx)
        self.failures = 0
        self.last_report = PollReport()  # of the poll running or last run, also a failed one
        # Set by a serving `run` (jobs.py; `run --once` takes none): only its holder works.
        self.lease: Lease | None = None

    def sibling(self, mailbox: MailboxSettings) -> Worker:
        """A worker for another mailbox of the deployment: the same store (one queue, one
        ledger, one set of caps) and the same NLP models (this worker's pipeline)."""
        return Worker(self.settings.of_mailbox(mailbox), self.holder.path, self.store,
                      pipeline_factory=lambda _rules: self.pipeline, processes=self.processes, clock=self.clock)

    def may_work(self) -> bool:
        """This process works for the mailbox: it holds its lease, or runs alone."""
        return self.lease is None or self.lease.holds()

    def _new_pipeline(self, rules: Rules) -> Pipeline:
        # The NLP models outlive a rules reload: only the rules change.
        current = getattr(self, "pipeline", None)
        return Pipeline(
            rules, current.loaded_extractor if current else None, processes=self.processes,
            in_children=True,  # the models live in the extraction processes' forkserver only
        )

    @property
    def rules(self) -> Rules:
        return self.holder.rules

    @property
    def templates(self) -> Templates:
        return self.ctx.templates

    def stop(self) -> None:
        self.ctx.stop.set()

    def close(self) -> None:
        """Stop the extraction processes, if any were started."""
        self.pipeline.close()

    # -- one poll ------------------------------------------------------------

    def poll_once(self) -> PollReport:
        """Handle every pending message once. Raises FetchError (mailbox down) or a
        transient ActionError (SMTP down): the caller retries with backoff."""
        report = self.last_report = PollReport()  # the follow-ups add to it in `run --once`
        if not self.may_work():
            return report  # a standby: the lease holder polls
        if self.holder.refresh():
            self.pipeline.close()
            self.pipeline = self._pipeline_factory(self.holder.rules)
            try:
                self.ctx.templates = load_templates(self.holder.rules)
            except RulesError as exc:  # a broken override: the last good templates keep going
                log.error("шаблоны не загружены, продолжаю по прежним: %s", exc)
                self.holder.unreported_error = str(exc)
            except Exception:  # a bug in rendering the samples: as above, and the traceback for a developer
                log.exception("шаблоны не загружены из-за внутренней ошибки, продолжаю по прежним")
                self.holder.unreported_error = "шаблоны писем не загружены из-за внутренней ошибки программы"
        stop = self.ctx.stop
        with self.markcheck.mailbox() as box, smtp_for(self.settings) as smtp:
            if self.holder.unreported_error and self.settings.smtp:
                errors, self.holder.unreported_error = self.holder.unreported_error, None
                self.outbox.tell_rules_error(smtp, errors)
            pending = box.pending_uids()
            self.pipeline.size_for(len(pending))
            if pending:  # the models load while the first mails are fetched
                self.pipeline.warm_up()
            self.markcheck.check(box, smtp, pending)
            keys = {MessageKey(box.key_folder, box.uidvalidity, uid) for uid in pending}
            if pending:
                log.debug("%d новых писем в %s", len(pending), self.settings.folder)
            handler = Batches(self.ctx, self.runner, self.followups, self.pipeline, keys, self.releases, self.commands)
            fetched = batches(box.fetch(pending), self.settings.batch_size, stop)
            # The child processes extract the next batches while this one is handled.
            for batch, prepared in self.pipeline.prepare_ahead(fetched, _raw_bytes):
                handler.handle(box, smtp, batch, prepared, report)
                if stop.is_set() or not self.may_work():
                    break
            if self.settings.smtp and not stop.is_set():
                self.markcheck.tell_notes(smtp)
                follow_base(self.store, self.rules, self.clock())  # the head edited the client base
                # Not back while the head's «сегодня нет: …» says otherwise.
                return_after_absence(self.store, with_recorded(self.store, self.rules, self.clock()), self.clock())
                if self.announcer.pending():  # ledger changes of this poll, the CLI's, the web page's
                    report.announced += self.announcer.announce(smtp)
        if len(pending) < self.pipeline.PARALLEL_MIN:
            # The backlog is drained: the extraction processes (~30–60 MB each besides
            # the models, which stay in their forkserver) would only sit idle until the
            # next one; they are forked again, at once, with it.
            self.pipeline.close()
        return report

    # -- the poll job ----------------------------------------------------------

    def guarded_poll(self) -> None:
        """One poll that never raises for an outage: it is logged, and `failures` counts
        it for the backoff (jobs.py moves the next poll by `backoff_seconds`)."""
        try:
            report = self.poll_once()
            if self.failures:
                log.info("связь восстановлена после %d неудачных попыток", self.failures)
            self.failures = 0
            if summary := poll_summary(report):
                log.info("%s", summary)
        except (FetchError, ActionError, ExtractionError) as exc:
            # A poll that handled mail before it failed shows the servers work: the
            # backoff starts over instead of growing from the last outage.
            self.failures = 1 if self.last_report.progressed else self.failures + 1
            log.warning("сбой (попытка %d): %s; повтор через %d с", self.failures, exc, self.backoff_seconds())

    def backoff_seconds(self) -> int:
        if not self.failures:
            return self.settings.poll_seconds
        if self.markcheck.broken:
            return max(MARKING_RETRY_SECONDS, self.settings.poll_seconds)
        return int(min(MAX_BACKOFF_SECONDS, 5 * 2 ** min(self.failures - 1, 10)))


def _raw_bytes(raw: RawMessage) -> bytes:
    return raw.raw
