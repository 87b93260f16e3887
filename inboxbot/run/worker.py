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

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from inboxbot.compose.act import (
    ForwardContext,
    Recipient,
    compose_absence_notice,
    compose_forward,
    compose_rules_error,
    reply_address,
)
from inboxbot.compose.notices import (
    ack_refusal,
    compose_ack,
    compose_escalation,
    compose_mailbox_notice,
    compose_reminder,
    thread_ids,
)
from inboxbot.compose.report import build_report
from inboxbot.compose.report_mail import compose_report, load_templates, report_recipients
from inboxbot.config import Settings
from inboxbot.errors import ActionError, ExtractionError, FetchError, MarkingError, RulesError
from inboxbot.io.imap import Mailbox, Marking, RawMessage
from inboxbot.io.smtp import SmtpSender
from inboxbot.mail.message import Address, ParsedMessage, parse_headers
from inboxbot.model.decision import Decision
from inboxbot.model.domains import domain_in
from inboxbot.model.facts import Facts
from inboxbot.model.worktime import describe_duration
from inboxbot.rules.rules import Manager, Rules, day_in, load_rules, window_start
from inboxbot.run.failpoints import failpoint
from inboxbot.run.pipeline import Pipeline, Prepared, duplicate_of, quarantine
from inboxbot.run.schedule import ESCALATE, Due, due_followups, reassign_target, report_period
from inboxbot.store.journal import DECIDED, FORWARDED, MARKED, Entry, Journal, MessageKey, RequestRow

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 15 * 60
# A mail the SMTP server keeps refusing "for now" (4xx to it or its recipient, e.g. a full
# mailbox) while other mail goes out is handed to a human after this long. Only such
# failures count: when the server fails as a whole (down, login, 421, or refusing every
# mail), no mail is at fault and all of them wait, however long the outage — the old
# rule (triage after 20 failed attempts) sent waiting mail to triage during an outage of
# ~3 hours (the backoff reaches 15 min). See `_act` and `_give_up_if_overtaken`.
GIVE_UP_AFTER = timedelta(days=1)
FIRST_BATCH = 8
FOLLOWUP_RULE = "followup"
# Journal meta keys: when follow-ups were switched on (older forwards are left alone),
# and the end of the last report period sent.
FOLLOWUP_SINCE, REPORT_UNTIL = "followup_since", "report_until"
# Journal meta keys: the marking failure and the marking fallbacks the head was told of
# (each is told once, not on every poll or restart).
MARKING_ERROR_TOLD, MARKING_NOTES_TOLD = "marking_error_told", "marking_notes_told"
# While no mark works nothing is forwarded; the mailbox is tried again at this pace (a
# fix on the server is picked up by itself, without a restart).
MARKING_RETRY_SECONDS = 15 * 60


@dataclass(slots=True)
class PollReport:
    seen: int = 0
    forwarded: int = 0
    tagged: int = 0
    skipped: int = 0
    triaged: int = 0
    finished: int = 0  # resumed from a journal state left by an earlier run
    # Forwarded by an earlier run whose mark did not land (crash, IMAP failure): only
    # marked now. Not counted in `forwarded`, which is what went out in this run.
    marked_only: int = 0
    waiting: int = 0  # refused "for now" by the SMTP server: tried again next poll
    held: int = 0  # a second copy of a mail whose first copy is still waiting: left with it
    acknowledged: int = 0
    answers: int = 0  # forwarded requests found answered in this poll
    reminded: int = 0
    escalated: int = 0
    reports: int = 0
    handled: list[tuple[RawMessage, Decision]] = field(default_factory=list)

    @property
    def progressed(self) -> bool:
        """Some mail was handled for good in this poll."""
        return bool(self.forwarded or self.tagged or self.skipped or self.triaged)

    def summary(self) -> str:
        """One Russian line for the log and `run --once`."""
        earlier = f", отмечено пересланных ранее: {self.marked_only}" if self.marked_only else ""
        return (
            f"Обработано писем: {self.seen}; переслано: {self.forwarded}{earlier}, помечено: {self.tagged}, "
            f"пропущено: {self.skipped}, на ручной разбор: {self.triaged}"
        )


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
            self._reject(str(exc))
            return False
        except Exception:  # a bug in the loader must not stop the worker nor keep the head uninformed
            log.exception("правила %s не загружены из-за внутренней ошибки", self.path)
            self._reject(
                f"{self.path.name}: правила не загружены из-за внутренней ошибки программы; "
                "проверьте файл командой inboxbot check и сообщите администратору"
            )
            return False
        self.rules = rules
        self.last_error = self.unreported_error = None
        log.info("правила перечитаны: %s", self.path)
        return True

    def _reject(self, errors: str) -> None:
        """Keep the rules in force; the head hears of each new error once."""
        if errors != self.last_error:
            log.error("правила не загружены, продолжаю по прежним: %s", errors)
            self.unreported_error = errors
        self.last_error = errors


