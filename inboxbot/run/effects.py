"""The effect runner: performs a mail's planned effects (plan.py) in their order, each
journalled after it succeeded, the marks of a whole run at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from inboxbot.errors import ActionError
from inboxbot.io.imap import Mailbox, RawMessage
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import CREDIT_COMMAND_RULE, PRESENCE_COMMAND_RULE, Decision
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey
from inboxbot.route.conditions.ledger import first_assignments, renew_before
from inboxbot.run.claims import MailClaims
from inboxbot.run.conflicts import DisputeDesk
from inboxbot.run.context import RunContext
from inboxbot.run.credit_command import CreditCommands
from inboxbot.run.failpoints import failpoint
from inboxbot.run.ledger_command import LedgerCommands
from inboxbot.run.outbox import Outbox, Sender
from inboxbot.run.plan import (
    MARKED_ROW,
    Acknowledge,
    Claim,
    Command,
    Effect,
    Forward,
    Journalled,
    Mark,
    MarkTriage,
    NotifyAbsent,
    Quarantine,
    RaiseDisputes,
    Record,
    RecordFailure,
    State,
    StopPoll,
    Wait,
    batched,
    overtaken,
    plan,
    refused,
)
from inboxbot.run.pollreport import Handled, PollReport
from inboxbot.run.presence_command import PresenceCommands

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Work:
    """One mail between its decision and its mark."""

    raw: RawMessage
    key: MessageKey
    msg: ParsedMessage
    facts: Facts
    decision: Decision
    state: State
    forwarded_now: bool = False  # forwarded in this poll (not only marked after an earlier one)
    forward_id: str = ""  # the Message-ID of the forward sent in this poll
    refusal: ActionError | None = None  # why the SMTP server did not take its forward


class EffectRunner:
    def __init__(self, ctx: RunContext, outbox: Outbox, commands: LedgerCommands) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.commands = commands
        self.store = ctx.store
        self.clock = ctx.clock
        self.disputes = DisputeDesk(ctx)
        self.presence = PresenceCommands(ctx)
        self.credits = CreditCommands(ctx)
        self.claims = MailClaims(ctx.store.messages, ctx.settings.worker_id, ctx.settings.lease_seconds)

    def act(
        self, box: Mailbox, smtp: Sender, work: Work, report: PollReport, to_mark: list[Work],
        waiting: list[Work],
    ) -> None:
        """Perform the mail's planned effects up to its mark, each journalled after it
        succeeded; the mark and the journal around it are left to `mark_all`, for the
        whole run (`to_mark`). A forward refused "for now" leaves the mail in `waiting`."""
        key, decision = work.key, work.decision
        if work.state is not State.MARKED and not self.claim(work):
            # Another worker on the shared store has it (two polled the same mailbox, or
            # a lease changed hands): it forwards and marks it, this one sends nothing.
            log.info("uid %s: письмо обрабатывает другой рабочий процесс", work.raw.uid)
            report.elsewhere += 1
            return
        forwarded = work.state is State.FORWARDED
        journalled = Journalled(
            work.state,
            notified=forwarded and bool(decision.notify) and self.store.messages.notified(key),
            acked=forwarded and decision.forwards and self.store.requests.acked(key),
        )
        for effect in plan(journalled, decision):
            if batched(effect):
                continue
            if not self._perform(box, smtp, work, effect, report, waiting):
                return
        to_mark.append(work)
        report.handled.append(Handled.of(work.key, work.msg, decision))
        log.debug(
            "uid %s %s → %s [%s] %s",
            work.raw.uid,
            work.msg.subject[:60],
            decision.owner or "—",
            decision.rule,
            decision.summary,
        )

    def claim(self, work: Work) -> bool:
        """The mail's row claimed for this process in the state it was found in, before any
        of its effects (the forward first): of two processes exactly one gets it, on one
        machine under one worker id too (`run --once` beside a serving `run`). Held for a
        lease's time, renewed by this process's next claim; a restarted worker takes over
        its killed incarnation's claim at once (run/claims.py), any other dead holder's
        claim lapses, and its mail is then finished by another."""
        return self.claims.take(work.key, work.state.value)

    def _perform(
        self, box: Mailbox, smtp: Sender, work: Work, effect: Effect, report: PollReport,
        waiting: list[Work],
    ) -> bool:
        """One effect of the act phase; False when the mail's effects stop here (its forward
        was refused: it waits, or went to a human)."""
        key, msg, decision = work.key, work.msg, work.decision
        match effect:
            case Forward():
                failpoint("before_smtp")
                try:
                    work.forward_id = self.outbox.forward(smtp, work.raw.raw, msg, work.facts, decision)
                except ActionError as exc:
                    work.refusal = exc
                    for step in refused(str(exc), permanent=exc.permanent, about_message=exc.about_message):
                        self._perform(box, smtp, work, step, report, waiting)
                    return False
                failpoint("after_smtp")
            case Record(state=State.FORWARDED):
                self.store.messages.mark_forwarded(key, work.forward_id, decision.owner or "", decision.rule, at=self.clock())
                failpoint("after_forwarded")
                work.state = State.FORWARDED
                work.forwarded_now = True
                self._give_up_if_overtaken(box, waiting, report)  # a forward went out: the server works
            case Claim():
                now = self.clock()
                written = self.store.ledger.claim(
                    first_assignments(decision, now, msg.message_id), renew_before=renew_before(self.ctx.rules, now)
                )
                if written:
                    log.info("uid %s: клиент закреплён за %s (%s)", work.raw.uid, decision.base_owner or decision.owner,
                             ", ".join(k.describe() for k in written))  # fmt: skip
            case Command() if decision.rule == CREDIT_COMMAND_RULE:
                self.credits.carry_out(smtp, msg)
                failpoint("after_command")
            case Command() if decision.rule == PRESENCE_COMMAND_RULE:
                self.presence.carry_out(smtp, msg)
                failpoint("after_command")
            case Command():
                self.commands.carry_out(smtp, msg)
                failpoint("after_command")
            case RaiseDisputes():
                self.disputes.raise_all(smtp, msg, decision)
            case NotifyAbsent(managers=managers):
                self.outbox.notify_absent(smtp, key, msg, work.facts, decision, managers)
            case Acknowledge():
                if self.outbox.acknowledge(smtp, key, msg, work.facts, decision):
                    report.acknowledged += 1
            case RecordFailure(error=error, about_message=about_message):
                self.store.messages.record_failure(key, error, about_message=about_message)
            case Quarantine(reason=reason):
                self.quarantine(box, work, reason, report)
            case Wait():
                log.warning("uid %s: SMTP-сервер пока не принял пересылку, письмо подождёт: %s", work.raw.uid, work.refusal)
                waiting.append(work)
                report.waiting += 1
            case StopPoll():
                assert work.refusal is not None
                raise work.refusal
            case _:
                raise AssertionError(f"not an act-phase effect: {effect}")
        return True

    def _give_up_if_overtaken(self, box: Mailbox, waiting: list[Work], report: PollReport) -> None:
        """A forward just went out, after the ones in `waiting` were refused "for now":
        the server works, so their refusal is about them. Each one refused like that for
        GIVE_UP_AFTER goes to manual triage; the others are tried again next poll."""
        now = self.clock()
        for work in waiting:
            if overtaken(self.store.messages.failing_since(work.key), now):
                report.waiting -= 1
                self.quarantine(box, work, str(work.refusal), report)
        waiting.clear()

    def quarantine(self, box: Mailbox, work: Work, reason: str, report: PollReport) -> None:
        log.error("uid %s: пересылка невозможна, письмо оставлено на ручной разбор: %s", work.raw.uid, reason)
        box.mark_triage(work.raw.uid)
        self.store.messages.mark_done(work.key, error=reason)  # the reason stays for the human
        report.triaged += 1

    def mark_all(self, box: Mailbox, works: list[Work], report: PollReport) -> None:
        """The batched tail of each mail's plan (its mark and the `marked` row around it),
        for a whole run: one IMAP command per owner (and one per triaged mail) instead of
        one per mail, one journal transaction each side of them, each mail's planned order
        kept. A crash before the marks leaves the mail pending and the journal says how far
        it got: `forwarded` → the next run sets only the mark; `marked` → the same."""
        if not works:
            return
        tails = [(work, [e for e in plan(Journalled(work.state, True, True), work.decision) if batched(e)]) for work in works]
        self.store.messages.mark_done_many([work.key for work, tail in tails if tail[0] == MARKED_ROW])
        self.store.sync()  # see batch.Batches.handle: `forwarded` durable before the mark
        by_owner: dict[str | None, list[int]] = {}
        for work, tail in tails:
            for effect in tail:
                if isinstance(effect, MarkTriage):
                    box.mark_triage(work.raw.uid)
                elif isinstance(effect, Mark):
                    by_owner.setdefault(effect.owner, []).append(work.raw.uid)
        for owner, uids in by_owner.items():
            box.mark_many(uids, owner)
        for work in works:
            failpoint("after_mark")  # passed once per mail, as the points are documented
            if work.state is State.MARKED:
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
        self.store.messages.mark_done_many([work.key for work, tail in tails if tail[0] != MARKED_ROW and tail[-1] == MARKED_ROW])
