"""The bot's own trouble, told to the sales head: a rules file it rejected, a mailbox
it cannot mark. Pure; the caller passes the clock (`now`).

Each mail's Message-ID is derived from what it reports, so a resend of the same finding
collapses into one mail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from inboxbot.compose.context import ForwardContext, Recipient, bot_name
from inboxbot.compose.headers import POLICY, clean, put_address, put_ascii, put_text
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_text
from inboxbot.compose.russian import moscow
from inboxbot.compose.templates import Templates

RULES_ERROR_TEMPLATE = "rules_error.txt.j2"
MAILBOX_TEMPLATE = "mailbox_notice.txt.j2"
MAILBOX_KIND = "mailbox"  # the first word of its loop header value


def rules_error_view(head_name: str, rules_file: str, errors: Iterable[str], department: str,
                     changed_at: datetime) -> dict[str, object]:
    return {"head_name": head_name, "rules_file": rules_file, "errors": list(errors),
            "department": department, "changed_at": changed_at}


def compose_rules_error(
    ctx: ForwardContext, head: Recipient, rules_file: str, errors: str, templates: Templates,
    *, now: datetime,
) -> EmailMessage:
    """Tells the sales head that an edited rules file was rejected, what to fix, and that
    the last good rules keep running. One mail per distinct set of errors (its Message-ID
    is derived from them, so a resend collapses)."""
    lines = [line for line in errors.splitlines() if line.strip()]
    view = rules_error_view(head.name, rules_file, lines, ctx.department, now)
    digest = hashlib.sha256(errors.encode("utf-8")).hexdigest()[:32]
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", head.email, head.name)
    put_text(out, "Subject", f"Ошибка в правилах бота: {clean(Path(rules_file).name, 120)} не принят")
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", f"<rules.{digest}@{ctx.bot_address.domain}>")
    put_ascii(out, ctx.loop_header, "rules-error")
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_text(out, templates.render(RULES_ERROR_TEMPLATE, **view))
    return out


def mailbox_notice_view(head: Recipient, details: list[str], department: str, *, stopped: bool,
                        retry_minutes: int, at: datetime) -> dict[str, object]:
    return {"head_name": head.name, "details": details, "department": department, "stopped": stopped,
            "retry_minutes": retry_minutes, "at": at}


def compose_mailbox_notice(
    ctx: ForwardContext, head: Recipient, details: list[str], templates: Templates, *, stopped: bool,
    retry_minutes: int, now: datetime,
) -> EmailMessage:
    """Tells the sales head that handled mail cannot be marked on the IMAP server, so
    nothing is forwarded (`stopped`), or that marking fell back to another way (a full
    keyword table). `details`: the bot's findings with the server's answers. One mail
    per distinct finding: its Message-ID is derived from them, so a resend collapses."""
    digest = hashlib.sha256("\n".join([str(stopped), *details]).encode("utf-8")).hexdigest()[:32]
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", head.email, head.name)
    subject = "Бот остановил пересылку: не удаётся отмечать письма в ящике" if stopped else (
        "Бот отмечает обработанные письма по-другому")
    put_text(out, "Subject", subject)
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", f"<{MAILBOX_KIND}.{digest}@{safe_domain(ctx.bot_address.domain)}>")
    put_ascii(out, ctx.loop_header, MAILBOX_KIND)
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    view = mailbox_notice_view(head, details, ctx.department, stopped=stopped, retry_minutes=retry_minutes, at=now)
    set_text(out, templates.render(MAILBOX_TEMPLATE, **view))
    return out