class JournalInflight:
    """pipeline.Inflight in the journal's meta table: the content hashes of the mails the
    worker prepares in its own process, with those a killed run left unfinished."""

    KEY = "preparing"

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._suspects: set[str] | None = None
        self._current: set[str] = set()

    def suspects(self) -> set[str]:
        if self._suspects is None:
            stored = self.journal.get_meta(self.KEY)
            self._suspects = set(json.loads(stored)) if stored else set()
        return self._suspects

    def begin(self, hashes: Sequence[str]) -> None:
        self._current = set(hashes)
        self.journal.set_meta(self.KEY, json.dumps(sorted(self.suspects() | self._current)))

    def end(self) -> None:
        self._suspects = self.suspects() - self._current
        self._current = set()
        self.journal.set_meta(self.KEY, json.dumps(sorted(self._suspects)))


class Worker:
    def __init__(
        self,
        settings: Settings,
        rules_path: Path,
        journal: Journal,
        *,
        pipeline_factory: Callable[[Rules], Pipeline] | None = None,
        processes: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        # The time of day matters to follow-ups and reports (working hours, report days);
        # tests pass their own clock.
        self.clock = clock
        self.journal = journal
        self.holder = RulesHolder(rules_path)
        # Both cores for extraction of a backlog by default (the main process does I/O).
        self.processes = min(2, os.cpu_count() or 1) if processes is None else processes
        self._inflight = JournalInflight(journal)
        self._pipeline_factory = pipeline_factory or self._new_pipeline
        self.pipeline = self._pipeline_factory(self.holder.rules)
        # Compiled once per rule set: compiling the templates costs more than routing a mail.
        self.templates = load_templates(self.holder.rules)
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self.failures = 0
        # The mailbox's pending mail in this poll: a first copy listed here is still alive.
        self._pending: set[MessageKey] = set()
        self.last_report = PollReport()  # of the poll running or last run, also a failed one
        # How handled mail is marked, learnt from the server once and kept across polls.
        self.marking: Marking | None = None
        self._marking_broken = False  # the last check found no working mark

    def _new_pipeline(self, rules: Rules) -> Pipeline:
        # The NLP models outlive a rules reload: only the rules change.
        current = getattr(self, "pipeline", None)
        return Pipeline(
            rules, current.loaded_extractor if current else None, processes=self.processes, inflight=self._inflight
        )

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
            try:
                self.templates = load_templates(self.holder.rules)
            except RulesError as exc:  # a broken override: the last good templates keep going
                log.error("шаблоны не загружены, продолжаю по прежним: %s", exc)
                self.holder.unreported_error = str(exc)
            except Exception:  # a bug in rendering the samples: as above, and the traceback for a developer
                log.exception("шаблоны не загружены из-за внутренней ошибки, продолжаю по прежним")
                self.holder.unreported_error = "шаблоны писем не загружены из-за внутренней ошибки программы"
        report = self.last_report = PollReport()
        with self._mailbox() as box, self._smtp() as smtp:
            if self.holder.unreported_error and self.settings.smtp:
                errors, self.holder.unreported_error = self.holder.unreported_error, None
                self._tell_head(smtp, errors)
            pending = box.pending_uids()
            if pending:  # the models load while the first mails are fetched
                self.pipeline.warm_up()
            self._check_marking(box, smtp, pending)
            self._pending = {MessageKey(box.folder, box.uidvalidity, uid) for uid in pending}
            if pending:
                log.debug("%d новых писем в %s", len(pending), self.settings.folder)
            # The child processes extract the next batches while this one is handled.
            for batch, prepared in self.pipeline.prepare_ahead(self._batches(box.fetch(pending)), _raw_bytes):
                self._handle_batch(box, smtp, batch, prepared, report)
                if self._stop.is_set():
                    break
            if self.settings.smtp and not self._stop.is_set():
                self._follow_up(box, smtp, report)
                self._send_report(smtp, report)
                self._tell_marking_notes(smtp)
        return report

    def _batches(self, fetched: Iterator[RawMessage]) -> Iterator[list[RawMessage]]:
        """A first batch of FIRST_BATCH mails, then batches of `batch_size`: the first
        forward of a backlog goes out after a few mails are prepared, not after a whole
        batch (a worker restarted in a loop every few seconds still makes progress),
        while the child processes already prepare the next batch."""
        batch: list[RawMessage] = []
        size = min(FIRST_BATCH, self.settings.batch_size)
        for raw in fetched:
            failpoint("after_fetch")
            batch.append(raw)
            if len(batch) >= size:
                yield batch
                batch = []
                size = self.settings.batch_size
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
                        try:
                            self._act(box, smtp, work, report, done, waiting)
                        except (ActionError, FetchError):
                            raise  # a server failing: the poll stops and is retried
                        except Exception as exc:  # a bug this one mail trips: it goes to a human
                            log.exception("uid %s could not be handled", work.raw.uid)
                            if work.state == DECIDED:
                                self._give_up(box, work, ActionError(_failed(exc), permanent=True), report)
                            else:  # its forward went out: the owner has it, only mark it
                                done.append(work)
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
            try:
                work = self._decide(batch[index], prepared[index], report)
            except Exception as exc:  # a bug this one mail trips: it goes to a human, the rest flows
                log.exception("uid %s could not be decided", batch[index].uid)
                work = self._quarantined(batch[index], _failed(exc))
            if work is not None:
                run.append(work)
            index += 1
        return run, index

    def _quarantined(self, raw: RawMessage, reason: str) -> _Work:
        """A mail whose handling failed, decided for manual triage with `reason`. If the
        journal refuses this one row, the mail is still marked for triage, only without
        its row; a journal that fails as a whole fails the poll at the marks (journalled
        before they are set), and the mail stays pending."""
        key = MessageKey(raw.folder, raw.uidvalidity, raw.uid)
        msg, decision = parse_headers(raw.raw, reason), quarantine(reason)
        try:
            self.journal.record_decision(key, msg, decision, seen_at=self.clock())
        except Exception:
            log.exception("uid %s: quarantine not journalled", raw.uid)
        return _Work(raw, key, msg, Facts(), decision, DECIDED)

    def _smtp(self) -> SmtpSender | _NoSmtp:
        return SmtpSender(self.settings.smtp) if self.settings.smtp else _NoSmtp()

    def _decide(self, raw: RawMessage, prepared: Prepared, report: PollReport) -> _Work | None:
        """The mail's decision, journalled; None when it is a second copy of a mail whose
        first copy still waits in the mailbox (it stays pending, undecided, until the
        first copy is forwarded or handed to a human, and is then a duplicate)."""
        key = MessageKey(raw.folder, raw.uidvalidity, raw.uid)
        entry = self.journal.entry(key)
        if entry is not None and entry.decision is not None:
            # Journalled before a crash: act on the stored decision, never decide anew (the
            # round robin would move on); the facts only feed the forward's text.
            decision = _stored_decision(entry)
            report.finished += 1
            return _Work(raw, key, prepared.msg, prepared.facts, decision, entry.state)
        msg = prepared.msg
        copy = self.journal.find_copy(msg.message_id, msg.content_hash, has_message_id=msg.has_message_id)
        if copy is not None and copy.state == DECIDED and copy.key in self._pending:
            log.debug("uid %s: копия письма uid %s, которое ещё ждёт отправки, — подождёт с ним", raw.uid, copy.key.uid)
            report.held += 1
            return None
        self._note_answer(msg, report)
        if copy is None:
            outcome = self.pipeline.decide(prepared, self.journal, received_at=self.clock())
            msg, facts, decision = outcome.msg, outcome.facts, outcome.decision
        elif copy.state == DECIDED:
            # The first copy was decided and is gone from the mailbox (deleted, or the folder
            # was recreated) before its forward was known to go out: this copy carries out
            # that decision, to the same manager under the same forward Message-ID.
            facts, decision = prepared.facts, _stored_decision(copy)
        else:
            facts, decision = prepared.facts, duplicate_of(copy.owner, msg.message_id)
        self.journal.record_decision(key, msg, decision, details=_details(facts), seen_at=self.clock())
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
            self.journal.mark_forwarded(key, forward_id, decision.owner or "", decision.rule, at=self.clock())
            failpoint("after_forwarded")
            work.state = FORWARDED
            work.forwarded_now = True
            self._give_up_if_overtaken(box, waiting, report)

        # After the forward, before the mark: a crash in between finishes the notices
        # and the acknowledgement on the next run (the journal knows whether they went).
        if work.state == FORWARDED and decision.notify and not self.journal.notified(key):
            self._notify_absent(smtp, key, msg, work.facts, decision)
        if (
            work.state == FORWARDED and decision.forwards and not self.journal.acked(key)
            and self._acknowledge(smtp, key, msg, work.facts, decision)
        ):
            report.acknowledged += 1

        # MARKED: the journal says marked but the server still lists the mail: the mark did
        # not stick (a server that drops keywords, a human removed it, or a crash right
        # before it, see _mark_all). Mark again, never resend.
        to_mark.append(work)
        report.handled.append((raw, decision))
        log.debug(
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
        now = self.clock()
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
            elif work.decision.forwards and not work.forwarded_now:
                report.marked_only += 1
            elif work.decision.forwards:
                report.forwarded += 1
            elif action == "skip":
                report.skipped += 1
            else:
                report.tagged += 1
        self.journal.mark_done_many([work.key for work in works if work.state == FORWARDED])

    # -- answers, acknowledgements, follow-ups, reports -------------------------

    def _note_answer(self, msg: ParsedMessage, report: PollReport) -> None:
        """A colleague's reply to the client with the shared address in copy: the
        requests of that thread are answered. The bot's own mail does not count, nor
        does a colleague forwarding the request inside the company (no outside
        recipient: the client has not heard from anyone)."""
        dept = self.rules.department
        sender = msg.sender.email.lower() if msg.sender else ""
        if not sender or sender == (self.settings.bot_address or dept.bot_address) or sender in dept.shared_addresses:
            return
        if not domain_in(sender.rpartition("@")[2], dept.internal_domains) or not msg.thread_ids:
            return
        if any(msg.header(name) is not None for name in dept.loop_headers):
            return
        outside = [a for a in (*msg.to, *msg.cc) if not domain_in(a.email.rpartition("@")[2], dept.internal_domains)]
        if not outside:
            return
        by = next((m.id for m in self.rules.managers.values() if m.email == sender), sender)
        now = self.clock()
        at = msg.date if msg.date is not None and msg.date <= now else now
        for row in self.journal.record_answer(msg.thread_ids, by, at, "reply"):
            report.answers += 1
            log.debug("заявка «%s» (uid %s): ответ от %s", row.subject[:60], row.key.uid, by)

    def _acknowledge(
        self, smtp: SmtpSender | _NoSmtp, key: MessageKey, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> bool:
        """Tell the client who has the request, once per thread. A refusal (auto-reply,
        bulk mail, rule switched off…) is not journalled as an acknowledgement; a client
        address the relay rejects for good is, with the error, so it is not retried."""
        rules = self.rules
        if rules.acknowledge is None or decision.owner not in rules.managers:
            return False
        ids = thread_ids(msg)
        refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=self.journal.thread_acknowledged(ids))
        client = reply_address(msg, facts)
        if refusal is not None or client is None:
            log.debug("uid %s: без подтверждения клиенту: %s", key.uid, refusal)
            return False
        owner = rules.managers[decision.owner or ""]
        ctx = self._context(_recipient(owner))
        now = self.clock()
        try:
            ack = compose_ack(
                msg, facts, decision, ctx, rules.acknowledge.sender, self.templates, manager_phone=owner.phone
            )
        except Exception as exc:  # the forward went; an acknowledgement the composer chokes on is left out
            log.exception("acknowledgement of %s could not be composed", msg.message_id)
            self.journal.record_ack(key, ids, now, error=f"не удалось составить ({type(exc).__name__})")
            return False
        try:
            smtp.send(ack, [client.email])
        except ActionError as exc:
            if not (exc.permanent or exc.about_message):
                raise  # the server fails as a whole: the poll is retried
            log.warning("uid %s: подтверждение клиенту не принято сервером: %s", key.uid, exc)
            self.journal.record_ack(key, ids, now, error=str(exc))
            return False
        self.journal.record_ack(key, ids, now)
        return True

    def _follow_up(self, box: Mailbox, smtp: SmtpSender | _NoSmtp, report: PollReport) -> None:
        """Answers seen as \\Answered in the mailbox, then the reminders and escalations due."""
        policy = self.rules.followup
        if policy is None:
            return
        now = self.clock()
        since = self._meta_time(FOLLOWUP_SINCE, now)
        waiting = self.journal.awaiting_answer()
        here = {r.key.uid: r for r in waiting if r.key.folder == box.folder and r.key.uidvalidity == box.uidvalidity}
        for uid in sorted(box.answered_uids(sorted(here))):
            for row in self.journal.record_answer([here[uid].message_id], "общий ящик", now, "flag"):
                report.answers += 1
                log.debug("заявка «%s» (uid %s): отвечено из общего ящика", row.subject[:60], uid)
        rows = self.journal.awaiting_answer() if here else waiting
        for due in due_followups(rows, policy, self.rules.department.hours, now, since=since):
            if self._stop.is_set():
                return
            if due.kind == ESCALATE:
                self._escalate(box, smtp, due, now)
                report.escalated += 1
            else:
                self._remind(smtp, due, now)
                report.reminded += 1

    def _remind(self, smtp: SmtpSender | _NoSmtp, due: Due, now: datetime) -> None:
        row = due.request
        owner = self.rules.managers.get(row.owner or "")
        if owner is None:  # the manager left the rules: the head hears of it instead
            self._escalate(None, smtp, due, now)
            return
        mail = compose_reminder(
            row, _recipient(owner), self._context(_recipient(owner)), self.templates, waited=due.waited,
            shared_address=self._shared_address(), now=now,
        )  # fmt: skip
        smtp.send(mail, [owner.email])
        self.journal.record_reminder(row.id, now)
        log.debug("напоминание %s: заявка «%s» без ответа %s", owner.id, row.subject[:60], describe_duration(due.waited))

    def _escalate(self, box: Mailbox | None, smtp: SmtpSender | _NoSmtp, due: Due, now: datetime) -> None:
        rules, row = self.rules, due.request
        head = rules.managers[rules.department.head]
        owner = rules.managers.get(row.owner or "")
        new_owner, forward_id = None, None
        if rules.followup is not None and rules.followup.escalate == "reassign" and owner is not None and box is not None:
            new_owner, forward_id = self._reassign(box, smtp, row, owner, due, now)
        ctx = self._context(_recipient(head))
        owner_recipient = _recipient(owner) if owner else Recipient(row.owner or "", row.owner or "—", head.email)
        mail = compose_escalation(
            row, owner_recipient, _recipient(head), ctx, self.templates, waited=due.waited,
            reassigned_to=_recipient(new_owner) if new_owner else None, reminded_at=row.reminded_at,
            shared_address=self._shared_address(), now=now,
        )  # fmt: skip
        recipients = [head.email] + ([owner.email] if owner and owner.email != head.email else [])
        smtp.send(mail, recipients)
        self.journal.record_escalation(
            row.id, now, head.id, new_owner=new_owner.id if new_owner else None, new_forward_id=forward_id
        )
        log.debug(
            "заявка «%s» без ответа %s: %s", row.subject[:60], describe_duration(due.waited),
            f"передана {new_owner.id}" if new_owner else f"сообщено руководителю {head.id}",
        )  # fmt: skip

    def _reassign(
        self, box: Mailbox, smtp: SmtpSender | _NoSmtp, row: RequestRow, owner: Manager, due: Due, now: datetime
    ) -> tuple[Manager | None, str | None]:
        """Forward the request anew to another manager; (None, None) when it cannot be
        (nobody free, or the original is no longer in the mailbox) — the head decides."""
        rules = self.rules
        day = now.astimezone(rules.department.timezone).date()
        load = self.journal.owner_counts(window_start(now, rules.pool.window_days if rules.pool else 30))
        target_id = reassign_target(rules, owner.id, day, load)
        if target_id is None or row.key.folder != box.folder or row.key.uidvalidity != box.uidvalidity:
            return None, None
        raws = list(box.fetch([row.key.uid]))
        if not raws:
            return None, None
        prepared = self.pipeline.prepare_many([raws[0].raw])[0]
        target = rules.managers[target_id]
        reason = (
            f"{owner.name} не ответил(а) клиенту за {describe_duration(due.waited)} рабочего времени "
            f"→ заявка передана вам ([followup] escalate = \"reassign\")"
        )
        decision = Decision(action="forward", owner=target.id, rule=FOLLOWUP_RULE, reasons=(*row.reasons, reason))
        forward = compose_forward(
            raws[0].raw, prepared.msg, prepared.facts, decision, self._context(_recipient(target)), self.templates
        )
        smtp.send(forward, [target.email])
        return target, str(forward["Message-ID"]).strip("<>")

    def _send_report(self, smtp: SmtpSender | _NoSmtp, report: PollReport) -> None:
        """The distribution report, when its period is due. The first time the worker
        sees a schedule it only notes the current period as done: a new installation does
        not mail a report about the weeks before it existed."""
        schedule = self.rules.report
        if schedule is None:
            return
        now = self.clock()
        hours = self.rules.department.hours
        stored = self.journal.get_meta(REPORT_UNTIL)
        period = report_period(schedule, hours, now, datetime.fromisoformat(stored) if stored else None)
        if period is None:
            return
        if stored is None:
            self.journal.set_meta(REPORT_UNTIL, period.until.isoformat())
            return
        recipients = report_recipients(self.rules)
        if not recipients:
            return
        data = build_report(self.journal, self.rules, period.since, period.until, now=now)
        mail = compose_report(data, self._context(recipients[0]), recipients, self.templates, now=now)
        smtp.send(mail, [m.email for m in recipients])
        self.journal.set_meta(REPORT_UNTIL, period.until.isoformat())
        report.reports += 1
        log.debug("отчёт за %s–%s отправлен: %s", period.since.date(), period.until.date(), ", ".join(m.id for m in recipients))

    def _shared_address(self) -> str:
        """The address colleagues copy in their answers (the bot sees the copy there)."""
        rules = self.rules
        if rules.acknowledge is not None and rules.acknowledge.sender:
            return rules.acknowledge.sender
        return rules.department.shared_addresses[0] if rules.department.shared_addresses else ""

    def _meta_time(self, key: str, now: datetime) -> datetime:
        """A moment kept in the journal's meta table, set to `now` the first time."""
        stored = self.journal.get_meta(key)
        if stored is None:
            now = now.replace(microsecond=0)  # as the journal stores its times
            self.journal.set_meta(key, now.isoformat())
            return now
        return datetime.fromisoformat(stored)

    def _context(self, owner: Recipient, base: Recipient | None = None) -> ForwardContext:
        dept = self.rules.department
        return ForwardContext(
            department=dept.name,
            bot_address=Address(dept.name, self.settings.bot_address or dept.bot_address),
            loop_headers=dept.loop_headers,
            owner=owner,
            base_owner=base,
        )

    # -- marking set-up ---------------------------------------------------------

    def _mailbox(self) -> Mailbox:
        m = self.settings.marking
        return Mailbox(
            self.settings.imap, self.settings.folder, marking=m.mode, handled_folder=m.done_folder,
            triage_folder=m.triage_folder, owner_keywords=m.owner_keywords, known=self.marking,
            on_change=self._marking_learnt,
        )  # fmt: skip

    def _marking_learnt(self, marking: Marking) -> None:
        # Kept even when the poll fails afterwards: a fallback is learnt once.
        self.marking = marking

    def _check_marking(self, box: Mailbox, smtp: SmtpSender | _NoSmtp, pending: Sequence[int]) -> None:
        """Before anything is forwarded: a mark must work on this server. If none does,
        the head is told once (MarkingError's text names the server's answer), and the
        poll fails without sending anything; the worker tries again every
        MARKING_RETRY_SECONDS and goes on by itself once a mark works."""
        try:
            box.check_marking(pending[-1] if pending else None)
        except MarkingError as exc:
            self._marking_broken = True
            log.error("пересылка остановлена: %s", exc)
            if (
                self.settings.smtp and self.journal.get_meta(MARKING_ERROR_TOLD) != str(exc)
                and self._tell_head_mailbox(smtp, [str(exc)], stopped=True)
            ):
                self.journal.set_meta(MARKING_ERROR_TOLD, str(exc))
            raise
        if self._marking_broken:
            log.info("отметка писем снова работает (%s): пересылка продолжается", box.marking)
        self._marking_broken = False
        if self.journal.get_meta(MARKING_ERROR_TOLD):
            self.journal.set_meta(MARKING_ERROR_TOLD, "")  # a later failure is told again

    def _tell_marking_notes(self, smtp: SmtpSender | _NoSmtp) -> None:
        """The head hears once of each marking fallback (a keyword the server refused)."""
        notes = list(self.marking.notes) if self.marking else []
        if not notes:
            return
        told = set(json.loads(self.journal.get_meta(MARKING_NOTES_TOLD) or "[]"))
        new = [note for note in notes if note not in told]
        if new and self._tell_head_mailbox(smtp, new, stopped=False):
            self.journal.set_meta(MARKING_NOTES_TOLD, json.dumps(sorted(told | set(new)), ensure_ascii=False))

    def _tell_head_mailbox(self, smtp: SmtpSender | _NoSmtp, details: list[str], *, stopped: bool) -> bool:
        """A mailbox notice to the head; False when there is no head or it did not go."""
        head = self.rules.managers.get(self.rules.department.head)
        if head is None:
            return False
        recipient = Recipient.of(head)
        notice = compose_mailbox_notice(
            self._context(recipient), recipient, details, self.templates, stopped=stopped,
            retry_minutes=MARKING_RETRY_SECONDS // 60, now=self.clock(),
        )  # fmt: skip
        try:
            smtp.send(notice, [head.email])
        except ActionError as exc:
            log.warning("письмо руководителю о пометке писем не отправлено: %s", exc)
            return False
        log.info("руководителю (%s) отправлено письмо о пометке писем в ящике", head.email)
        return True

    def _tell_head(self, smtp: SmtpSender | _NoSmtp, errors: str) -> None:
        head = self.rules.managers.get(self.rules.department.head)
        if head is None:
            return
        recipient = Recipient.of(head)
        notice = compose_rules_error(self._context(recipient), recipient, str(self.holder.path), errors, self.templates)
        try:
            smtp.send(notice, [head.email])
        except ActionError as exc:  # the mail flows on; the log has the errors either way
            log.error("письмо руководителю об ошибке в правилах не отправлено: %s", exc)
            if not exc.permanent:
                self.holder.unreported_error = errors  # tried again next poll
            return
        log.info("руководителю (%s) отправлено письмо об ошибке в правилах", head.email)

    def _forward(
        self, smtp: SmtpSender | _NoSmtp, raw: bytes, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> str:
        """Send the forward alone: the absence notices go after its `forwarded` is
        journalled (`_notify_absent`), so a crash while they are sent never sends the
        forward again."""
        owner = self.rules.managers.get(decision.owner or "")
        if owner is None:
            raise ActionError(f"менеджер «{decision.owner}» не найден в правилах", permanent=True)
        ctx, _ = self._forward_context(msg, decision, owner)
        try:
            forward = compose_forward(raw, msg, facts, decision, ctx, self.templates)
        except Exception as exc:  # a mail the composer chokes on goes to a human; the rest flows
            log.exception("forward of %s could not be composed", msg.message_id)
            raise ActionError(f"пересылку не удалось составить ({type(exc).__name__})", permanent=True) from exc
        smtp.send(forward, [owner.email])
        return str(forward["Message-ID"]).strip("<>")

    def _forward_context(self, msg: ParsedMessage, decision: Decision, owner: Manager) -> tuple[ForwardContext, date | None]:
        rules = self.rules
        # The absence was decided by the mail's day; the texts say until when it lasts.
        day = day_in(rules, msg.date) or day_in(rules, self.clock())
        base = rules.managers.get(decision.base_owner) if decision.base_owner else None
        return self._context(_recipient(owner), _recipient(base, day, rules) if base else None), day

    def _notify_absent(
        self, smtp: SmtpSender | _NoSmtp, key: MessageKey, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> None:
        """Tell each absent manager whose request went to whom, once: journalled after
        the last one went. A transient SMTP failure raises (the poll is retried and the
        notices with it, never the forward); a permanent one is logged and not retried."""
        rules = self.rules
        owner = rules.managers.get(decision.owner or "")
        if owner is not None:
            ctx, day = self._forward_context(msg, decision, owner)
            for manager_id in decision.notify:
                absent = rules.managers.get(manager_id)
                if absent is None:
                    continue
                try:
                    notice = compose_absence_notice(
                        msg, facts, decision, ctx, _recipient(absent, day, rules), self.templates
                    )
                except Exception:  # the forward went; a notice the composer chokes on is only logged
                    log.exception("absence notice of %s could not be composed", msg.message_id)
                    continue
                try:
                    smtp.send(notice, [absent.email])
                except ActionError as exc:
                    if not (exc.permanent or exc.about_message):
                        raise  # the server fails as a whole: the poll is retried, the notice with it
                    # Refused for this recipient (for good, or "mailbox full"): a notice is not
                    # worth stopping the mailbox for, which retrying it in front of every poll would.
                    log.error("uid %s: уведомление об отсутствии для %s не отправлено: %s", key.uid, absent.email, exc)
        self.journal.mark_notified(key, at=self.clock())

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
            if summary := poll_summary(report):
                log.info("%s", summary)
        except (FetchError, ActionError, ExtractionError) as exc:
            # A poll that handled mail before it failed shows the servers work: the
            # backoff starts over instead of growing from the last outage.
            self.failures = 1 if self.last_report.progressed else self.failures + 1
            log.warning("сбой (попытка %d): %s; повтор через %d с", self.failures, exc, self.backoff_seconds())
        finally:
            self._busy.release()

    def backoff_seconds(self) -> int:
        if not self.failures:
            return self.settings.poll_seconds
        if self._marking_broken:
            return max(MARKING_RETRY_SECONDS, self.settings.poll_seconds)
        return int(min(MAX_BACKOFF_SECONDS, 5 * 2 ** min(self.failures - 1, 10)))

    def run_forever(self) -> None:
        """Poll every `poll_seconds` (or sooner after a failure, with backoff) until
        SIGTERM/SIGINT; a poll in progress finishes its current message first."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self.guarded_poll, "date", run_date=datetime.now(UTC), id="poll",
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )

        def reschedule(event: object) -> None:
            if not self._stop.is_set():
                run_at = datetime.fromtimestamp(time.time() + self.backoff_seconds(), tz=UTC)
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


def poll_summary(report: PollReport) -> str:
    """The poll's one log line (empty when nothing happened): what came in and what was
    done with it, answers seen and follow-ups sent. Per-mail lines are at DEBUG (-v)."""
    parts = []
    if report.seen:
        parts.append(
            f"писем {report.seen}: переслано {report.forwarded}, помечено {report.tagged}, "
            f"не заявки {report.skipped}, на ручной разбор {report.triaged}"
            + (f", ждут SMTP-сервер {report.waiting}" if report.waiting else "")
            + (f", копии ждут первое письмо {report.held}" if report.held else "")
            + (f", отмечено пересланных ранее {report.marked_only}" if report.marked_only else "")
        )
    for count, what in ((report.answers, "замечено ответов"), (report.reminded, "напоминаний"),
                        (report.escalated, "эскалаций"), (report.reports, "отчётов")):  # fmt: skip
        if count:
            parts.append(f"{what} {count}")
    return "опрос: " + "; ".join(parts) if parts else ""


@dataclass(slots=True)
class _Work:
    """One mail between its decision and its mark."""

    raw: RawMessage
    key: MessageKey
    msg: ParsedMessage
    facts: Facts
    decision: Decision
    state: str  # journal state: DECIDED, FORWARDED or MARKED
    forwarded_now: bool = False  # forwarded in this poll (not only marked after an earlier one)


def _failed(exc: Exception) -> str:
    return f"письмо не удалось обработать: ошибка программы ({type(exc).__name__}); подробности в журнале работы"


def _stored_decision(entry: Entry) -> Decision:
    assert entry.decision is not None
    return Decision.from_dict(entry.decision["decision"])  # type: ignore[arg-type]


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


def _recipient(manager: Manager, day: date | None = None, rules: Rules | None = None) -> Recipient:
    """A manager as a mail names them; with `day`, until when they are away (if they are)."""
    absence = rules.absence_on(manager.id, day) if rules is not None and day is not None else None
    return Recipient.of(manager, absence.end if absence else None)


def _details(facts: Facts) -> dict[str, object]:
    company = facts.company
    region = facts.region
    return {
        "company": {"name": company.name, "inn": company.inn} if company else None,
        "region": {"code": region.code, "name": region.name, "district": region.district} if region else None,
        "client_address": facts.client_address.email if facts.client_address else None,
    }
