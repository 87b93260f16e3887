"""Decision → the mail a manager receives: the forward. Pure; the caller passes the clock.

Nothing here touches the network (io/smtp.py sends). The forward is built so a sales
manager can work from a phone:

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain   forward.txt.j2   who the client is, why you, the request text
    │   └── text/html    forward.html.j2  the same, autoescaped
    └── message/rfc822   the original, byte for byte (its attachments are inside it)

Headers are written with headers.py (pre-folded, cleaned of control characters; its
docstring says why).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import cast
from urllib.parse import quote

from inboxbot.compose.context import BOT_NAME, ForwardContext, bot_name, recipient_view
from inboxbot.compose.headers import (
    EMAIL_RE,
    ID_RE,
    POLICY,
    clean,
    put_address,
    put_addresses,
    put_ascii,
    put_text,
    put_thread,
)
from inboxbot.compose.ids import forward_message_id, loop_value
from inboxbot.compose.mime import multipart, original_part, put_multipart, text_part
from inboxbot.compose.russian import moscow
from inboxbot.compose.subjects import NO_SUBJECT, forward_subject
from inboxbot.compose.templates import Templates
from inboxbot.compose.why import why_view
from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts

QUOTE_CHARS = 1500
TEMPLATES = ("forward.txt.j2", "forward.html.j2")

_REGION_HOW = {
    "client_base": "по базе клиентов",
    "inn": "по ИНН",
    "kpp": "по КПП",
    "ogrn": "по ОГРН",
    "address": "по адресу",
    "city": "по городу",
    "phone": "по телефонному коду",
    "domain": "по домену",
}
# Inline logos of signatures (Outlook's image001.png) are noise in a list of attachments.
_INLINE_IMAGE_RE = re.compile(r"^image\d{3}\.(png|jpe?g|gif)$", re.IGNORECASE)


def _client_view(msg: ParsedMessage, facts: Facts, decision: Decision) -> dict[str, object]:
    company, ref = facts.company, decision.client
    inn_req = facts.inn
    inn = (ref.inn if ref else None) or (company.inn if company else None)
    # From the base the "клиент из базы" line says it; otherwise say where the INN was seen.
    inn_source = "" if ref and ref.inn else (inn_req.evidence.describe() if inn_req else "")
    author = facts.client_address or msg.sender
    return {
        "name": clean(ref.name if ref else company.name if company else "", 200),
        "written_as": clean(company.name, 200) if company and ref and company.name != ref.name else "",
        "inn": inn or "",
        "inn_source": inn_source,
        "kpp": (company.kpp if company else None) or "",
        "in_base": f"{Path(ref.file).name}, строка {ref.line}" if ref else "",
        "since": ref.since if ref else None,
        # A company the mail names that routing did not find in the base.
        "not_in_base": ref is None and company is not None,
        "group": clean(ref.group or "", 120) if ref else "",
        "author": clean(str(author), 200) if author else "",
        # The same, in two parts: a phone breaks "Имя <a@b-c.ru>" at the hyphen otherwise.
        "author_name": clean(author.name, 120) if author else "",
        "author_email": clean(author.email, 200) if author else "",
        "country": facts.country or "",
    }


def _region_view(facts: Facts) -> dict[str, object] | None:
    region = facts.region
    if region is None:
        return None
    return {
        "name": region.name,
        "code": region.code,
        "district": region.district,
        "how": _REGION_HOW.get(region.how, region.how),
    }


def _original_view(msg: ParsedMessage) -> dict[str, object]:
    return {
        "subject": clean(msg.subject, 300) or NO_SUBJECT,
        "sender": clean(str(msg.sender), 200) if msg.sender else "",
        "date": msg.date,
        "message_id": msg.message_id,
        "attachments": [
            clean(a.filename, 120) for a in msg.attachments if not _INLINE_IMAGE_RE.match(a.filename)
        ],
    }


def _reply_link(msg: ParsedMessage, address: str, cc: str) -> str:
    """mailto: to the client with the shared address `cc` in copy (the bot sees the answer
    there), "Re: <subject>" and, where the mail client honours it (RFC 6068 allows any
    header), In-Reply-To, so the answer joins the client's thread. Every value is
    percent-encoded whole and the subject is one cleaned line: a mail's text cannot add a
    header or a recipient."""
    if not EMAIL_RE.fullmatch(address):
        return ""
    params = []
    if cc:
        params.append(("cc", cc))
    subject = clean(msg.subject, 250)
    if subject:
        params.append(("subject", subject if re.match(r"re\s*:", subject, re.IGNORECASE) else f"Re: {subject}"))
    if msg.has_message_id and ID_RE.fullmatch(msg.message_id):
        params.append(("In-Reply-To", f"<{msg.message_id}>"))
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    return f"mailto:{quote(address, safe='@')}" + (f"?{query}" if query else "")


def answer_copy(ctx: ForwardContext, client: Address | None) -> str:
    """The shared address a manager's answer to `client` keeps in copy; "" when there is
    none (or it is the client's own address)."""
    shared = ctx.shared_address.strip()
    if not EMAIL_RE.fullmatch(shared) or client is None or client.email.lower() == shared.lower():
        return ""
    return shared


# "9 000 шт.", "1 250 000 руб.": a line break inside a number misreads it on a phone.
_THOUSANDS_RE = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")


def forward_view(msg: ParsedMessage, facts: Facts, decision: Decision, ctx: ForwardContext) -> dict[str, object]:
    """The template context of a forward: plain values, already cleaned."""
    quote_text, cut = _quote(facts.new_text or msg.text)
    quote_text = _THOUSANDS_RE.sub("\u00a0", quote_text)
    reply_to = reply_address(msg, facts)
    copy = answer_copy(ctx, reply_to)
    return {
        "department": clean(ctx.department, 120),
        "bot_name": BOT_NAME,
        "owner": recipient_view(ctx.owner),
        "base_owner": recipient_view(ctx.base_owner) if ctx.base_owner else None,
        "client": _client_view(msg, facts, decision),
        "region": _region_view(facts),
        "why": why_view(decision, ctx, ctx.owner),
        "reasons": [clean(r, 500) for r in decision.reasons if r.strip()],
        "rule": decision.rule,
        "forwarded_by": clean(str(facts.forwarded_by), 200) if facts.forwarded_by else "",
        "reply_to": reply_to.email if reply_to else "",
        "reply_link": _reply_link(msg, reply_to.email, copy) if reply_to else "",
        "reply_copy": copy,
        "original": _original_view(msg),
        "quote": quote_text,
        "quote_cut": cut,
    }


# Control characters but line ends and tabs: the quote keeps the request's lines.
_CONTROL_KEEP_LINES_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _quote(text: str) -> tuple[str, bool]:
    """The first QUOTE_CHARS of the request, cut at a word, for reading on a phone."""
    text = _CONTROL_KEEP_LINES_RE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= QUOTE_CHARS:
        return text, False
    cut = text[:QUOTE_CHARS]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > QUOTE_CHARS * 0.8 else cut).rstrip() + " …", True


