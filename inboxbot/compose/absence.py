"""The absence notice: tells a manager who is away that their client's request went to
the colleague standing in for them. Pure; the caller passes the clock (`now`)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, Recipient, bot_name, recipient_view
from inboxbot.compose.forward import forward_view
from inboxbot.compose.headers import POLICY, clean, put_address, put_ascii, put_text
from inboxbot.compose.ids import loop_value, notice_message_id
from inboxbot.compose.mime import set_alternative
from inboxbot.compose.russian import greeting_name, moscow
from inboxbot.compose.subjects import SUBJECT_TAG
from inboxbot.compose.templates import Templates
from inboxbot.compose.why import why_view
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts

TEMPLATES = ("absence_notice.txt.j2", "absence_notice.html.j2")


def notice_view(
    msg: ParsedMessage, facts: Facts, decision: Decision, ctx: ForwardContext, absent: Recipient
) -> dict[str, object]:
    """The template context of an absence notice: the forward's, plus who was absent and
    the summary addressed to them ("ваш клиент …")."""
    view = forward_view(msg, facts, decision, ctx)
    view["absent"] = recipient_view(absent)
    view["absent_client"] = decision.client is not None and decision.client.manager == absent.id
    view["why"] = why_view(decision, ctx, absent)
    return view


def compose_absence_notice(
    msg: ParsedMessage,
    facts: Facts,
    decision: Decision,
    ctx: ForwardContext,
    absent: Recipient,
    templates: Templates,
    *,
    now: datetime,
) -> EmailMessage:
    """Tells `absent` that their client's request went to `ctx.owner` (the backup):
    who, which client, the subject, when. The original is not attached — the absent
    manager only needs to know, and the request is being handled."""
    view = notice_view(msg, facts, decision, ctx, absent)
    text, html = (templates.render(name, **view) for name in TEMPLATES)
    client = view["client"]
    assert isinstance(client, dict)

    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", absent.email, absent.name)
    # "Reply" reaches the colleague who now has the request.
    put_address(out, "Reply-To", ctx.owner.email, ctx.owner.name)
    who = client["name"] or client["author"] or "клиент"
    put_text(out, "Subject", f"{SUBJECT_TAG} {who}: заявка передана — {greeting_name(clean(ctx.owner.name, 120))}")
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", notice_message_id(msg, absent.id, ctx.bot_address.domain))
    put_ascii(out, ctx.loop_header, loop_value("notice", decision, absent.id, msg))
    # A notice is pure information, and its reader is away — an active out-of-office
    # responder must not answer it (RFC 3834 responders skip auto-generated mail).
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_alternative(out, text, html)
    return out
