"""The head's daily digest of skipped mail, and the answer to the head's reply «переслать N».
Pure; the caller passes the clock (`now`).

The digest lists each mail the rules skipped (newsletters, auto-replies, robots,
pitches to us) since the last one, with its reasons (the signals and their weights) and
a short number; a reply «переслать 2» releases that mail to the rules (run/releases.py).
Its Message-ID is derived from the department, the period's end and the recipients:
the reply finds the digest by it, and a resend after a crash collapses into one mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, Recipient, bot_name, recipient_view
from inboxbot.compose.headers import POLICY, clean, put_address, put_addresses, put_ascii, put_text, put_thread
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_alternative, set_text
from inboxbot.compose.russian import moscow, plural, ru_date
from inboxbot.compose.templates import Templates

DIGEST_TEMPLATES = ("skipped_digest.txt.j2", "skipped_digest.html.j2")
ANSWER_TEMPLATE = "release_answer.txt.j2"
DIGEST_KIND = "skipped-digest"  # the first word of its loop header value
ANSWER_KIND = "release-answer"


@dataclass(frozen=True, slots=True)
class Listed:
    """One skipped mail as the digest shows it."""

    number: int
    received: datetime
    sender: str
    subject: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one number of the head's reply, in Russian."""

    number: int
    subject: str
    text: str


def digest_subject(count: int, until: datetime) -> str:
    return f"Не переслано {count} {plural(count, 'письмо', 'письма', 'писем')} (до {ru_date(until)}): проверьте"


def digest_view(items: Sequence[Listed], head: Recipient, ctx: ForwardContext, since: datetime,
                until: datetime) -> dict[str, object]:  # fmt: skip
    return {
        "head": recipient_view(head),
        "items": [
            {"number": i.number, "received": i.received, "sender": clean(i.sender, 120) or "без адреса",
             "subject": clean(i.subject, 200) or "(без темы)", "reasons": [clean(r, 300) for r in i.reasons]}
            for i in items
        ],
        "count": len(items),
        "count_text": f"{len(items)} {plural(len(items), 'письмо', 'письма', 'писем')}",
        "since": since,
        "until": until,
        "example": items[1].number if len(items) > 1 else items[0].number if items else 1,
        "bot_name": bot_name(ctx),
        "department": ctx.department,
    }


def digest_message_id(department: str, until: datetime, recipients: Sequence[Recipient], domain: str) -> str:
    seed = "\0".join([department, until.isoformat(), *sorted(r.email.lower() for r in recipients)])
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"<skipped.{moscow(until):%Y%m%d%H%M}.{digest}@{safe_domain(domain)}>"


def compose_digest(
    items: Sequence[Listed], ctx: ForwardContext, recipients: Sequence[Recipient], templates: Templates,
    *, since: datetime, until: datetime, now: datetime,
) -> EmailMessage:
    """The digest from the bot to `recipients` (the first one is greeted). Raises
    TemplateError, or ValueError for an address that is not a plain e-mail address."""
    if not items or not recipients:
        raise ValueError("a digest needs skipped mail and a recipient")
    view = digest_view(items, recipients[0], ctx, since, until)
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_addresses(out, "To", ((person.email, person.name) for person in recipients))
    put_text(out, "Subject", digest_subject(len(items), until))
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", digest_message_id(ctx.department, until, recipients, ctx.bot_address.domain))
    put_ascii(out, ctx.loop_header, f"{DIGEST_KIND}; until={until.isoformat()}")
    # Nobody's out-of-office responder should answer it (RFC 3834); the head's reply does.
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_alternative(out, templates.render(DIGEST_TEMPLATES[0], **view), templates.render(DIGEST_TEMPLATES[1], **view))
    return out


def answer_view(to_name: str, outcomes: Sequence[Outcome], refusal: str | None, ctx: ForwardContext) -> dict[str, object]:
    return {
        "person": clean(to_name, 120),
        "outcomes": [{"number": o.number, "subject": clean(o.subject, 200), "text": o.text}
                     for o in outcomes],
        "refusal": refusal,
        "bot_name": bot_name(ctx),
        "department": ctx.department,
    }


def compose_release_answer(
    command_id: str, digest_id: str, to: tuple[str, str], outcomes: Sequence[Outcome], refusal: str | None,
    ctx: ForwardContext, templates: Templates, *, now: datetime,
) -> EmailMessage:
    """The answer to a reply `command_id` to digest `digest_id`: what went where, or why
    nothing changed (`refusal`). `to`: (address, name). Its Message-ID is derived from
    the reply, so a resend after a crash collapses."""
    address, name = to
    seed = hashlib.sha256(f"{ANSWER_KIND}\0{command_id}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", address, name)
    put_text(out, "Subject", "Не переслано: ответ бота" if refusal else "Переслано по вашему ответу")
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", f"<{ANSWER_KIND}.{seed}@{safe_domain(ctx.bot_address.domain)}>")
    put_thread(out, command_id, [digest_id])
    put_ascii(out, ctx.loop_header, ANSWER_KIND)
    put_ascii(out, "Auto-Submitted", "auto-replied")
    put_ascii(out, "MIME-Version", "1.0")
    set_text(out, templates.render(ANSWER_TEMPLATE, **answer_view(name, outcomes, refusal, ctx)))
    return out
