"""The notice of a ledger change (a client moved to another manager, or moved back by an
undo), one mail to the head and both managers; and the answer to a mail command the bot
refused, to its sender and to the head. Pure; the caller passes the clock (`now`).

Each mail's Message-ID is derived from the change (its id and time) or the command (its
Message-ID), so a notice sent again after a kill collapses into one in the mail client.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, Recipient, bot_name
from inboxbot.compose.headers import POLICY, clean, put_address, put_addresses, put_ascii, put_text, put_thread
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_alternative, set_text
from inboxbot.compose.russian import moscow
from inboxbot.compose.templates import Templates
from inboxbot.model.handover import KEPT, UNDO, Change

HANDOVER_TEMPLATES = ("handover.txt.j2", "handover.html.j2")
REFUSAL_TEMPLATE = "ledger_refusal.txt.j2"
HANDOVER_KIND = "ledger-change"  # the first word of its loop header value


@dataclass(frozen=True, slots=True)
class MovedRequest:
    """An open request that moved with the client, as the notice lists it."""

    subject: str
    sent_at: datetime | None


def client_label(change: Change) -> str:
    """The client as the notice names it: its most reliable identity."""
    keys = change.keys
    return keys[0].describe() if keys else "клиент"


def handover_view(change: Change, owner: Recipient | None, previous: Recipient | None, by: str,
                  requests: Sequence[MovedRequest], ctx: ForwardContext) -> dict[str, object]:  # fmt: skip
    return {
        "id": change.id, "undo": change.how == UNDO, "kept": change.how == KEPT, "threads_only": change.threads_only, "undoes": change.undoes, "client": client_label(change),
        "keys": [k.describe() for k in change.keys], "owner": owner, "previous": previous, "by": by,
        "how": change.describe_how(), "why": clean(change.why, 500), "at": change.at,
        "requests": [{"subject": clean(r.subject, 200), "sent_at": r.sent_at} for r in requests],
        "department": ctx.department, "bot_name": bot_name(ctx),
    }  # fmt: skip


def compose_handover_notice(
    change: Change, recipients: Sequence[Recipient], view: dict[str, object], ctx: ForwardContext,
    templates: Templates, *, now: datetime,
) -> EmailMessage:
    """The notice of `change` to `recipients` (the head and both managers)."""
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_addresses(out, "To", [(r.email, r.name) for r in recipients])
    owner, previous = view["owner"], view["previous"]
    to = owner.name if isinstance(owner, Recipient) else "нет владельца"
    was = previous.name if isinstance(previous, Recipient) else "не закреплён"
    if change.how == KEPT:
        put_text(out, "Subject", f"{was} снова на месте: заявки, пришедшие без него (неё), остаются у {to}")
    else:
        head = "Отменено изменение" if change.how == UNDO else "Заявки клиента переданы" if change.threads_only else "Клиент передан"
        put_text(out, "Subject", f"{head}: {clean(client_label(change), 120)} — {was} → {to}")
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", change_message_id(change, ctx.bot_address.domain))
    put_ascii(out, ctx.loop_header, f"{HANDOVER_KIND} {change.id}")
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_alternative(out, templates.render(HANDOVER_TEMPLATES[0], **view), templates.render(HANDOVER_TEMPLATES[1], **view))
    return out


def change_message_id(change: Change, domain: str) -> str:
    return f"<{HANDOVER_KIND}.{change.id}.{change.at:%Y%m%d%H%M%S}@{safe_domain(domain)}>"


def refusal_view(person: str, reason: str, sender: str, subject: str, *, to_head: bool,
                 ctx: ForwardContext) -> dict[str, object]:  # fmt: skip
    return {"person": person, "reason": reason, "sender": sender, "subject": clean(subject, 200), "to_head": to_head,
            "department": ctx.department, "bot_name": bot_name(ctx)}  # fmt: skip


def compose_refusal(
    command_id: str, references: Sequence[str], to: tuple[str, str], view: dict[str, object], ctx: ForwardContext,
    templates: Templates, *, now: datetime,
) -> EmailMessage:
    """The bot's «no» to a mail command (`view["to_head"]`: the head's copy of it). `to`:
    (address, display name)."""
    to_head = bool(view["to_head"])
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", *to)
    subject = "Команда передачи клиента отклонена" + (f" ({clean(str(view['sender']), 80)})" if to_head else "")
    put_text(out, "Subject", subject)
    put_ascii(out, "Date", format_datetime(moscow(now)))
    digest = hashlib.sha256(f"{command_id}\n{to_head}".encode()).hexdigest()[:32]
    put_ascii(out, "Message-ID", f"<ledger-refusal.{digest}@{safe_domain(ctx.bot_address.domain)}>")
    if not to_head:
        put_thread(out, command_id, references)
    put_ascii(out, ctx.loop_header, "ledger-refusal")
    put_ascii(out, "Auto-Submitted", "auto-replied")
    put_ascii(out, "MIME-Version", "1.0")
    set_text(out, templates.render(REFUSAL_TEMPLATE, **view))
    return out
