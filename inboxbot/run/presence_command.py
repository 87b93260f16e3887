"""«сегодня нет: Петров» by mail: the head tells the bot who is not in today (or tomorrow)
and, if they like, who stands in; that day's mail for the manager goes to the stand-in
(else the head), as an [[absence]] of that day (rules/presence.py reads the table the
head keeps; this is the same thing said by mail, kept in the store, not in the table).

In the poll (`note`), such a mail is decided `skip` under PRESENCE_COMMAND_RULE (never
routed, never an answer to a client); its effect (plan.py `Command`, before `marked`) is
`carry_out`: the day away recorded once per command (store.presence, keyed by the mail's
Message-ID: a kill before `marked` repeats the effect, which finds the record and writes
nothing new) and the head's answer, under a Message-ID derived from the command's.
«Петров на месте» / «отмена: Петров» undoes a recorded day away the same way: a cancel
record per command (model/presence.py), answered; nothing recorded → a clear answer.

Only mail from the head's address is read as the command, and carried out only when it
passes the one check of mail commands (mail/authentication.py): a forged one is refused
and the head told; an unknown manager is answered in Russian; nothing changes then. A
colleague's mail with such a line is routed as any mail (it may be a forwarded request).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from inboxbot.compose.presence_answer import (
    ANSWER_KIND,
    FORGED,
    FORGED_KIND,
    NOTHING_TO_CANCEL,
    RECORDED,
    REFUSED,
    compose_presence_answer,
    presence_view,
    when_text,
)
from inboxbot.compose.presence_answer import (
    CANCELLED as CANCELLED_CASE,
)
from inboxbot.errors import ActionError
from inboxbot.mail.authentication import sender_verified
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import PRESENCE_COMMAND_RULE, Decision, Step
from inboxbot.model.presence import CANCELLED, DayAway, in_force
from inboxbot.route.presence_command import is_presence_command, read_presence
from inboxbot.rules.model import Manager, Rules
from inboxbot.rules.presence import REASON
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.outbox import Sender
from inboxbot.run.release_command import colleague_to_us, own_lines

log = logging.getLogger(__name__)

def sender_refusal(msg: ParsedMessage, rules: Rules, what: str = "сообщать об отсутствии") -> str | None:
    """Why the sender of `msg` may not give a head's command (`what` they may not), or None."""
    head = rules.managers.get(rules.department.head)
    sender = msg.sender.email.lower() if msg.sender else ""
    if head is None or sender != head.email.lower():
        who = f" ({head.name})" if head else ""
        return f"{what} может только руководитель отдела{who} со своего адреса"
    if not sender_verified(msg, rules.department.auth_server, rules.department.relays):
        return ("письмо не прошло проверку подлинности отправителя: почтовый сервер не подтвердил "
                "(Authentication-Results: SPF, DKIM или DMARC), что оно отправлено с адреса руководителя")  # fmt: skip
    return None


