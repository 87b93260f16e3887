"""The dispute notice: tells a client's owner that their client wrote to a colleague (the
`addressed` rule gave the mail to the colleague), once per dispute, and how the head
settles it. Pure; the caller passes the clock (`now`)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, Recipient, bot_name
from inboxbot.compose.headers import POLICY, clean, put_address, put_ascii, put_text
from inboxbot.compose.ids import loop_value, notice_message_id
from inboxbot.compose.mime import set_text
from inboxbot.compose.russian import greeting_name, moscow
from inboxbot.compose.subjects import SUBJECT_TAG
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.conflicts import Conflict
from inboxbot.model.decision import Decision


def conflict_notice_text(msg: ParsedMessage, conflict: Conflict, ctx: ForwardContext, reader: Recipient) -> str:
    dispute = conflict.dispute
    sent = moscow(msg.date).strftime("%d.%m %H:%M") if msg.date else ""
    sender = msg.sender.email if msg.sender else ""
    return "\n".join([
        f"Здравствуйте, {greeting_name(clean(reader.name, 120))}!",
        "",
        f"Ваш клиент {clean(dispute.client, 200)} написал напрямую коллеге — {clean(ctx.owner.name, 120)}.",
        f"Письмо «{clean(msg.subject, 200) or 'без темы'}» от {clean(sender, 200)}{', ' + sent if sent else ''} "
        f"ушло ему: так решили правила (письмо адресовано ему лично).",
        "",
        f"Спор № {conflict.number} записан и попадёт в отчёт руководителю: он решит, за кем клиент.",
        "Ответ на это письмо уйдёт коллеге.",
        "",
        f"— {clean(ctx.department, 120)}, бот распределения заявок",
    ]) + "\n"  # fmt: skip


def compose_conflict_notice(
    msg: ParsedMessage, decision: Decision, conflict: Conflict, ctx: ForwardContext, reader: Recipient, *, now: datetime
) -> EmailMessage:
    """The notice to `reader`, the client's owner; Reply-To: the colleague who got the mail."""
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", reader.email, reader.name)
    put_address(out, "Reply-To", ctx.owner.email, ctx.owner.name)
    put_text(out, "Subject", f"{SUBJECT_TAG} {clean(conflict.dispute.client, 120)}: ваш клиент написал коллеге "
                             f"({greeting_name(clean(ctx.owner.name, 120))})")  # fmt: skip
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", notice_message_id(msg, f"{reader.id}.conflict{conflict.number}", ctx.bot_address.domain))
    put_ascii(out, ctx.loop_header, loop_value("notice", decision, reader.id, msg))
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_text(out, conflict_notice_text(msg, conflict, ctx, reader))
    return out
