"""The mail the worker sends about one request: the forward, the absence notices, the
client's acknowledgement; and the head's notice of a rejected rules edit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Self

from inboxbot.compose.absence import compose_absence_notice
from inboxbot.compose.acknowledgement import ack_refusal, compose_ack, thread_ids
from inboxbot.compose.alerts import compose_rules_error
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.forward import compose_forward, reply_address
from inboxbot.config import Settings
from inboxbot.errors import ActionError
from inboxbot.io.smtp import SmtpSender
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey
from inboxbot.rules.model import Manager, Rules
from inboxbot.run.context import RunContext, recipient

log = logging.getLogger(__name__)


class NoSmtp:
    """Stand-in when no SMTP server is configured: a forward cannot go out, so a rule
    asking for one is a configuration error the user must see, not a silent tag."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage, recipients: list[str] | None = None) -> None:
        raise ActionError("SMTP-сервер не настроен (INBOXBOT_SMTP_HOST), а правило требует пересылки", permanent=True)


Sender = SmtpSender | NoSmtp


def smtp_for(settings: Settings) -> Sender:
    return SmtpSender(settings.smtp) if settings.smtp else NoSmtp()


class Outbox:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock

    def forward(
        self, smtp: Sender, raw: bytes, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> str:
        """Send the forward alone: the absence notices go after its `forwarded` is
        journalled (`notify_absent`), so a crash while they are sent never sends the
        forward again."""
        owner = self.ctx.rules.managers.get(decision.owner or "")
        if owner is None:
            raise ActionError(f"менеджер «{decision.owner}» не найден в правилах", permanent=True)
        ctx, _, _ = self._context_for(msg, decision, owner)
        try:
            forward = compose_forward(raw, msg, facts, decision, ctx, self.ctx.templates, now=self.clock())
        except Exception as exc:  # a mail the composer chokes on goes to a human; the rest flows
            log.exception("forward of %s could not be composed", msg.message_id)
            raise ActionError(f"пересылку не удалось составить ({type(exc).__name__})", permanent=True) from exc
        smtp.send(forward, [owner.email])
        return str(forward["Message-ID"]).strip("<>")

    def _context_for(self, msg: ParsedMessage, decision: Decision, owner: Manager) -> tuple[ForwardContext, Rules, datetime]:
        """The forward's context, the rules the absence was decided by (with the head's
        recorded days away) and the mail's moment: the texts say until when it lasts."""
        moment = msg.date or self.clock()
        rules = self.ctx.rules_at(moment)
        base = rules.managers.get(decision.base_owner) if decision.base_owner else None
        return self.ctx.forward_context(recipient(owner), recipient(base, moment, rules) if base else None), rules, moment

    def notify_absent(
        self, smtp: Sender, key: MessageKey, msg: ParsedMessage, facts: Facts, decision: Decision,
        managers: Sequence[str],
    ) -> None:
        """Tell each absent manager whose request went to whom, once: journalled after
        the last one went. A transient SMTP failure raises (the poll is retried and the
        notices with it, never the forward); a permanent one is logged and not retried."""
        rules = self.ctx.rules
        owner = rules.managers.get(decision.owner or "")
        if owner is not None:
            ctx, rules, moment = self._context_for(msg, decision, owner)
            for manager_id in managers:
                absent = rules.managers.get(manager_id)
                if absent is None:
                    continue
                try:
                    notice = compose_absence_notice(
                        msg, facts, decision, ctx, recipient(absent, moment, rules), self.ctx.templates, now=self.clock()
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
        self.store.messages.mark_notified(key, at=self.clock())

    def acknowledge(
        self, smtp: Sender, key: MessageKey, msg: ParsedMessage, facts: Facts, decision: Decision
    ) -> bool:
        """Tell the client who has the request, once per thread. A refusal (auto-reply,
        bulk mail, rule switched off…) is not journalled as an acknowledgement; a client
        address the relay rejects for good is, with the error, so it is not retried."""
        rules = self.ctx.rules
        if rules.acknowledge is None or decision.owner not in rules.managers:
            return False
        ids = thread_ids(msg)
        refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=self.store.requests.thread_acknowledged(ids))
        client = reply_address(msg, facts)
        if refusal is not None or client is None:
            log.debug("uid %s: без подтверждения клиенту: %s", key.uid, refusal)
            return False
        owner = rules.managers[decision.owner or ""]
        ctx = self.ctx.forward_context(recipient(owner))
        now = self.clock()
        try:
            ack = compose_ack(
                msg, facts, decision, ctx, rules.acknowledge.sender, self.ctx.templates, manager_phone=owner.phone,
                manager_forms=owner.forms, now=now,
            )
        except Exception as exc:  # the forward went; an acknowledgement the composer chokes on is left out
            log.exception("acknowledgement of %s could not be composed", msg.message_id)
            self.store.requests.record_ack(key, ids, now, error=f"не удалось составить ({type(exc).__name__})")
            return False
        try:
            smtp.send(ack, [client.email])
        except ActionError as exc:
            if not (exc.permanent or exc.about_message):
                raise  # the server fails as a whole: the poll is retried
            log.warning("uid %s: подтверждение клиенту не принято сервером: %s", key.uid, exc)
            self.store.requests.record_ack(key, ids, now, error=str(exc))
            return False
        # The acknowledgement's own id too: a client's autoresponder answering it with only
        # In-Reply-To is in this thread, or each answer would get an acknowledgement again.
        self.store.requests.record_ack(key, [*ids, str(ack["Message-ID"]).strip("<>")], now)
        return True

    def tell_rules_error(self, smtp: Sender, errors: str) -> None:
        """The head hears of a rules edit that was rejected; a transient failure tries again next poll."""
        head = self.ctx.rules.managers.get(self.ctx.rules.department.head)
        if head is None:
            return
        to = Recipient.of(head)
        notice = compose_rules_error(self.ctx.forward_context(to), to, str(self.ctx.holder.path), errors, self.ctx.templates,
                                     now=self.clock())
        try:
            smtp.send(notice, [head.email])
        except ActionError as exc:  # the mail flows on; the log has the errors either way
            log.error("письмо руководителю об ошибке в правилах не отправлено: %s", exc)
            if not exc.permanent:
                self.ctx.holder.unreported_error = errors  # tried again next poll
            return
        log.info("руководителю (%s) отправлено письмо об ошибке в правилах", head.email)
