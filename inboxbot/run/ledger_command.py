"""«передать Сидорову» by mail: the head (or the manager who owns the client) replies to a
forward or to a ledger notice, and the client moves as by `inboxbot clients assign`.

In the poll (`note`), such a reply is decided `skip` under LEDGER_COMMAND_RULE (never
routed, never counted as an answer to the client); its effect (plan.py: `Command`, before
its `marked` row) is `carry_out`: the change, one transaction keyed by the reply's
Message-ID (a kill before `marked` repeats the effect, which finds the change made and
writes nothing), or the refusal, mailed under a Message-ID derived from the reply's.

Only a mail from the company's domain in the thread of a forward or notice, with a
«передать» line above the quote, is a command (a client asking «прошу передать Сидорову»
is routed as usual). It is carried out only when its sender is a manager in the rules,
the mail passes the one check of mail commands (mail/authentication.py: our receiving
server's Authentication-Results, or one of [department] relays), and the sender is the
head or the client's owner. Otherwise the sender
hears no, the head hears of it, and nothing changes.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from inboxbot.compose.acknowledgement import machine_mail
from inboxbot.compose.context import Recipient
from inboxbot.compose.handover import compose_refusal, refusal_view
from inboxbot.errors import ActionError
from inboxbot.mail.authentication import sender_verified
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import LEDGER_COMMAND_RULE, Decision, Step
from inboxbot.model.domains import domain_in
from inboxbot.model.handover import HEAD, OWNER
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.route.handover_command import NO_COMMAND, read_handover
from inboxbot.rules.model import Rules
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.handover import BASE_RULES, move, request_keys
from inboxbot.run.outbox import Sender
from inboxbot.run.release_command import own_lines, own_mail

log = logging.getLogger(__name__)

_NOTICE_ID_RE = re.compile(r"^ledger-change\.(\d+)\.")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a command is about: the client's entries now (none: new to the ledger), the
    identities to write for a new one, and who owns it (may command it)."""

    current: tuple[Assignment, ...]
    keys: tuple[ClientKey, ...]
    owner: str | None


def authority_refusal(msg: ParsedMessage, rules: Rules, owner: str | None) -> str | None:
    """Why the sender of `msg` may not move this client, or None."""
    sender = msg.sender.email.lower() if msg.sender else ""
    manager = next((m for m in rules.managers.values() if m.email.lower() == sender), None)
    if manager is None:
        return "передавать клиентов могут только руководитель и менеджеры отдела со своих рабочих адресов"
    domain = sender.rpartition("@")[2]
    if not sender_verified(msg, rules.department.auth_server, rules.department.relays):
        return ("письмо не прошло проверку подлинности отправителя: почтовый сервер не подтвердил "
                f"(Authentication-Results: SPF, DKIM или DMARC), что оно отправлено с {domain}")  # fmt: skip
    if manager.id not in (rules.department.head, owner):
        return "передать клиента может руководитель отдела или менеджер, который ведёт этого клиента"
    return None


def command_decision(text: str) -> Decision:
    return Decision(action="skip", owner=None, rule=LEDGER_COMMAND_RULE, reasons=(text,),
                    trail=(Step(LEDGER_COMMAND_RULE, True, text),))  # fmt: skip


