"""The poll loop: fetch pending mail, decide, forward, mark, journal — exactly once.

Order of effects for one message, each journalled before the next starts:

    decide ─► journal `decided` ─► SMTP forward ─► journal `forwarded` ─► IMAP mark ─► journal `marked`

A crash between any two steps is finished on the next run from the journal state:
`decided` → the forward is sent again with the same deterministic Message-ID (if the
first attempt did reach the manager, the mail client collapses the two); `forwarded` →
only the IMAP mark is set. The IMAP mark is the ground truth of "handled": a marked
mail is never looked at again, even with the journal lost.

A batch goes through these steps in runs rather than one mail at a time (all decisions
of a run, then its forwards, then its marks): the order of effects above holds for
every mail, and the fsyncs and IMAP commands are shared (see `_handle_batch`).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from inboxbot.act import (
    ForwardContext,
    Recipient,
    Templates,
    compose_absence_notice,
    compose_forward,
    compose_rules_error,
)
from inboxbot.config import Settings
from inboxbot.decision import Decision
from inboxbot.errors import ActionError, FetchError, RulesError
from inboxbot.facts import Facts
from inboxbot.failpoints import failpoint
from inboxbot.fetch import Mailbox, RawMessage
from inboxbot.journal import DECIDED, FORWARDED, MARKED, Journal, MessageKey
from inboxbot.message import Address, ParsedMessage
from inboxbot.pipeline import Pipeline, Prepared, duplicate_of
from inboxbot.rules import Rules, load_rules
from inboxbot.smtp import SmtpSender

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 15 * 60
# A mail the SMTP server keeps refusing "for now" (4xx to it or its recipient, e.g. a full
# mailbox) while other mail goes out is handed to a human after this long. Only such
# failures count: when the server fails as a whole (down, login, 421, or refusing every
# mail), no mail is at fault and all of them wait, however long the outage — the old
# rule (triage after 20 failed attempts) sent waiting mail to triage during an outage of
# ~3 hours (the backoff reaches 15 min). See `_act` and `_give_up_if_overtaken`.
GIVE_UP_AFTER = timedelta(days=1)


@dataclass(slots=True)
class PollReport:
    seen: int = 0
    forwarded: int = 0
    tagged: int = 0
    skipped: int = 0
    triaged: int = 0
    finished: int = 0  # resumed from a journal state left by an earlier run
    waiting: int = 0  # refused "for now" by the SMTP server: tried again next poll
    handled: list[tuple[RawMessage, Decision]] = field(default_factory=list)


class RulesHolder:
    """The rules in force. A changed rules file is loaded on the next poll; a broken one
    is rejected with its errors logged, and the last good rules keep running."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rules: Rules = load_rules(path)
        self._signature = self._current_signature()
        self.last_error: str | None = None
        # A rejected edit the sales head has not been told about yet.
        self.unreported_error: str | None = None

    def _watched(self) -> list[Path]:
        files = [self.path]
        files.extend(self.rules.source_files)
        return files

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        sig = []
        for path in self._watched():
            try:
                st = path.stat()
                sig.append((str(path), st.st_mtime_ns, st.st_size))
            except OSError:
                sig.append((str(path), -1, -1))
        return tuple(sig)

    def refresh(self) -> bool:
        """Reload when a watched file changed; True when new rules were taken."""
        signature = self._current_signature()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            rules = load_rules(self.path)
        except RulesError as exc:
            if str(exc) != self.last_error:
                log.error("правила не загружены, продолжаю по прежним: %s", exc)
                self.unreported_error = str(exc)
            self.last_error = str(exc)
            return False
        self.rules = rules
        self.last_error = self.unreported_error = None
        log.info("правила перечитаны: %s", self.path)
        return True


