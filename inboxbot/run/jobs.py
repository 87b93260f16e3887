"""The worker's three scheduled jobs on apscheduler: the poll, the follow-ups, the report.

Each job is an interval job (`coalesce=True, max_instances=1`) on one scheduler whose
executor has a single thread: the jobs never run at the same time (they share the
journal and the NLP pipeline), and a job that raises is logged by apscheduler and runs
again at its next time, as do the others. `run --once` runs one pass of each, in the
order of JOBS, whatever happened to the one before.

- poll (worker.py): every `poll_seconds`; after a failure its next run is moved to the
  backoff (`Worker.backoff_seconds`), and the interval goes on from there. With
  INBOXBOT_IDLE on, an IDLE watcher (io/idle.py, a thread and an IMAP connection of its
  own) moves it to now when mail arrives (`wake`); the interval poll stays as the full
  check, and is the only one while the server has no IDLE or the watcher is down.
- follow-ups (followups.py): answers seen as \\Answered, then the reminders and
  escalations due, on an IMAP connection of their own, so a failed poll does not hold
  them back. They run with every n-th poll, right after it (at most once a minute).
- report (reports.py): asked at the follow-ups' pace whether a period is due. Not a cron
  trigger: `Reports.send_due` sends the latest period missed while the worker was down
  and only notes the period on its first run; a cron job that did not fire while the
  worker was down would lose the first, and would have to follow every rules reload.

Several processes may serve the mailbox — workers on several machines sharing a store
(INBOXBOT_STORE), or two `run` started on one SQLite journal by mistake: a mailbox is
polled, and its \\Answered flags read, only by the holder of its lease (lease.py); the
others are standbys whose jobs do nothing until one of them takes the lease over and
polls at once. The reminders, escalations and the report cover every mailbox: they go
from the holder of the deployment's lease (DEPLOYMENT_JOBS) alone, so two machines
holding different mailboxes never remind one request twice. A single worker takes its
leases at start, before its first poll, and the poll asks only its own clock whether it
still holds them (a thread renews them), so the leases cost no store round trip per mail.
`run --once` takes no lease: it runs beside a serving worker, and the claim of each
mail (effects.EffectRunner.claim) keeps every forward single: a claim is held per process
(claims.py), so the two are told apart under one worker id on one machine.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from inboxbot.config import Settings
from inboxbot.errors import ActionError, ExtractionError, FetchError
from inboxbot.io.idle import IdleWatcher
from inboxbot.run.lease import DEPLOYMENT_JOBS, DEPLOYMENT_LABEL, Lease, mailbox_name
from inboxbot.run.outbox import smtp_for
from inboxbot.run.pollreport import PollReport, poll_summary
from inboxbot.run.worker import Worker

log = logging.getLogger(__name__)

POLL, FOLLOWUPS, REPORT = "poll", "followups", "report"
JOBS = (POLL, FOLLOWUPS, REPORT)  # the order of `run --once`, and of the first runs
# Follow-ups and the report are asked at most this often: each pass opens an IMAP
# connection, and nothing they do is due to the second.
MIN_PASS_SECONDS = 60
# A failure that is not a bug: a server down or refusing; the job runs again later.
OUTAGES = (FetchError, ActionError, ExtractionError)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One scheduled job: what runs and how often."""

    id: str
    run: Callable[[], None]
    seconds: int


def pass_seconds(poll_seconds: int) -> int:
    """The follow-ups' and the report's interval: a whole number of poll intervals, so
    that they fall on a poll's time (and run right after it), and at least a minute."""
    return poll_seconds * math.ceil(MIN_PASS_SECONDS / poll_seconds)


