"""Issue 15: a manager who answers a forward the way it says (its «Ответить клиенту» link
or a plain "Reply") keeps the shared address on the answer, so the follow-ups see it."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from urllib.parse import parse_qsl, unquote, urlsplit

from samples import CORPUS, RULES

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.forward import compose_forward
from inboxbot.compose.templates import Templates
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.rules.load import load_rules
from inboxbot.run.followups import is_answer

NOW = datetime(2025, 6, 10, 11, 30, tzinfo=UTC)
ORLOV = Recipient("orlov", "Орлов Максим Игоревич", "m.orlov@severkarton.test")
BOT = Address("ТД «Северный Картон»", "sales-bot@severkarton.test")
SHARED = "sales@severkarton.test"
CLIENT = "m.laukkanen@kareliafish.ru"
DEPT = load_rules(RULES).department
DECISION = Decision(action="forward", owner="orlov", rule="client_domain", reasons=("менеджер клиента — Орлов",))


def _forward(raw: bytes, facts: Facts | None = None, shared: str = SHARED) -> EmailMessage:
    msg = parse(raw)
    ctx = ForwardContext("ТД «Северный Картон»", BOT, ("X-Inboxbot",), ORLOV, shared_address=shared)
    out = compose_forward(raw, msg, facts or Facts(client_address=msg.sender), DECISION, ctx, Templates(), now=NOW)
    seen = email.message_from_bytes(out.as_bytes(), policy=email.policy.default)
    assert isinstance(seen, EmailMessage)
    return seen


def _html(forward: EmailMessage) -> str:
    body = forward.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def _mailto(forward: EmailMessage) -> tuple[str, list[tuple[str, str]]]:
    """The «Ответить клиенту» link read as a mail program reads it (RFC 6068): the
    recipient and the header fields, each percent-decoded."""
    href = _html(forward).split('<a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    link = urlsplit(href)
    assert link.scheme == "mailto"
    return unquote(link.path), parse_qsl(link.query, keep_blank_values=True)


def _reply(to: list[str], cc: list[str], subject: str, in_reply_to: str, references: str) -> ParsedMessage:
    """The manager's answer as their mail program sends it."""
    lines = [f"From: {ORLOV.name} <{ORLOV.email}>", f"To: {', '.join(to)}"]
    lines += [f"Cc: {', '.join(cc)}"] if cc else []
    lines += [f"Subject: {subject}", "Message-ID: <answer.1@severkarton.test>", f"In-Reply-To: {in_reply_to}",
              f"References: {references}", "Date: Tue, 10 Jun 2025 15:00:00 +0300", "MIME-Version: 1.0",
              "Content-Type: text/plain; charset=utf-8", "", "Добрый день! Счёт во вложении."]  # fmt: skip
    return parse("\r\n".join(lines).encode())


def _reaches_shared_box(reply: ParsedMessage) -> bool:
    """The bot reads the shared mailbox: an answer without the shared address never gets there."""
    return SHARED in {a.email.lower() for a in (*reply.to, *reply.cc)}


def test_the_reply_link_keeps_the_shared_address_in_copy_and_counts_as_an_answer() -> None:
    raw = (CORPUS / "004-kareliya-forel-yashchiki.eml").read_bytes()
    original = parse(raw)
    forward = _forward(raw)
    to, fields = _mailto(forward)
    assert to == CLIENT
    headers = dict(fields)
    assert [key for key, _ in fields] == ["cc", "subject", "In-Reply-To"]
    assert headers["cc"] == SHARED
    reply = _reply([to], [headers["cc"]], headers["subject"], headers["In-Reply-To"], headers["In-Reply-To"])
    assert _reaches_shared_box(reply)
    assert is_answer(reply, DEPT, BOT.email)
    assert original.message_id in reply.thread_ids  # record_answer finds the request by it
    assert "Общий адрес (sales@severkarton.test) в&nbsp;копии&nbsp;— так бот видит, что вы ответили." in _html(forward)


def test_a_plain_reply_reaches_the_client_with_the_shared_address() -> None:
    raw = (CORPUS / "004-kareliya-forel-yashchiki.eml").read_bytes()
    original = parse(raw)
    forward = _forward(raw)
    # Thunderbird, Outlook and Gmail address "Reply" to every Reply-To mailbox.
    reply_to = [addr for _, addr in getaddresses([str(forward["Reply-To"])])]
    assert reply_to == [CLIENT, SHARED]
    refs = f"{forward['References']} {forward['Message-ID']}"
    reply = _reply(reply_to, [], f"Re: {forward['Subject']}", str(forward["Message-ID"]), refs)
    assert _reaches_shared_box(reply)
    assert is_answer(reply, DEPT, BOT.email)
    assert original.message_id in reply.thread_ids
    body = forward.get_body(("plain",))
    assert body is not None and "Общий адрес (sales@severkarton.test) в копии" in body.get_content()


def test_without_a_shared_address_the_forward_is_as_before() -> None:
    raw = (CORPUS / "004-kareliya-forel-yashchiki.eml").read_bytes()
    forward = _forward(raw, shared="")
    assert [addr for _, addr in getaddresses([str(forward["Reply-To"])])] == [CLIENT]
    _, fields = _mailto(forward)
    assert "cc" not in dict(fields)
    assert "в копии" not in _html(forward)


def test_mail_text_cannot_inject_a_header_or_a_recipient_into_the_link() -> None:
    # A subject that decodes to a line break, a Bcc header and mailto's own separators.
    evil = "=?utf-8?q?=D0=97=D0=B0=D0=BA=D0=B0=D0=B7_&cc=evil@x.test?bcc=a@x.test=0D=0ABcc:_evil@x.test?="
    raw = (
        f"From: Клиент <{CLIENT}>\r\nTo: {SHARED}\r\nSubject: {evil}\r\n"
        "Message-ID: <q1@kareliafish.ru>\r\nDate: Tue, 10 Jun 2025 10:00:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nНужны коробки.\r\n"
    ).encode()
    to, fields = _mailto(_forward(raw))
    assert to == CLIENT
    assert [key for key, _ in fields] == ["cc", "subject", "In-Reply-To"]
    headers = dict(fields)
    assert headers["cc"] == SHARED
    assert "\r" not in headers["subject"] and "\n" not in headers["subject"]
    assert headers["subject"].startswith("Re: Заказ &cc=evil@x.test?bcc=")  # kept as text, one field
