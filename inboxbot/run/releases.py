"""Skipped mail released by the head's reply to the digest («переслать 2»).

In the poll (`note`), a reply to a digest is kept in the journal as a command and is
itself journalled as skipped under DIGEST_REPLY_RULE (never listed, never routed). After
the poll (`carry_out`, with the report), each open command is carried out, every step
journalled once, in the order plan.py keeps for forwards:

    claim (the release's decision) → forward → finish (released) → … → answer → close

A kill between the forward and `finish` sends the forward again under the same
deterministic Message-ID (the manager's client collapses the two), as for any forward;
a kill after `finish` never sends it again; a kill before `close` answers the head again
under the same Message-ID. The release is decided with the rules minus every
not_a_request rule and the rule that skipped the mail; everything else as usual.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from inboxbot.compose.acknowledgement import machine_mail
from inboxbot.compose.skipped_digest import Outcome, compose_release_answer
from inboxbot.io.imap import Mailbox
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import DIGEST_REPLY_RULE, Decision, Step
from inboxbot.route.decide import decide
from inboxbot.rules.model import Rules
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.failpoints import failpoint
from inboxbot.run.outbox import Outbox, Sender
from inboxbot.run.pipeline import Pipeline
from inboxbot.run.pollreport import PollReport
from inboxbot.run.release_command import read_command, refusal_of_sender, unknown_numbers
from inboxbot.store.interfaces import DigestItem, ReleaseCommand

log = logging.getLogger(__name__)

GONE = "письма уже нет в общем ящике — переслать нечего"
NOT_A_REQUEST = "not_a_request"


def released_rules(rules: Rules, skipped_by: str | None) -> Rules:
    """`rules` without the rules that skip a mail as no request: every not_a_request
    rule and `skipped_by` (the rule that skipped this one)."""
    kept = tuple(r for r in rules.rules if r.when != NOT_A_REQUEST and r.id != skipped_by)
    return dataclasses.replace(rules, rules=kept)


def reply_decision(refusal: str | None) -> Decision:
    reason = "ответ руководителя на сводку неотправленных писем" + (f": отказано ({refusal})" if refusal else "")
    return Decision(action="skip", owner=None, rule=DIGEST_REPLY_RULE, reasons=(reason,),
                    trail=(Step(DIGEST_REPLY_RULE, True, reason),))  # fmt: skip


class Releases:
    def __init__(self, ctx: RunContext, pipeline: Callable[[], Pipeline], outbox: Outbox) -> None:
        self.ctx = ctx
        self.pipeline = pipeline  # the one in force (a rules reload replaces it)
        self.outbox = outbox
        self.store = ctx.store

    # -- in the poll ---------------------------------------------------------

    def note(self, msg: ParsedMessage) -> Decision | None:
        """The decision for a reply to a digest, its command journalled; None for any
        other mail. The bot's own mail (a loop header, the bot's address) is never one."""
        dept = self.ctx.rules.department
        sender = msg.sender.email.lower() if msg.sender else ""
        if sender in ((self.ctx.settings.bot_address or dept.bot_address).lower(), *dept.shared_addresses):
            return None
        if any(msg.header(name) is not None for name in dept.loop_headers):
            return None
        if machine_mail(msg, self.ctx.rules) is not None:
            return None  # the head's out-of-office quoting «переслать 2» decides nothing
        digest_id = self.store.releases.digest_of(msg.thread_ids)
        if digest_id is None:
            return None
        refusal = refusal_of_sender(msg, self.ctx.rules)
        command = read_command(msg.text)
        if refusal:
            log.warning("ответ на сводку от %s отклонён: %s", sender or "без адреса", refusal)
        command_row = ReleaseCommand(msg.message_id, digest_id, sender, command.numbers, refusal or command.refusal,
                                     self.ctx.clock())  # fmt: skip
        self.store.releases.record_command(command_row)
        return reply_decision(refusal)

    # -- after the poll --------------------------------------------------------

    def pending(self) -> bool:
        return bool(self.store.releases.open_commands())

    def carry_out(self, boxes: Sequence[Mailbox], smtp: Sender, report: PollReport) -> None:
        """Every open command: its releases (each mail fetched from its mailbox among
        `boxes`), then the answer to whoever sent it."""
        for command in self.store.releases.open_commands():
            if self.ctx.stopping:
                return
            items = self.store.releases.items(command.digest_id)
            refusal = command.refusal
            numbers = command.numbers if command.numbers is not None else tuple(i.number for i in items)
            if refusal is None:
                refusal = unknown_numbers(numbers, len(items))
            outcomes = [] if refusal else [self._release(boxes, smtp, items[n - 1], report) for n in numbers]
            self._answer(smtp, command, outcomes, refusal)

    def _release(self, boxes: Sequence[Mailbox], smtp: Sender, item: DigestItem, report: PollReport) -> Outcome:
        if item.released:
            return Outcome(item.number, "", item.outcome or "уже переслано ранее")
        raw = None
        for box in boxes:
            if (item.key.folder, item.key.uidvalidity) == (box.key_folder, box.uidvalidity):
                raw = next(iter(box.fetch([item.key.uid])), None)
        now = self.ctx.clock()
        if raw is None:
            self.store.releases.finish(item.digest_id, item.number, GONE, now, released=False)
            return Outcome(item.number, "", GONE)
        pipeline = self.pipeline()
        prepared = pipeline.prepare_many([raw.raw])[0]
        msg = prepared.msg
        if item.decision is None:
            entry = self.store.messages.entry(item.key)
            rules = released_rules(self.ctx.rules, entry.rule if entry else None)
            decision = decide(msg, prepared.facts, rules, self.store.history, received_at=now)
            item = self.store.releases.claim(item.digest_id, item.number, decision.to_dict(), now)
        assert item.decision is not None
        decision = Decision.from_dict(item.decision)
        if decision.forwards:
            self.outbox.forward(smtp, raw.raw, msg, prepared.facts, decision)
            failpoint("after_release_smtp")
        outcome = self._describe(decision)
        self.store.releases.finish(item.digest_id, item.number, outcome, self.ctx.clock(), released=True)
        report.released += 1
        log.info("письмо «%s» отпущено из сводки: %s", msg.subject[:60], outcome)
        return Outcome(item.number, msg.subject, outcome)

    def _describe(self, decision: Decision) -> str:
        owner = self.ctx.rules.managers.get(decision.owner or "")
        if decision.forwards and owner is not None:
            return f"переслано: {owner.name} ({decision.summary})"
        if decision.action == "tag" and owner is not None:
            return f"по правилам только помечено для: {owner.name} ({decision.summary})"
        if decision.action == "skip":
            return f"правила снова не пересылают его: {decision.summary}"
        return f"оставлено на ручной разбор: {decision.summary}"

    def _answer(self, smtp: Sender, command: ReleaseCommand, outcomes: list[Outcome], refusal: str | None) -> None:
        rules = self.ctx.rules
        head = rules.managers.get(rules.department.head)
        name = head.name if head is not None and head.email.lower() == command.sender else ""
        now: datetime = self.ctx.clock()
        ctx = self.ctx.forward_context(recipient(head)) if head is not None else None
        if ctx is None or not command.sender:
            self.store.releases.close_command(command.command_id, now)
            return
        answer = compose_release_answer(command.command_id, command.digest_id, (command.sender, name), outcomes,
                                        refusal, ctx, self.ctx.templates, now=now)  # fmt: skip
        smtp.send(answer, [command.sender])
        self.store.releases.close_command(command.command_id, now)
        log.info("ответ на команду из сводки отправлен: %s", command.sender)