def new_scheduler() -> Any:
    """A BackgroundScheduler whose jobs run one at a time, in one thread."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(max_workers=1)})


class Jobs:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker  # the main mailbox's; it also sends the report
        # One per mailbox of the deployment (INBOXBOT_MAILBOXES), polled in turn.
        self.workers = [worker, *(worker.sibling(m) for m in worker.settings.extra_mailboxes)]
        self.ctx = worker.ctx
        self.scheduler: Any = None  # the BackgroundScheduler while `run_forever` runs
        self.watcher: IdleWatcher | None = None  # while `run_forever` runs, with INBOXBOT_IDLE on
        self.watchers: list[IdleWatcher] = []  # the other mailboxes' (INBOXBOT_MAILBOXES)
        self.followup_failures = 0
        # The follow-ups' and the report's lease (`start` takes it; `run --once` none).
        self.lease: Lease | None = None
        self._poll_lock = threading.Lock()
        self._polling = False  # a poll job is past its start
        self._again = False  # news came while it ran: one more poll right after it

    # -- one pass of each job ------------------------------------------------

    def followups_pass(self, report: PollReport) -> None:
        """Answers seen as \\Answered, then the reminders and escalations due. Raises
        FetchError (mailbox down) or ActionError (SMTP down)."""
        ctx = self.ctx
        if ctx.rules.followup is None or not ctx.settings.smtp or ctx.stopping:
            return
        with contextlib.ExitStack() as stack:
            boxes = []
            for worker in self.workers:  # each mailbox this process holds for its \\Answered
                if worker.may_work() and not ctx.stopping:
                    boxes.append(box := stack.enter_context(worker.markcheck.mailbox()))
                    worker.followups.note_flagged(box, report)
            if self.runs_deployment_jobs() and not ctx.stopping:
                with smtp_for(ctx.settings) as smtp:
                    self.worker.followups.send_due(boxes, smtp, report)

    def runs_deployment_jobs(self) -> bool:
        """This process sends the follow-ups and the report: it holds their lease, or runs alone."""
        return self.lease is None or self.lease.holds()

    def report_pass(self, report: PollReport) -> None:
        """The distribution report and the digest of skipped mail, if due; then the
        head's replies to the digest. Raises ActionError (SMTP down), FetchError."""
        ctx = self.ctx
        if ctx.rules.report is None or not ctx.settings.smtp or ctx.stopping or not self.runs_deployment_jobs():
            return
        with smtp_for(ctx.settings) as smtp:
            self.worker.reports.send_due(smtp, report)
            self.worker.skipped.send_due(smtp, report)
            if self.worker.releases.pending():
                # A digest lists the skipped mail of every mailbox: each is fetched from its own.
                with contextlib.ExitStack() as stack:
                    boxes = [stack.enter_context(w.markcheck.mailbox()) for w in self.workers if w.may_work()]
                    self.worker.releases.carry_out(boxes, smtp, report)

    def run_once(self) -> PollReport:
        """One pass of each job, in the order of JOBS, each whatever became of the one
        before; then the first failure, if any, is raised. Returns what they did."""
        failures: list[Exception] = []
        for worker in self.workers:
            try:
                worker.poll_once()
            except Exception as exc:  # the other mailboxes, follow-ups and report still go; raised below
                failures.append(exc)
        report = self.worker.last_report  # the main mailbox's, with the others' counted in
        for sibling in self.workers[1:]:
            report.add(sibling.last_report)
        for step in (self.followups_pass, self.report_pass):
            try:
                step(report)
            except Exception as exc:  # as above
                failures.append(exc)
        if failures:
            raise failures[0]
        return report

    # -- the scheduled jobs --------------------------------------------------

    def specs(self) -> tuple[JobSpec, ...]:
        poll = self.ctx.settings.poll_seconds
        return (
            JobSpec(POLL, self.poll_job, poll),
            JobSpec(FOLLOWUPS, self.followups_job, pass_seconds(poll)),
            JobSpec(REPORT, self.report_job, pass_seconds(poll)),
        )

    def poll_job(self) -> None:
        """The poll; after a failure the next one comes at the backoff, not the interval;
        after news during it (`wake`), at once."""
        if self.ctx.stopping:
            return
        with self._poll_lock:
            self._polling, self._again = True, False
        try:
            for worker in self.workers:
                if not self.ctx.stopping:
                    worker.guarded_poll()
        finally:
            with self._poll_lock:
                self._polling = False
                failed = [w.backoff_seconds() for w in self.workers if w.failures]
                if failed:
                    self._reschedule(datetime.now(UTC) + timedelta(seconds=min(failed)))
                elif self._again:
                    self._reschedule(datetime.now(UTC))
                elif any(w.last_report.elsewhere for w in self.workers) and \
                        self.ctx.settings.lease_seconds < self.ctx.settings.poll_seconds:
                    # Mail another worker claimed: if it died, its claims lapse by then.
                    self._reschedule(datetime.now(UTC) + timedelta(seconds=self.ctx.settings.lease_seconds))

    def _reschedule(self, at: datetime) -> None:
        """Move the next poll to `at`; with `_poll_lock` held. Never once stopping: a job
        that calls modify_job while `scheduler.shutdown(wait=True)` waits for it would wait
        for shutdown's lock for ever (`shutdown` takes `_poll_lock` after the stop)."""
        if self.scheduler is not None and not self.ctx.stopping:
            self.scheduler.modify_job(POLL, next_run_time=at)

    def wake(self) -> None:
        """Poll now: the IDLE watcher heard of new mail (called from its thread).

        A poll already running may have searched the folder before the mail came, and
        apscheduler would skip a run asked for meanwhile (max_instances=1): it is asked
        for after that poll instead. A poll submitted but not yet started searches after
        the news anyway, so the run skipped then is not missed."""
        with self._poll_lock:
            if self._polling:
                self._again = True
            else:
                self._reschedule(datetime.now(UTC))

    def followups_job(self) -> None:
        if self.ctx.stopping:
            return
        report = PollReport()
        try:
            self.followups_pass(report)
        except OUTAGES as exc:
            # Told once per outage: the poll's own warnings already say the server is down.
            self.followup_failures += 1
            level = logging.WARNING if self.followup_failures == 1 else logging.DEBUG
            log.log(level, "ответы и напоминания не проверены: %s; повтор при следующем опросе", exc)
            return
        self.followup_failures = 0
        if summary := poll_summary(report, "ответы и напоминания"):
            log.info("%s", summary)

    def report_job(self) -> None:
        if self.ctx.stopping:
            return
        report = PollReport()
        try:
            self.report_pass(report)
        except OUTAGES as exc:
            log.warning("отчёт не отправлен: %s; повтор при следующем опросе", exc)
            return
        if report.reports:
            log.info("отправлен отчёт о распределении заявок")

    def schedule(self, scheduler: Any, start: datetime) -> None:
        """Add the jobs to `scheduler`, each first due at `start`, a millisecond apart in
        the order of JOBS: the single executor thread takes them in that order."""
        for index, spec in enumerate(self.specs()):
            scheduler.add_job(
                spec.run, "interval", seconds=spec.seconds, id=spec.id, name=spec.id,
                next_run_time=start + timedelta(milliseconds=index), coalesce=True, max_instances=1,
                # However late (a long poll before it, a suspended machine), one run is
                # still wanted: each job does what is due at the time it runs.
                misfire_grace_time=None,
            )  # fmt: skip

    def new_watcher(self, settings: Settings | None = None) -> IdleWatcher | None:
        """The IDLE watcher of a mailbox (the main one by default), started; None with
        INBOXBOT_IDLE off."""
        settings = settings or self.ctx.settings
        if not settings.idle:
            return None
        watcher = IdleWatcher(settings.imap, settings.folder, self.wake, poll_seconds=settings.poll_seconds)
        watcher.start()
        return watcher

    def start(self) -> None:
        """Take the mailboxes' leases and the follow-ups', start the scheduler with the
        jobs, first due now, and the IDLE watcher."""
        settings = self.ctx.settings
        for worker in self.workers:
            # Several processes may share the store (the SQLite journal too): each mailbox's
            # lease holder works for it, the others wait; one that takes a lease over polls
            # at once (`wake`).
            lease = worker.lease = Lease(
                self.ctx.store.leases, mailbox_name(worker.settings), settings.worker_id, settings.lease_seconds,
                on_taken=self.wake,
            )
            lease.start()
            if not lease.holds():
                worker.pipeline.warm_up()  # a standby takes over without loading the models first
        self.lease = Lease(self.ctx.store.leases, DEPLOYMENT_JOBS, settings.worker_id, settings.lease_seconds,
                           label=DEPLOYMENT_LABEL)  # fmt: skip
        self.lease.start()
        scheduler = self.scheduler = new_scheduler()
        self.schedule(scheduler, datetime.now(UTC))
        scheduler.start()
        log.info("inboxbot запущен: ящик %s, опрос каждые %d с", settings.folder, settings.poll_seconds)
        self.watchers = [w for w in (self.new_watcher(worker.settings) for worker in self.workers[1:]) if w]
        self.watcher = self.new_watcher()

    def shutdown(self) -> None:
        """Stop the watcher, then the scheduler (the job running finishes its current mail
        first: shutdown waits for it), then the worker's extraction processes."""
        self.worker.stop()
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()
        watchers, self.watchers = self.watchers, []
        for each in watchers:
            each.stop()
        with self._poll_lock:
            pass  # a poll moving its next run is done with it; none will from now on
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        for worker in self.workers:
            lease, worker.lease = worker.lease, None
            if lease is not None:
                lease.stop()  # after the last job: a standby takes over at once
        deployment, self.lease = self.lease, None
        if deployment is not None:
            deployment.stop()
        self.worker.close()  # the pipeline the other mailboxes' workers share

    def run_forever(self) -> None:
        """Run the jobs until SIGTERM/SIGINT."""
        worker = self.worker
        previous = {sig: signal.signal(sig, lambda *_: worker.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self.ctx.stop.wait(0.5):
                pass
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("inboxbot остановлен")
