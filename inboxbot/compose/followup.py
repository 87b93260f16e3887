"""The follow-ups of a forward nobody answered: the reminder to the manager and the
escalation to the sales head. Pure; the caller passes the clock (`now`).

The worker decides when each is due (run/schedule.py) and journals it after it went
out. Both thread under the forward they follow up, and their Message-IDs are derived
from it, so a poll that sends one again after a crash sends the same mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from inboxbot.compose.context import BOT_NAME, ForwardContext, Recipient, bot_name, recipient_view
from inboxbot.compose.headers import (
    EMAIL_RE,
    ID_RE,
    POLICY,
    TOKEN_RE,
    clean,
    put_address,
    put_ascii,
    put_text,
    put_thread,
)
from inboxbot.compose.ids import bare_id, followup_id
from inboxbot.compose.mime import set_alternative
from inboxbot.compose.russian import moscow
from inboxbot.compose.subjects import NO_SUBJECT, SUBJECT_TAG, ack_subject, forward_subject
from inboxbot.compose.templates import Templates
from inboxbot.model.records import RequestRow
from inboxbot.model.worktime import describe_duration

REMINDER_TEMPLATES = ("reminder.txt.j2", "reminder.html.j2")
ESCALATION_TEMPLATES = ("escalation.txt.j2", "escalation.html.j2")
# The first word of each loop header value: the worker and the tests tell the bot's
# mails apart by it.
REMINDER_KIND, ESCALATION_KIND = "reminder", "escalation"

def reminder_view(
    request: RequestRow, owner: Recipient, ctx: ForwardContext, *, waited: timedelta, shared_address: str
) -> dict[str, object]:
    """What the reminder's templates see: the request, how long it has waited (working
    time) and how the bot will notice an answer."""
    return {
        "department": clean(ctx.department, 120),
        "bot_name": BOT_NAME,
        "owner": recipient_view(owner),
        "request": _request_view(request),
        "waited": describe_duration(waited),
        "shared_address": shared_address,
        "reply_link": _answer_link(request, shared_address),
        "forward_subject": forward_subject(request.subject),
    }


def compose_reminder(
    request: RequestRow,
    owner: Recipient,
    ctx: ForwardContext,
    templates: Templates,
    *,
    waited: timedelta,
    shared_address: str,
    now: datetime,
) -> EmailMessage:
    """Tells `owner` that `request` has waited `waited` of working time without an answer
    and how to answer so that the bot sees it (a copy to `shared_address`). Threaded
    under the forward (`request.forward_id`); one Message-ID per forward and manager."""
    view = reminder_view(request, owner, ctx, waited=waited, shared_address=shared_address)
    forward_id = bare_id(request.forward_id)
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", owner.email, owner.name)
    # The forward's subject, as a reply: mail programs that thread by subject (Gmail,
    # Outlook's conversations) put it under the forward too.
    put_text(out, "Subject", f"Re: {forward_subject(request.subject)}")
    message_id = followup_id("remind", forward_id, owner.id, ctx.bot_address.domain)
    _finish_followup(out, REMINDER_KIND, message_id, request, owner, ctx, now)
    text, html = (templates.render(name, **view) for name in REMINDER_TEMPLATES)
    set_alternative(out, text, html)
    return out


def escalation_view(
    request: RequestRow,
    owner: Recipient,
    head: Recipient,
    ctx: ForwardContext,
    *,
    waited: timedelta,
    reassigned_to: Recipient | None,
    reminded_at: datetime | None,
    shared_address: str,
) -> dict[str, object]:
    return {
        "department": clean(ctx.department, 120),
        "bot_name": BOT_NAME,
        "head": recipient_view(head),
        "owner": recipient_view(owner),
        "owner_is_head": owner.email.lower() == head.email.lower(),
        "reassigned": recipient_view(reassigned_to) if reassigned_to else None,
        "request": _request_view(request),
        "waited": describe_duration(waited),
        "reminded_at": reminded_at,
        "shared_address": shared_address,
    }


def compose_escalation(
    request: RequestRow,
    owner: Recipient,
    head: Recipient,
    ctx: ForwardContext,
    templates: Templates,
    *,
    waited: timedelta,
    reassigned_to: Recipient | None,
    reminded_at: datetime | None,
    shared_address: str,
    now: datetime,
) -> EmailMessage:
    """Tells the head (Cc `owner`) that `request` has had no answer for `waited` of working
    time: whose it is, when it came, when its manager was reminded — and, when the bot
    handed it to a colleague (`reassigned_to`), to whom. "Reply" reaches the manager."""
    view = escalation_view(request, owner, head, ctx, waited=waited, reassigned_to=reassigned_to,
                           reminded_at=reminded_at, shared_address=shared_address)  # fmt: skip
    forward_id = bare_id(request.forward_id)
    request_view = view["request"]
    assert isinstance(request_view, dict)
    who = request_view["who"]
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", head.email, head.name)
    if owner.email.lower() != head.email.lower():
        put_address(out, "Cc", owner.email, owner.name)
    put_address(out, "Reply-To", owner.email, owner.name)
    duration = describe_duration(waited)
    if reassigned_to is not None:
        subject = f"{SUBJECT_TAG} {who}: без ответа {duration}, передана — {_surname(reassigned_to)}"
    else:
        subject = f"{SUBJECT_TAG} {who}: без ответа {duration} — {_surname(owner)}"
    put_text(out, "Subject", subject)
    # Threads under the forward for the manager in copy (the head never saw the forward).
    message_id = followup_id("escalate", forward_id, "", ctx.bot_address.domain)
    _finish_followup(out, ESCALATION_KIND, message_id, request, owner, ctx, now)
    text, html = (templates.render(name, **view) for name in ESCALATION_TEMPLATES)
    set_alternative(out, text, html)
    return out


def _request_view(request: RequestRow) -> dict[str, object]:
    company = clean(request.company or "", 200)
    sender = clean(request.client_address, 200)
    return {
        "company": company,
        "inn": clean(request.inn or "", 20),
        "sender": sender,
        "who": company or sender or "клиент",
        "subject": clean(request.subject, 300) or NO_SUBJECT,
        "received": request.sent_at or request.seen_at,
        "forwarded": request.forwarded_at,
    }


def _answer_link(request: RequestRow, shared_address: str) -> str:
    """mailto: to the client with the shared address in copy, «Re: <subject>» and the
    client's Message-ID, so the answer is one the bot recognises."""
    client = request.client_address.strip()
    if not EMAIL_RE.fullmatch(client):
        return ""
    params = []
    if EMAIL_RE.fullmatch(shared_address):
        params.append(("cc", shared_address))
    params.append(("subject", ack_subject(request.subject)))
    if ID_RE.fullmatch(request.message_id):
        params.append(("In-Reply-To", f"<{request.message_id}>"))
    query = "&".join(f"{key}={quote(value, safe='@')}" for key, value in params)
    return f"mailto:{quote(client, safe='@')}?{query}"



def _finish_followup(
    out: EmailMessage, kind: str, message_id: str, request: RequestRow, owner: Recipient, ctx: ForwardContext,
    now: datetime,
) -> None:
    """The headers a reminder and an escalation share: date, id, threaded under the
    forward, the loop header of `kind`, and Auto-Submitted (a machine wrote it, so
    out-of-office responders stay quiet)."""
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", message_id)
    put_thread(out, bare_id(request.forward_id), ())
    person = TOKEN_RE.sub("_", owner.id) or "-"
    orig = request.message_id if ID_RE.fullmatch(request.message_id) else "-"
    put_ascii(out, ctx.loop_header, f"{kind}; owner={person}; orig=<{orig}>")
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")


def _surname(person: Recipient) -> str:
    words = clean(person.name, 120).split()
    return words[0] if words else person.id
