"""«не в счёт: спам» by mail: the head replies to a forward, and that junk lead leaves its
manager's share of the queue, as `inboxbot credit-back` does (store.credits; the queue
makes it up to the manager from then on).

In the poll (`note`), such a reply is decided `skip` under CREDIT_COMMAND_RULE (never
routed, never an answer to the client); its effect (plan.py `Command`, before `marked`)
is `carry_out`: the credit-back, which the store records once per request (a kill before
`marked` repeats it and finds it made), and the head's answer under a Message-ID derived
from the reply's. Only the department head, from the head's address, with a mail that
passes the one check of mail commands (mail/authentication.py); anyone else is refused,
the head told, and nothing changes.
"""

from __future__ import annotations

import logging
import re

from inboxbot.compose.presence_answer import (
    CREDIT_TEMPLATES,
    CREDITED,
    FORGED,
    REFUSED,
    compose_presence_answer,
    credit_view,
)
from inboxbot.errors import ActionError
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import CREDIT_COMMAND_RULE, Decision, Step
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.outbox import Sender
from inboxbot.run.presence_command import sender_refusal
from inboxbot.run.release_command import colleague_to_us, own_lines

log = logging.getLogger(__name__)

ANSWER_KIND = "credit-answer"
FORGED_KIND = "credit-forged"
_COMMAND_RE = re.compile(r"(?i)^\s*не\s+в\s+сч[её]т\b\s*[:\-–—]?\s*(?P<reason>.*)$")


def credit_line(lines: list[str]) -> tuple[str, str] | None:
    """(the command line, the reason) of «не в счёт: спам» among a reply's own lines."""
    for line in lines:
        found = _COMMAND_RE.match(line)
        if found:
            return line.strip(), found.group("reason").strip(" .!")
    return None


class CreditCommands:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def note(self, msg: ParsedMessage) -> Decision | None:
        """The decision for «не в счёт: …» in a colleague's reply to a forward, written to
        us alone; None for any other mail."""
        dept = self.ctx.rules.department
        sender = colleague_to_us(msg, dept, self.ctx.settings.bot_address or dept.bot_address)
        if sender is None:
            return None
        if not msg.thread_ids or credit_line(own_lines(msg.text)) is None:
            return None
        if self.store.changes.forwarded_request(msg.thread_ids) is None:
            return None
        text = f"списание заявки с доли от {sender}"
        log.info("%s: «%s»", text, msg.subject[:60])
        return Decision(action="skip", owner=None, rule=CREDIT_COMMAND_RULE, reasons=(text,),
                        trail=(Step(CREDIT_COMMAND_RULE, True, text),))  # fmt: skip

    def carry_out(self, smtp: Sender, msg: ParsedMessage) -> None:
        """The credit-back and the head's answer, or the refusal; safe to repeat."""
        rules = self.ctx.rules
        head = rules.managers.get(rules.department.head)
        sender = msg.sender.email.lower() if msg.sender else ""
        line, reason = credit_line(own_lines(msg.text)) or ("", "")
        denied = sender_refusal(msg, rules, "списывать заявки с доли")
        if denied is not None or head is None:
            denied = denied or "в правилах не указан руководитель отдела"
            log.warning("списание с доли от %s отклонено: %s", sender or "—", denied)
            if head is not None:
                self._send(smtp, msg, (head.email, head.name), "Не выполнено: письмо о списании с доли", FORGED,
                           FORGED_KIND, sender=sender or "—", reason=denied, line=line)  # fmt: skip
            if sender and (head is None or sender != head.email.lower()):
                self._send(smtp, msg, (sender, ""), "Не выполнено: ответ бота", REFUSED, reason=denied, line=line)
            return
        row = self.store.changes.forwarded_request(msg.thread_ids)
        credit = self.store.credits.credit_back(row.message_id, head.id, self.ctx.clock(), reason) if row else None
        if credit is None:
            self._send(smtp, msg, (head.email, head.name), "Не списано: ответ бота", REFUSED,
                       reason="не найдена заявка, на пересылку которой вы ответили", line=line)  # fmt: skip
            return
        if credit.new:
            log.info("заявка %s списана с доли %s по письму %s", credit.message_id, credit.owner, msg.message_id)
        at = credit.at.astimezone(rules.department.timezone)
        self._send(smtp, msg, (head.email, head.name), "Списано с доли", CREDITED, subject=credit.subject,
                   who=rules.manager_name(credit.owner), pool=credit.pool or "", new=credit.new,
                   at=f"{at:%d.%m.%Y %H:%M}", reason=credit.reason)  # fmt: skip

    def _send(self, smtp: Sender, msg: ParsedMessage, to: tuple[str, str], title: str, case: str,
              kind: str = ANSWER_KIND, **values: object) -> None:  # fmt: skip
        """The answer of `case` to `to` (address, name: none — a colleague, not the head)."""
        ctx = self.ctx.forward_context(recipient(self.ctx.rules.managers[self.ctx.rules.department.head]))
        view = credit_view(case, to[1] or "Коллега", ctx, **values)
        mail = compose_presence_answer(msg.message_id, msg.references, to, title, view, ctx, self.ctx.templates,
                                       now=self.ctx.clock(), kind=kind, names=CREDIT_TEMPLATES)  # fmt: skip
        try:
            smtp.send(mail, [to[0]])
        except ActionError as exc:
            if not (exc.permanent or exc.about_message):
                raise  # the server is down: the poll is retried, the answer with it
            log.error("ответ на списание с доли не доставлен %s: %s", to[0], exc)