class PresenceCommands:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def note(self, msg: ParsedMessage) -> Decision | None:
        """The decision for «сегодня нет: …» written to us from the head's address; None
        for any other mail. A colleague's «Петров сегодня отсутствует» above a client's
        forwarded request is that request, routed as usual, never a refused command."""
        rules = self.ctx.rules
        dept = rules.department
        sender = colleague_to_us(msg, dept, self.ctx.settings.bot_address or dept.bot_address)
        if sender is None:
            return None
        head = rules.managers.get(dept.head)
        if head is None or sender != head.email.lower() or not is_presence_command(self._lines(msg)):
            return None
        text = f"сообщение об отсутствии от {sender}"
        log.info("%s: «%s»", text, msg.subject[:60])
        return Decision(action="skip", owner=None, rule=PRESENCE_COMMAND_RULE, reasons=(text,),
                        trail=(Step(PRESENCE_COMMAND_RULE, True, text),))  # fmt: skip

    @staticmethod
    def _lines(msg: ParsedMessage) -> list[str]:
        return [msg.subject, *own_lines(msg.text)]

    def carry_out(self, smtp: Sender, msg: ParsedMessage) -> None:
        """Record the day away and answer, or refuse; safe to repeat (see the module doc)."""
        rules = self.ctx.rules
        now = self.ctx.clock()
        head = rules.managers.get(rules.department.head)
        sender = msg.sender.email.lower() if msg.sender else ""
        today = now.astimezone(rules.department.timezone).date()
        command = read_presence(self._lines(msg), rules, today)
        denied = sender_refusal(msg, rules)
        if denied is not None:
            log.warning("сообщение об отсутствии от %s отклонено: %s", sender or "—", denied)
            if head is not None:
                self._send(smtp, msg, (head.email, head.name), "Не выполнено: письмо об отсутствии", FORGED, FORGED_KIND,
                           sender=sender or "—", reason=denied, line=command.line)  # fmt: skip
            if sender and (head is None or sender != head.email.lower()):
                self._send(smtp, msg, (sender, ""), "Не выполнено: ответ бота", REFUSED, reason=denied, line=command.line)
            return
        assert head is not None  # sender_refusal: the sender is the head
        if command.cancel and command.refusal is None and command.manager is not None:
            self._cancel(smtp, msg, head, command.manager, command.day, today, command.line)
            return
        if command.refusal is not None or command.manager is None or command.day is None:
            self._send(smtp, msg, (head.email, head.name), "Не записано: ответ бота", REFUSED,
                       reason=command.refusal or "команда не понята", line=command.line)  # fmt: skip
            return
        backup = command.backup or head.id
        away = self.store.presence.record(DayAway(command.manager, command.day, backup, REASON, msg.message_id, head.id, now))
        if away.new:
            log.info("записано отсутствие %s на %s (замещает %s) по письму %s", away.manager, away.day, away.backup, msg.message_id)
        absent, stand_in = recipient(rules.managers[away.manager]).name, _name(rules, away.backup)
        self._send(smtp, msg, (head.email, head.name), f"Записано: {absent} — нет на месте {away.day:%d.%m}", RECORDED,
                   absent=absent, when=when_text(away.day, today), stand_in=stand_in, new=away.new)  # fmt: skip

    def _cancel(self, smtp: Sender, msg: ParsedMessage, head: Manager, manager: str, day: date | None, today: date,
                line: str) -> None:  # fmt: skip
        """Undo the manager's recorded day away (`day`, else the first from today on) by a
        CANCELLED record of this command; or say there is none. Safe to repeat: the
        command's record is found again."""
        rules = self.ctx.rules
        back = recipient(rules.managers[manager]).name
        done = self.store.presence.by_command(msg.message_id)
        if done is None:
            days = (day,) if day is not None else (today, today + timedelta(days=1))
            live = {a.day for a in in_force(self.store.presence.on(min(days), max(days))) if a.manager == manager}
            target = next((d for d in days if d in live), None)
            if target is None:
                self._send(smtp, msg, (head.email, head.name), "Не отменено: ответ бота", NOTHING_TO_CANCEL,
                           absent=back, days=[when_text(d, today) for d in days], line=line)  # fmt: skip
                return
            done = self.store.presence.record(DayAway(manager, target, head.id, CANCELLED, msg.message_id, head.id,
                                                      self.ctx.clock()))  # fmt: skip
            log.info("отменено отсутствие %s на %s по письму %s", manager, target, msg.message_id)
        self._send(smtp, msg, (head.email, head.name), f"Отменено: {back} на месте {done.day:%d.%m}", CANCELLED_CASE,
                   absent=back, when=when_text(done.day, today), new=done.new)  # fmt: skip

    def _send(self, smtp: Sender, msg: ParsedMessage, to: tuple[str, str], subject: str, case: str,
              kind: str = ANSWER_KIND, **values: object) -> None:  # fmt: skip
        """The answer of `case` to `to` (address, name: none — a colleague, not the head)."""
        ctx = self.ctx.forward_context(recipient(self.ctx.rules.managers[self.ctx.rules.department.head]))
        view = presence_view(case, to[1] or "Коллега", ctx, **values)
        mail = compose_presence_answer(msg.message_id, msg.references, to, subject, view, ctx, self.ctx.templates,
                                       now=self.ctx.clock(), kind=kind)  # fmt: skip
        try:
            smtp.send(mail, [to[0]])
        except ActionError as exc:
            if not (exc.permanent or exc.about_message):
                raise  # the server is down: the poll is retried, the answer with it
            log.error("ответ на сообщение об отсутствии не доставлен %s: %s", to[0], exc)


def _name(rules: Rules, manager_id: str) -> str:
    manager = rules.managers.get(manager_id)
    return recipient(manager).name if manager else manager_id