def reply_address(msg: ParsedMessage, facts: Facts) -> Address | None:
    """Where the manager's "Reply" should go: the client (the author of a forwarded
    original, if reception forwarded it), else the mail's Reply-To, else its sender.
    Candidates that are not a plain addr-spec are passed over."""
    for candidate in (facts.client_address, *msg.reply_to, msg.sender):
        if candidate is not None and EMAIL_RE.fullmatch(candidate.email):
            return candidate
    return None


def compose_forward(
    raw: bytes,
    msg: ParsedMessage,
    facts: Facts,
    decision: Decision,
    ctx: ForwardContext,
    templates: Templates,
    *,
    now: datetime,
) -> EmailMessage:
    """The mail for `ctx.owner`: explanation (text + HTML) and the original attached
    whole. Raises TemplateError when a template cannot be rendered."""
    view = forward_view(msg, facts, decision, ctx)
    text, html = (templates.render(name, **view) for name in TEMPLATES)

    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", ctx.owner.email, ctx.owner.name)
    client = reply_address(msg, facts)
    copy = answer_copy(ctx, client)
    if client is not None and copy:
        # "Reply" must reach the client with the shared address on it, or the bot counts
        # the request unanswered. Both go into Reply-To: Thunderbird, Outlook and Gmail
        # address a reply to every Reply-To mailbox (the shared one lands in To, which
        # the bot sees just as well), while a Cc or Mail-Followup-To is dropped by "Reply"
        # (only "Reply all" or mutt's group reply read them).
        put_addresses(out, "Reply-To", [(client.email, client.name), (copy, ctx.department)])
    elif client is not None:
        put_address(out, "Reply-To", client.email, client.name)
    put_text(out, "Subject", forward_subject(msg.subject))
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", forward_message_id(msg, ctx.owner.id, ctx.bot_address.domain))
    if msg.has_message_id:
        put_thread(out, msg.message_id, msg.references)
    put_ascii(out, ctx.loop_header, loop_value("forwarded", decision, ctx.owner.id, msg))
    # No Auto-Submitted on the forward: it carries a client's own words to a human who
    # answers them, and mail systems file "auto-generated" mail away from the inbox
    # (Exchange/Gmail rules, "other" tabs) — a request must not land there. Loops are
    # prevented by our loop header instead, and an out-of-office answer goes to the
    # envelope sender (the bot), where it is skipped as an auto-reply.
    put_ascii(out, "MIME-Version", "1.0")

    # The MIME tree is put together directly (what set_content, add_alternative and
    # make_mixed would build, with a third of the work): a forward per request is the
    # bot's main cost after extraction.
    original = original_part(raw)
    alternative = multipart("alternative", [text_part(text, "plain"), text_part(html, "html")], raw)
    put_multipart(out, "mixed", raw)
    # typeshed wants the parent's own class; a MIMEPart is what a subpart should be.
    out.attach(cast(EmailMessage, alternative))
    out.attach(cast(EmailMessage, original))
    return out
