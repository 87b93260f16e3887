"""Follow-ups of forwarded requests: answers seen (a colleague's reply in the thread, or
\\Answered in the shared mailbox), then the reminders and escalations due (schedule.py),
each journalled after it went."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from inboxbot.compose.context import Recipient
from inboxbot.compose.followup import compose_escalation, compose_reminder
from inboxbot.compose.forward import compose_forward
from inboxbot.io.imap import Mailbox
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.domains import domain_in
from inboxbot.model.records import RequestRow
from inboxbot.model.worktime import describe_duration
from inboxbot.rules.model import Department, Manager, window_start
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.handover import learn_from_answer
from inboxbot.run.outbox import Sender
from inboxbot.run.pipeline import Pipeline
from inboxbot.run.pollreport import PollReport
from inboxbot.run.schedule import ESCALATE, Due, due_followups, reassign_target

log = logging.getLogger(__name__)

FOLLOWUP_RULE = "followup"
# Journal meta key: when follow-ups were switched on (older forwards are left alone).
FOLLOWUP_SINCE = "followup_since"


def is_answer(msg: ParsedMessage, dept: Department, bot_address: str) -> bool:
    """Whether `msg`, seen in the shared mailbox, is a colleague's answer to a client: an
    internal sender (not the bot, not a shared address), in a thread, not the bot's own
    mail, with an outside recipient. Pure: the part of note_answer a test can feed."""
    sender = msg.sender.email.lower() if msg.sender else ""
    if not sender or sender == bot_address or sender in dept.shared_addresses:
        return False
    if not domain_in(sender.rpartition("@")[2], dept.internal_domains) or not msg.thread_ids:
        return False
    if any(msg.header(name) is not None for name in dept.loop_headers):
        return False
    return any(not domain_in(a.email.rpartition("@")[2], dept.internal_domains) for a in (*msg.to, *msg.cc))


class FollowUps:
    def __init__(self, ctx: RunContext, pipeline: Callable[[], Pipeline]) -> None:
        self.ctx = ctx
        self.pipeline = pipeline  # the one in force (a rules reload replaces it)
        self.store = ctx.store
        self.clock = ctx.clock

    def note_answer(self, msg: ParsedMessage, report: PollReport) -> None:
        """A colleague's reply to the client with the shared address in copy: the
        requests of that thread are answered. The bot's own mail does not count, nor
        does a colleague forwarding the request inside the company (no outside
        recipient: the client has not heard from anyone)."""
        dept = self.ctx.rules.department
        if not is_answer(msg, dept, self.ctx.settings.bot_address or dept.bot_address):
            return
        assert msg.sender is not None
        sender = msg.sender.email.lower()
        by = next((m.id for m in self.ctx.rules.managers.values() if m.email == sender), sender)
        now = self.clock()
        at = msg.date if msg.date is not None and msg.date <= now else now
        for row in self.store.requests.record_answer(msg.thread_ids, by, at, "reply"):
            report.answers += 1
            log.debug("заявка «%s» (uid %s): ответ от %s", row.subject[:60], row.key.uid, by)
            learned = learn_from_answer(self.store, self.ctx.rules, row, by, now)
            if learned is not None and learned.change is not None:
                log.info("заявку «%s» вместо %s ведёт ответивший %s (изменение №%d)", row.subject[:60], row.owner, by,
                         learned.change.id)  # fmt: skip

    def note_flagged(self, box: Mailbox, report: PollReport) -> None:
        """Requests of this mailbox answered from it: their mail flagged \\Answered."""
        if self.ctx.rules.followup is None:
            return
        now = self.clock()
        waiting = self.store.requests.awaiting_answer()
        here = {r.key.uid: r for r in waiting if r.key.folder == box.key_folder and r.key.uidvalidity == box.uidvalidity}
        for uid in sorted(box.answered_uids(sorted(here))):
            for row in self.store.requests.record_answer([here[uid].message_id], "общий ящик", now, "flag"):
                report.answers += 1
                log.debug("заявка «%s» (uid %s): отвечено из общего ящика", row.subject[:60], uid)

    def send_due(self, boxes: list[Mailbox], smtp: Sender, report: PollReport) -> None:
        """The reminders and escalations due, of every mailbox's requests; `boxes`: the
        mailboxes open in this process (a reassignment fetches the original from its own;
        one of another mailbox goes to the head instead)."""
        policy = self.ctx.rules.followup
        if policy is None:
            return
        now = self.clock()
        since = self._meta_time(FOLLOWUP_SINCE, now)
        rows = self.store.requests.awaiting_answer()
        for due in due_followups(rows, policy, self.ctx.rules.department.hours, now, since=since):
            if self.ctx.stopping:
                return
            if due.kind == ESCALATE:
                key = due.request.key
                box = next((b for b in boxes if (b.key_folder, b.uidvalidity) == (key.folder, key.uidvalidity)), None)
                self._escalate(box, smtp, due, now)
                report.escalated += 1
            else:
                self._remind(smtp, due, now)
                report.reminded += 1

    def _remind(self, smtp: Sender, due: Due, now: datetime) -> None:
        row = due.request
        owner = self.ctx.rules.managers.get(row.owner or "")
        if owner is None:  # the manager left the rules: the head hears of it instead
            self._escalate(None, smtp, due, now)
            return
        mail = compose_reminder(
            row, recipient(owner), self.ctx.forward_context(recipient(owner)), self.ctx.templates, waited=due.waited,
            shared_address=self.ctx.shared_address(), now=now,
        )  # fmt: skip
        smtp.send(mail, [owner.email])
        self.store.requests.record_reminder(row.id, now)
        log.debug("напоминание %s: заявка «%s» без ответа %s", owner.id, row.subject[:60], describe_duration(due.waited))

    def _escalate(self, box: Mailbox | None, smtp: Sender, due: Due, now: datetime) -> None:
        rules, row = self.ctx.rules, due.request
        head = rules.managers[rules.department.head]
        owner = rules.managers.get(row.owner or "")
        new_owner, forward_id = None, None
        if rules.followup is not None and rules.followup.escalate == "reassign" and owner is not None and box is not None:
            new_owner, forward_id = self._reassign(box, smtp, row, owner, due, now)
        ctx = self.ctx.forward_context(recipient(head))
        owner_recipient = recipient(owner) if owner else Recipient(row.owner or "", row.owner or "—", head.email)
        mail = compose_escalation(
            row, owner_recipient, recipient(head), ctx, self.ctx.templates, waited=due.waited,
            reassigned_to=recipient(new_owner) if new_owner else None, reminded_at=row.reminded_at,
            shared_address=self.ctx.shared_address(), now=now,
        )  # fmt: skip
        recipients = [head.email] + ([owner.email] if owner and owner.email != head.email else [])
        smtp.send(mail, recipients)
        self.store.requests.record_escalation(
            row.id, now, head.id, new_owner=new_owner.id if new_owner else None, new_forward_id=forward_id
        )
        log.debug(
            "заявка «%s» без ответа %s: %s", row.subject[:60], describe_duration(due.waited),
            f"передана {new_owner.id}" if new_owner else f"сообщено руководителю {head.id}",
        )  # fmt: skip

    def _reassign(
        self, box: Mailbox, smtp: Sender, row: RequestRow, owner: Manager, due: Due, now: datetime
    ) -> tuple[Manager | None, str | None]:
        """Forward the request anew to another manager; (None, None) when it cannot be
        (nobody free, or the original is no longer in the mailbox) — the head decides."""
        rules = self.ctx.rules
        queue = rules.pools.get(row.pool) if row.pool else None
        queue = queue or rules.pool
        load = self.store.history.owner_counts(window_start(now, queue.window_days if queue else 30))
        target_id = reassign_target(rules, owner.id, now, load, pool=row.pool)
        if target_id is None:
            return None, None
        raws = list(box.fetch([row.key.uid]))
        if not raws:
            return None, None
        prepared = self.pipeline().prepare_many([raws[0].raw])[0]
        target = rules.managers[target_id]
        reason = (
            f"{owner.name} не ответил(а) клиенту за {describe_duration(due.waited)} рабочего времени "
            f"→ заявка передана вам ([followup] escalate = \"reassign\")"
        )
        decision = Decision(action="forward", owner=target.id, rule=FOLLOWUP_RULE, reasons=(*row.reasons, reason))
        forward = compose_forward(
            raws[0].raw, prepared.msg, prepared.facts, decision, self.ctx.forward_context(recipient(target)), self.ctx.templates,
            now=self.clock(),
        )
        smtp.send(forward, [target.email])
        return target, str(forward["Message-ID"]).strip("<>")

    def _meta_time(self, key: str, now: datetime) -> datetime:
        """A moment kept in the journal's meta table, set to `now` the first time."""
        stored = self.store.meta.get(key)
        if stored is None:
            now = now.replace(microsecond=0)  # as the journal stores its times
            self.store.meta.set(key, now.isoformat())
            return now
        return datetime.fromisoformat(stored)