class LedgerCommands:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def _own_mail(self, msg: ParsedMessage) -> bool:
        dept = self.ctx.rules.department
        return own_mail(msg, dept, self.ctx.settings.bot_address or dept.bot_address)

    def note(self, msg: ParsedMessage) -> Decision | None:
        """The decision for a mail command; None for any other mail."""
        rules = self.ctx.rules
        sender = msg.sender.email.lower() if msg.sender else ""
        if not sender or self._own_mail(msg) or not domain_in(sender.rpartition("@")[2], rules.department.internal_domains):
            return None
        if machine_mail(msg, rules) is not None:
            return None  # an out-of-office's «прошу передать Ивановой» is no one's decision
        if not msg.thread_ids:
            return None
        read = read_handover(own_lines(msg.text), rules)
        outside = any(not domain_in(a.email.rpartition("@")[2], rules.department.internal_domains) for a in (*msg.to, *msg.cc))
        # «готовы передать документы» in an answer to the client is no command: one that
        # names no manager only counts when it is written to us alone.
        if read.refusal == NO_COMMAND or (read.target is None and outside):
            return None
        if self._notice_id(msg) is None and self.store.changes.forwarded_request(msg.thread_ids) is None:
            return None
        log.info("команда передачи клиента от %s: «%s»", sender, msg.subject[:60])
        return command_decision(f"команда передачи клиента от {sender}")

    def _notice_id(self, msg: ParsedMessage) -> int | None:
        for mid in msg.thread_ids:
            found = _NOTICE_ID_RE.match(mid)
            if found:
                return int(found.group(1))
        return None

    def _subject(self, msg: ParsedMessage) -> Subject | str:
        """What the command is about, or why it is about nothing the ledger can move."""
        rules = self.ctx.rules
        notice = self._notice_id(msg)
        if notice is not None:
            change = self.store.changes.get(notice)
            keys = change.keys if change is not None else ()
            if not keys:
                return "это уведомление не о клиенте: ответьте «передать …» на пересылку заявки"
            current = next((found for k in keys if (found := self.store.changes.entries(k))), ())
            return Subject(current, keys, current[0].owner if current else None)
        row = self.store.changes.forwarded_request(msg.thread_ids)
        if row is None:
            return "не найдена заявка, на пересылку которой вы ответили"
        if row.rule in BASE_RULES or row.base_rule in BASE_RULES:
            return "это клиент из базы клиентов: его менеджера меняют в базе клиентов, бот следует ей"
        known = request_keys(rules, row)
        current = next((found for k in known if (found := self.store.changes.entries(k))), ())
        return Subject(current, known, current[0].owner if current else row.owner)

    def carry_out(self, smtp: Sender, msg: ParsedMessage) -> None:
        """The command's change, or its refusal mailed; safe to repeat (see the module doc)."""
        rules = self.ctx.rules
        if self.store.changes.by_command(msg.message_id) is not None:
            return  # made before a kill: its notice is queued with it
        command = read_handover(own_lines(msg.text), rules)
        subject = self._subject(msg)
        owner = subject.owner if isinstance(subject, Subject) else None
        denied = authority_refusal(msg, rules, owner)
        if denied is not None:
            log.warning("команда передачи клиента от %s отклонена: %s", msg.sender.email if msg.sender else "—", denied)
            self._refuse(smtp, msg, denied, tell_head=True)
            return
        refusal = subject if isinstance(subject, str) else command.refusal
        if refusal is None and isinstance(subject, Subject) and command.target is not None:
            by = next(m.id for m in rules.managers.values() if msg.sender and m.email.lower() == msg.sender.email.lower())
            how = HEAD if by == rules.department.head else OWNER  # authority_refusal: else the owner
            line = next((x.strip() for x in own_lines(msg.text) if "переда" in x.lower()), "")
            result = move(self.store, rules, by, subject.current, subject.keys, command.target, self.ctx.clock(), how=how,
                          why=f"ответ на письмо бота: «{line[:120]}»", command=msg.message_id)  # fmt: skip
            if result.change is not None:
                log.info("клиент передан по команде %s: изменение №%d", msg.message_id, result.change.id)
                return
            refusal = result.refusal
        self._refuse(smtp, msg, refusal or "команда не понята", tell_head=False)

    def _refuse(self, smtp: Sender, msg: ParsedMessage, reason: str, *, tell_head: bool) -> None:
        rules = self.ctx.rules
        head = rules.managers.get(rules.department.head)
        sender = msg.sender.email.lower() if msg.sender else ""
        ctx = self.ctx.forward_context(recipient(head) if head else Recipient("", "", sender))
        mails = []
        if sender and (head is None or sender != head.email.lower() or not tell_head):
            view = refusal_view("", reason, sender, msg.subject, to_head=False, ctx=ctx)
            mails.append((compose_refusal(msg.message_id, msg.references, (sender, ""), view, ctx, self.ctx.templates,
                                          now=self.ctx.clock()), sender))  # fmt: skip
        if tell_head and head is not None:
            view = refusal_view(head.name, reason, sender, msg.subject, to_head=True, ctx=ctx)
            mails.append((compose_refusal(msg.message_id, msg.references, (head.email, head.name), view, ctx,
                                          self.ctx.templates, now=self.ctx.clock()), head.email))  # fmt: skip
        for mail, to in mails:
            try:
                smtp.send(mail, [to])
            except ActionError as exc:
                if not (exc.permanent or exc.about_message):
                    raise  # the server is down: the poll is retried, the refusal with it
                log.error("отказ по команде передачи клиента не доставлен %s: %s", to, exc)
