"""One batch of fetched mail: decided in runs, each run's effects then run and marked.

How a fetched mail enters the planner (resumed, held, decided, adopted, a duplicate) is
plan.intake; what is then done with it is plan.plan, performed by effects.EffectRunner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence

from inboxbot.errors import ActionError, FetchError
from inboxbot.io.imap import Mailbox, RawMessage
from inboxbot.mail.message import ParsedMessage, parse_headers
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.records import Entry, MessageKey
from inboxbot.route.conditions.repeat import to_remember
from inboxbot.run.context import RunContext, recorded_absences
from inboxbot.run.credit_command import CreditCommands
from inboxbot.run.effects import EffectRunner, Work
from inboxbot.run.failpoints import failpoint
from inboxbot.run.followups import FollowUps
from inboxbot.run.ledger_command import LedgerCommands
from inboxbot.run.outbox import Sender
from inboxbot.run.pending_ledger import PendingLedger
from inboxbot.run.pipeline import Pipeline, Prepared, duplicate_of, quarantine
from inboxbot.run.plan import Intake, State, intake
from inboxbot.run.pollreport import PollReport
from inboxbot.run.presence_command import PresenceCommands
from inboxbot.run.releases import Releases

log = logging.getLogger(__name__)

FIRST_BATCH = 8


def batches(fetched: Iterator[RawMessage], batch_size: int, stop: threading.Event) -> Iterator[list[RawMessage]]:
    """A first batch of FIRST_BATCH mails, then batches of `batch_size`: the first
    forward of a backlog goes out after a few mails are prepared, not after a whole
    batch (a worker restarted in a loop every few seconds still makes progress),
    while the child processes already prepare the next batch."""
    batch: list[RawMessage] = []
    size = min(FIRST_BATCH, batch_size)
    for raw in fetched:
        failpoint("after_fetch")
        batch.append(raw)
        if len(batch) >= size:
            yield batch
            batch = []
            size = batch_size
        if stop.is_set():
            return
    if batch:
        yield batch


class Batches:
    """The handling of one poll's batches: `pending` is the mailbox's pending mail in this
    poll (a first copy listed there is still alive)."""

    def __init__(
        self, ctx: RunContext, runner: EffectRunner, followups: FollowUps, pipeline: Pipeline,
        pending: set[MessageKey], releases: Releases, commands: LedgerCommands,
    ) -> None:
        self.ctx = ctx
        self.runner = runner
        self.followups = followups
        self.pipeline = pipeline
        self.pending = pending
        self.releases = releases
        self.commands = commands
        self.presence = PresenceCommands(ctx)
        self.credits = CreditCommands(ctx)
        self.store = ctx.store
        self.clock = ctx.clock

    def handle(
        self, box: Mailbox, smtp: Sender, batch: Sequence[RawMessage], prepared: list[Prepared],
        report: PollReport,
    ) -> None:
        """Decide, forward and mark a batch in runs: the decisions of a run one by one, in
        order (each sees the ones before it), then its forwards in the same order, then
        its marks, a few IMAP commands for the whole run.

        The journal groups its commits (Store.grouped): each is written at once, so a
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
        # Refused "for now" with nothing sent after them yet (see effects.EffectRunner.act).
        waiting: list[Work] = []
        with self.store.grouped():
            start = 0
            while start < len(batch) and not self.ctx.stopping:
                run, start = self._decide_run(batch, prepared, start, report)
                self.store.sync()
                done: list[Work] = []
                try:
                    for work in run:
                        if self.ctx.stopping:
                            break  # decided, not acted on: the next poll finishes it
                        try:
                            self.runner.act(box, smtp, work, report, done, waiting)
                        except (ActionError, FetchError):
                            raise  # a server failing: the poll stops and is retried
                        except Exception as exc:  # a bug this one mail trips: it goes to a human
                            log.exception("uid %s could not be handled", work.raw.uid)
                            if work.state is State.DECIDED:
                                self.runner.quarantine(box, work, failed(exc), report)
                            else:  # its forward went out: the owner has it, only mark it
                                done.append(work)
                finally:
                    self.runner.mark_all(box, done, report)
        if waiting:
            # Nothing went out after them: maybe the server refuses every mail. The poll
            # counts as failed (backoff); they wait in the mailbox, journalled `decided`.
            raise waiting[-1].refusal or AssertionError("a waiting mail without its refusal")

    def _decide_run(
        self, batch: Sequence[RawMessage], prepared: list[Prepared], start: int, report: PollReport
    ) -> tuple[list[Work], int]:
        run: list[Work] = []
        ids: set[str] = set()
        hashes: set[str] = set()
        ledger = PendingLedger(self.store.ledger)
        index = start
        while index < len(batch) and not self.ctx.stopping:
            msg = prepared[index].msg
            if run and ((msg.has_message_id and msg.message_id in ids) or msg.content_hash in hashes):
                break
            ids.add(msg.message_id)
            hashes.add(msg.content_hash)
            report.seen += 1
            try:
                work = self._decide(batch[index], prepared[index], report, ledger)
            except Exception as exc:  # a bug this one mail trips: it goes to a human, the rest flows
                log.exception("uid %s could not be decided", batch[index].uid)
                work = self._quarantined(batch[index], failed(exc))
            if work is not None:
                run.append(work)
                if work.state is not State.MARKED:  # its first assignment, if any, is still to be written
                    ledger.add(work.decision, self.clock(), work.msg.message_id)
            index += 1
        return run, index

    def _quarantined(self, raw: RawMessage, reason: str) -> Work:
        """A mail whose handling failed, decided for manual triage with `reason`. If the
        journal refuses this one row, the mail is still marked for triage, only without
        its row; a journal that fails as a whole fails the poll at the marks (journalled
        before they are set), and the mail stays pending."""
        key = MessageKey(raw.folder, raw.uidvalidity, raw.uid)
        msg, decision = parse_headers(raw.raw, reason), quarantine(reason)
        try:
            self.store.messages.record_decision(key, msg, decision, seen_at=self.clock())
        except Exception:
            log.exception("uid %s: quarantine not journalled", raw.uid)
        return Work(raw, key, msg, Facts(), decision, State.DECIDED)

    def _decide(self, raw: RawMessage, prepared: Prepared, report: PollReport, ledger: PendingLedger) -> Work | None:
        """The mail's decision, journalled; None when it is a second copy of a mail whose
        first copy still waits in the mailbox (it stays pending, undecided, until the
        first copy is forwarded or handed to a human, and is then a duplicate)."""
        key = MessageKey(raw.folder, raw.uidvalidity, raw.uid)
        entry = self.store.messages.entry(key)
        decided = entry is not None and entry.decision is not None
        msg = prepared.msg
        copy = None if decided else self.store.messages.find_copy(msg.message_id, msg.content_hash, has_message_id=msg.has_message_id)
        how = intake(
            decided=decided, copy=State(copy.state) if copy else None, copy_pending=copy is not None and copy.key in self.pending
        )
        if how is Intake.RESUME:
            assert entry is not None
            # The facts only feed the forward's text: the stored decision is acted on.
            report.finished += 1
            decision = stored_decision(entry)
            self._remember(msg, prepared.facts, decision)  # a kill may have come before it
            return Work(raw, key, msg, prepared.facts, decision, State(entry.state))
        if how is Intake.HOLD:
            assert copy is not None
            log.debug("uid %s: копия письма uid %s, которое ещё ждёт отправки, — подождёт с ним", raw.uid, copy.key.uid)
            report.held += 1
            return None
        mail_command = self.commands.note(msg) if how is Intake.DECIDE else None
        if mail_command is None and how is Intake.DECIDE:
            mail_command = self.presence.note(msg) or self.credits.note(msg)  # «сегодня нет: …», «не в счёт: …»
        if mail_command is None:  # a command is not an answer to the client
            self.followups.note_answer(msg, report)
        if mail_command is not None:
            facts, decision = prepared.facts, mail_command  # «передать Сидорову» and the like: never routed
        elif how is Intake.DECIDE and (command := self.releases.note(msg)) is not None:
            facts, decision = prepared.facts, command  # the head's reply to a digest: never routed
        elif how is Intake.DECIDE:
            today = self.clock().astimezone(self.ctx.rules.department.timezone).date()
            outcome = self.pipeline.decide(
                prepared, self.store.history, received_at=self.clock(), ledger=ledger, recent=self.store.repeats,
                absences=recorded_absences(self.store, self.ctx.rules, today),
            )
            msg, facts, decision = outcome.msg, outcome.facts, outcome.decision
        elif how is Intake.ADOPT:
            assert copy is not None
            facts, decision = prepared.facts, stored_decision(copy)
        else:
            assert copy is not None
            facts, decision = prepared.facts, duplicate_of(copy.owner, msg.message_id)
        kept = self.store.messages.record_decision(key, msg, decision, details=details(facts), seen_at=self.clock())
        if kept.decision is not None and (kept.action, kept.owner, kept.rule) != (decision.action, decision.owner, decision.rule):
            # Another worker sharing the store decided this mail first: its decision stands.
            decision = stored_decision(kept)
        self._remember(msg, facts, decision)
        failpoint("after_decide")
        return Work(raw, key, msg, facts, decision, State.DECIDED)

    def _remember(self, msg: ParsedMessage, facts: Facts, decision: Decision) -> None:
        """A forwarded request joins its sender's recent ones as soon as it is decided, so
        a copy later in the same run is already recognised as its repeat."""
        request = to_remember(self.ctx.rules, msg, facts, decision, self.clock())
        if request is not None:
            self.store.repeats.remember(request)


def failed(exc: Exception) -> str:
    return f"письмо не удалось обработать: ошибка программы ({type(exc).__name__}); подробности в журнале работы"


def stored_decision(entry: Entry) -> Decision:
    assert entry.decision is not None
    return Decision.from_dict(entry.decision["decision"])  # type: ignore[arg-type]


def details(facts: Facts) -> dict[str, object]:
    company = facts.company
    region = facts.region
    return {
        "company": {"name": company.name, "inn": company.inn} if company else None,
        "region": {"code": region.code, "name": region.name, "district": region.district} if region else None,
        "client_address": facts.client_address.email if facts.client_address else None,
    }