class Worker:
    def __init__(
        self,
        settings: Settings,
        rules_path: Path,
        journal: Journal,
        *,
        pipeline_factory: Callable[[Rules], Pipeline] | None = None,
        processes: int | None = None,
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.holder = RulesHolder(rules_path)
        # Both cores for extraction of a backlog by default (the main process does I/O).
        self.processes = min(2, os.cpu_count() or 1) if processes is None else processes
        self._pipeline_factory = pipeline_factory or self._new_pipeline
        self.pipeline = self._pipeline_factory(self.holder.rules)
        # Compiled once per rule set: compiling the templates costs more than routing a mail.
        self.templates = Templates(self.holder.rules.templates_dir)
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self.failures = 0

    def _new_pipeline(self, rules: Rules) -> Pipeline:
        # The NLP models outlive a rules reload: only the rules change.
        current = getattr(self, "pipeline", None)
        return Pipeline(rules, current.loaded_extractor if current else None, processes=self.processes)

    @property
    def rules(self) -> Rules:
        return self.holder.rules

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop the extraction processes, if any were started."""
        self.pipeline.close()

    # -- one poll ------------------------------------------------------------

    def poll_once(self) -> PollReport:
        """Handle every pending message once. Raises FetchError (mailbox down) or a
        transient ActionError (SMTP down): the caller retries with backoff."""
        if self.holder.refresh():
            self.pipeline.close()
            self.pipeline = self._pipeline_factory(self.holder.rules)
            self.templates = Templates(self.holder.rules.templates_dir)
        report = PollReport()
        with Mailbox(self.settings.imap, self.settings.folder) as box, self._smtp() as smtp:
            if self.holder.unreported_error and self.settings.smtp:
                self._tell_head(smtp, self.holder.unreported_error)
                self.holder.unreported_error = None
            pending = box.pending_uids()
            if pending:
                log.info("%d новых писем в %s", len(pending), self.settings.folder)
            # The child processes extract the next batches while this one is handled.
            for batch, prepared in self.pipeline.prepare_ahead(self._batches(box.fetch(pending)), _raw_bytes):
                self._handle_batch(box, smtp, batch, prepared, report)
                if self._stop.is_set():
                    break
        return report

    def _batches(self, fetched: Iterator[RawMessage]) -> Iterator[list[RawMessage]]:
        batch: list[RawMessage] = []
        for raw in fetched:
            failpoint("after_fetch")
            batch.append(raw)
            if len(batch) >= self.settings.batch_size:
                yield batch
                batch = []
            if self._stop.is_set():
                return
        if batch:
            yield batch

    def _handle_batch(
        self, box: Mailbox, smtp: SmtpSender | _NoSmtp, batch: Sequence[RawMessage], prepared: list[Prepared],
        report: PollReport,
    ) -> None:
        """Decide, forward and mark a batch in runs: the decisions of a run one by one, in
        order (each sees the ones before it), then its forwards in the same order, then
        its marks, a few IMAP commands for the whole run.

        The journal groups its commits (Journal.grouped): each is written at once, so a
        kill -9 anywhere finds every step that completed, but the fsync that makes them
        survive a power loss too is done once per step of the run, not per mail:
        * `sync()` after the decisions, before the first forward: a forward never goes out
          under a decision a power loss could undo (re-deciding could pick another manager,
          and the mail would reach two);
        * `sync()` after the forwards, before the marks: a marked mail (never looked at
          again) always has its `forwarded` row. A `forwarded` lost to a power loss before
          that only means a resend under the same Message-ID, as after a cut SMTP
          transaction; a lost `marked` only leaves a marked mail `forwarded`.
        A run ends before a mail whose Message-ID (or content) came earlier in it: that
        copy must see the first one forwarded to be recognised as a duplicate."""
        # Refused "for now" with nothing sent after them yet (see _act).
        waiting: list[tuple[_Work, ActionError]] = []
        with self.journal.grouped():
            start = 0
            while start < len(batch) and not self._stop.is_set():
                run, start = self._decide_run(batch, prepared, start, report)
                self.journal.sync()
                done: list[_Work] = []
                try:
                    for work in run:
                        if self._stop.is_set():
                            break  # decided, not acted on: the next poll finishes it
                        self._act(box, smtp, work, report, done, waiting)
                finally:
                    self._mark_all(box, done, report)
        if waiting:
            # Nothing went out after them: maybe the server refuses every mail. The poll
            # counts as failed (backoff); they wait in the mailbox, journalled `decided`.
            raise waiting[-1][1]

    def _decide_run(
        self, batch: Sequence[RawMessage], prepared: list[Prepared], start: int, report: PollReport
    ) -> tuple[list[_Work], int]:
        run: list[_Work] = []
        ids: set[str] = set()
        hashes: set[str] = set()
        index = start
        while index < len(batch) and not self._stop.is_set():
            msg = prepared[index].msg
            if run and ((msg.has_message_id and msg.message_id in ids) or msg.content_hash in hashes):
                break
            ids.add(msg.message_id)
            hashes.add(msg.content_hash)
            report.seen += 1
            run.append(self._decide(batch[index], prepared[index], report))
            index += 1
        return run, index

    def _smtp(self) -> SmtpSender | _NoSmtp:
        return SmtpSender(self.settings.smtp) if self.settings.smtp else _NoSmtp()

    def _decide(self, raw: RawMessage, prepared: Prepared, report: PollReport) -> _Work:
        key = MessageKey(raw.folder, raw.uidvalidity, raw.uid)
        entry = self.journal.entry(key)
        if entry is not None and entry.decision is not None:
            # Journalled before a crash: act on the stored decision, never decide anew (the
            # round robin would move on); the facts only feed the forward's text.
            decision = Decision.from_dict(entry.decision["decision"])  # type: ignore[arg-type]
            report.finished += 1
            return _Work(raw, key, prepared.msg, prepared.facts, decision, entry.state)
        outcome = self.pipeline.decide(prepared, self.journal, received_at=datetime.now(timezone.utc))
        msg, facts, decision = outcome.msg, outcome.facts, outcome.decision
        copy = self.journal.find_copy(msg.message_id, msg.content_hash, has_message_id=msg.has_message_id)
        if copy is not None:
            decision = duplicate_of(copy.owner, msg.message_id)
        self.journal.record_decision(
            key,
            msg,
            decision,
            details=_details(facts),
        )
        failpoint("after_decide")
        return _Work(raw, key, msg, facts, decision, DECIDED)

    def _act(
        self, box: Mailbox, smtp: SmtpSender | _NoSmtp, work: _Work, report: PollReport, to_mark: list[_Work],
        waiting: list[tuple[_Work, ActionError]],
    ) -> None:
        """Forward (if the decision says so and it has not gone yet); the mark is left to
        `_mark_all`, in `to_mark`.

        A failed forward: permanent (5xx) → manual triage with the reason; the server
        failing as a whole → raise (the poll stops, every mail waits, backoff); refused
        "for now" (4xx to this mail or its recipient) → the mail waits in `waiting` and
        the others go on; it goes to triage only once other mail has gone out after it
        while it has been refused for GIVE_UP_AFTER (`_give_up_if_overtaken`)."""
        raw, key, msg, decision = work.raw, work.key, work.msg, work.decision
        if work.state == DECIDED and decision.forwards:
            failpoint("before_smtp")
            try:
                forward_id = self._forward(smtp, raw.raw, msg, work.facts, decision)
            except ActionError as exc:
                self.journal.record_failure(key, str(exc), about_message=exc.about_message)
                if exc.permanent:
                    self._give_up(box, work, exc, report)
                    return
                if not exc.about_message:
                    raise
                log.warning("uid %s: SMTP-сервер пока не принял пересылку, письмо подождёт: %s", raw.uid, exc)
                waiting.append((work, exc))
                report.waiting += 1
                return
            failpoint("after_smtp")
            self.journal.mark_forwarded(key, forward_id, decision.owner or "", decision.rule)
            failpoint("after_forwarded")
            work.state = FORWARDED
            self._give_up_if_overtaken(box, waiting, report)

        # MARKED: the journal says marked but the server still lists the mail: the mark did
        # not stick (a server that drops keywords, a human removed it, or a crash right
        # before it, see _mark_all). Mark again, never resend.
        to_mark.append(work)
        report.handled.append((raw, decision))
        log.info(
            "uid %s %s → %s [%s] %s",
            raw.uid,
            msg.subject[:60],
            decision.owner or "—",
            decision.rule,
            decision.summary,
        )

    def _give_up_if_overtaken(self, box: Mailbox, waiting: list[tuple[_Work, ActionError]], report: PollReport) -> None:
        """A forward just went out, after the ones in `waiting` were refused "for now":
        the server works, so their refusal is about them. Each one refused like that for
        GIVE_UP_AFTER goes to manual triage; the others are tried again next poll."""
        now = datetime.now(timezone.utc)
        for work, exc in waiting:
            since = self.journal.failing_since(work.key)
            if since is not None and now - since >= GIVE_UP_AFTER:
                report.waiting -= 1
                self._give_up(box, work, exc, report)
        waiting.clear()

    def _give_up(self, box: Mailbox, work: _Work, exc: ActionError, report: PollReport) -> None:
        log.error("uid %s: пересылка невозможна, письмо оставлено на ручной разбор: %s", work.raw.uid, exc)
        box.mark_triage(work.raw.uid)
        self.journal.mark_done(work.key, error=str(exc))  # the reason stays for the human
        report.triaged += 1

    def _mark_all(self, box: Mailbox, works: list[_Work], report: PollReport) -> None:
        """Set the IMAP marks of acted-on mail: one command per owner (and one per triaged
        mail) instead of one per mail. A crash before the marks leaves the mail pending
        and the journal says how far it got: `forwarded` → the next run sets only the
        mark; `marked` → the same (the MARKED case in _act)."""
        if not works:
            return
        # Mail that was not forwarded (skip, tag, triage) is journalled `marked` *before*
        # its mark: nothing went out, so the only thing a crash in between can leave is a
        # pending mail the journal calls marked, which the next run marks again. The other
        # order would leave a marked mail (never looked at again) `decided` for ever.
        self.journal.mark_done_many([work.key for work in works if work.state == DECIDED])
        self.journal.sync()  # see _handle_batch: `forwarded` durable before the mark
        by_owner: dict[str | None, list[int]] = {}
        for work in works:
            decision = work.decision
            if decision.action == "triage":
                box.mark_triage(work.raw.uid)
            else:
                by_owner.setdefault(decision.owner if decision.action != "skip" else None, []).append(work.raw.uid)
        for owner, uids in by_owner.items():
            box.mark_many(uids, owner)
        for work in works:
            failpoint("after_mark")  # passed once per mail, as the points are documented
            if work.state == MARKED:
                continue  # only marked again; counted when it was handled
            action = work.decision.action
            if action == "triage":
                report.triaged += 1
            elif work.decision.forwards:
                report.forwarded += 1
            elif action == "skip":
                report.skipped += 1
            else:
                report.tagged += 1
        self.journal.mark_done_many([work.key for work in works if work.state == FORWARDED])

    def _context(self, owner: Recipient, base: Recipient | None = None) -> ForwardContext:
        dept = self.rules.department
        return ForwardContext(
            department=dept.name,
            bot_address=Address(dept.name, self.settings.bot_address or dept.bot_address),
            loop_headers=dept.loop_headers,
            owner=owner,
            base_owner=base,
        )

    def _tell_head(self, smtp: SmtpSender | _NoSmtp, errors: str) -> None:
        head = self.rules.managers.get(self.rules.department.head)
        if head is None:
            return
        recipient = Recipient(head.id, head.name, head.email)
        notice = compose_rules_error(self._context(recipient), recipient, str(self.holder.path), errors, self.templates)
        smtp.send(notice, [head.email])
        log.info("руководителю (%s) отправлено письмо об ошибке в правилах", head.email)

    def _forward(
        self, smtp: SmtpSender | _NoSmtp, raw: bytes, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> str:
        rules = self.rules
        owner = rules.managers[decision.owner] if decision.owner in rules.managers else None
        if owner is None:
            raise ActionError(f"менеджер «{decision.owner}» не найден в правилах", permanent=True)
        base = rules.managers.get(decision.base_owner) if decision.base_owner else None
        ctx = self._context(
            Recipient(owner.id, owner.name, owner.email),
            Recipient(base.id, base.name, base.email) if base else None,
        )
        templates = self.templates
        forward = compose_forward(raw, msg, facts, decision, ctx, templates)
        smtp.send(forward, [owner.email])
        for manager_id in decision.notify:
            absent = rules.managers.get(manager_id)
            if absent is None:
                continue
            notice = compose_absence_notice(
                msg, facts, decision, ctx, Recipient(absent.id, absent.name, absent.email), templates
            )
            smtp.send(notice, [absent.email])
        return str(forward["Message-ID"]).strip("<>")

    # -- forever -------------------------------------------------------------

    def guarded_poll(self) -> None:
        """One poll that never raises: outages are logged and retried with backoff."""
        if not self._busy.acquire(blocking=False):
            log.debug("previous poll still running; skipped")
            return
        try:
            report = self.poll_once()
            if self.failures:
                log.info("связь восстановлена после %d неудачных попыток", self.failures)
            self.failures = 0
            if report.seen:
                log.info(
                    "обработано %d: переслано %d, помечено %d, пропущено %d, на ручной разбор %d",
                    report.seen, report.forwarded, report.tagged, report.skipped, report.triaged,
                )
        except (FetchError, ActionError) as exc:
            self.failures += 1
            log.warning("сбой (попытка %d): %s; повтор через %d с", self.failures, exc, self.backoff_seconds())
        finally:
            self._busy.release()

    def backoff_seconds(self) -> int:
        if not self.failures:
            return self.settings.poll_seconds
        return int(min(MAX_BACKOFF_SECONDS, 5 * 2 ** min(self.failures - 1, 10)))

    def run_forever(self) -> None:
        """Poll every `poll_seconds` (or sooner after a failure, with backoff) until
        SIGTERM/SIGINT; a poll in progress finishes its current message first."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=timezone.utc)
        scheduler.add_job(
            self.guarded_poll, "date", run_date=datetime.now(timezone.utc), id="poll",
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )

        def reschedule(event: object) -> None:
            if not self._stop.is_set():
                run_at = datetime.fromtimestamp(time.time() + self.backoff_seconds(), tz=timezone.utc)
                scheduler.add_job(
                    self.guarded_poll, "date", run_date=run_at, id="poll", replace_existing=True,
                    max_instances=1, coalesce=True, misfire_grace_time=None,
                )

        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

        scheduler.add_listener(reschedule, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        previous = {sig: signal.signal(sig, lambda *_: self.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
        scheduler.start()
        log.info("inboxbot запущен: ящик %s, опрос каждые %d с", self.settings.folder, self.settings.poll_seconds)
        try:
            while not self._stop.wait(0.5):
                pass
        finally:
            scheduler.shutdown(wait=True)
            self.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("inboxbot остановлен")


@dataclass(slots=True)
class _Work:
    """One mail between its decision and its mark."""

    raw: RawMessage
    key: MessageKey
    msg: ParsedMessage
    facts: Facts
    decision: Decision
    state: str  # journal state: DECIDED, FORWARDED or MARKED


def _raw_bytes(raw: RawMessage) -> bytes:
    return raw.raw


class _NoSmtp:
    """Stand-in when no SMTP server is configured: a forward cannot go out, so a rule
    asking for one is a configuration error the user must see, not a silent tag."""

    def __enter__(self) -> _NoSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage, recipients: list[str] | None = None) -> None:
        raise ActionError("SMTP-сервер не настроен (INBOXBOT_SMTP_HOST), а правило требует пересылки", permanent=True)


def _details(facts: Facts) -> dict[str, object]:
    company = facts.company
    region = facts.region
    return {
        "company": {"name": company.name, "inn": company.inn} if company else None,
        "region": {"code": region.code, "name": region.name, "district": region.district} if region else None,
        "client_address": facts.client_address.email if facts.client_address else None,
    }
