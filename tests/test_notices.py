"""The client's acknowledgement, the reminder and the escalation (inboxbot.compose: acknowledgement, followup).

Requests are corpus mails (and variants of them with one header changed) run through the
real pipeline — parse, extract, decide with the shipped rules.toml; the mails go through
a real aiosmtpd and are parsed back from the bytes it received.

    .venv/bin/python tests/test_notices.py     # writes docs/screenshots/ack-phone.png, reminder-phone.png
"""

from __future__ import annotations

import base64
import dataclasses
import email
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import RULES, demo_department, sample
from servers import Received, SmtpCatcher

from inboxbot.compose.acknowledgement import ack_refusal, compose_ack, thread_ids
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.followup import compose_escalation, compose_reminder
from inboxbot.compose.template_check import check_mail_templates
from inboxbot.compose.templates import TemplateError, Templates
from inboxbot.extract.extract import Extractor
from inboxbot.io.smtp import SmtpSender
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 7, 8, 12, 0, tzinfo=UTC)
SHARED = "sales@severkarton.test"
CLIENT_001 = "gromova.liza@gmail.com"  # sample 001: a client of sidorov by INN (rule client_inn)


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    yield Extractor()


def routed(raw: bytes, rules: Rules, extractor: Extractor) -> tuple[ParsedMessage, Facts, Decision]:
    """The mail through the real pipeline, decided on its own date (so absences apply)."""
    msg = parse(raw)
    dept = rules.department
    facts = extractor.extract(msg, internal_domains=dept.internal_domains, shared_addresses=dept.shared_addresses,
                              free_mail_domains=dept.free_mail_domains)  # fmt: skip
    with memory_store() as journal:
        decision = decide(msg, facts, rules, journal.history, received_at=msg.date or NOW)
    return msg, facts, decision


def with_headers(raw: bytes, *lines: str, drop: tuple[str, ...] = ()) -> bytes:
    """`raw` with the header fields in `drop` removed (continuation lines too) and
    `lines` put on top."""
    head, sep, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower().decode() in drop
        if not skipping:
            kept.append(line)
    return b"\n".join([*(line.encode() for line in lines), *kept]) + sep + body


def rules_variant(tmp_path: Path, *edits: tuple[str, str]) -> Rules:
    """The shipped rules.toml with text replaced, next to a copy of its demo files."""
    text = RULES.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, f"rules.toml no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return load_rules(demo_department(tmp_path, text))


def person(rules: Rules, manager_id: str) -> Recipient:
    manager = rules.managers[manager_id]
    return Recipient(manager.id, manager.name, manager.email)


def context(rules: Rules, decision: Decision) -> ForwardContext:
    """As the worker builds it: the bot's address named after the department."""
    dept = rules.department
    assert decision.owner is not None
    base = person(rules, decision.base_owner) if decision.base_owner else None
    return ForwardContext(dept.name, Address(dept.name, dept.bot_address), dept.loop_headers,
                          person(rules, decision.owner), base)  # fmt: skip


def through_smtp(smtp: SmtpCatcher, message: EmailMessage) -> tuple[Received, EmailMessage]:
    """Send with the real SmtpSender (recipients from To/Cc) and parse what arrived."""
    before = len(smtp.messages)
    with SmtpSender(smtp.settings()) as sender:
        sender.send(message)
    assert len(smtp.messages) == before + 1
    received = smtp.messages[-1]
    parsed = email.message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return received, parsed


def bodies(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line and line[0] not in " \t"]


# -- who gets no acknowledgement, and why ----------------------------------------------------


@pytest.fixture(scope="module")
def request_001(rules: Rules, extractor: Extractor) -> tuple[ParsedMessage, Facts, Decision]:
    msg, facts, decision = routed(sample("001"), rules, extractor)
    assert decision.action == "forward" and decision.owner == "sidorov" and decision.rule == "client_inn"
    return msg, facts, decision


def test_a_plain_request_may_be_acknowledged(rules: Rules, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    msg, facts, decision = request_001
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) is None
    # A header that says "a human wrote this" changes nothing.
    human = parse(with_headers(sample("001"), "Auto-Submitted: no"))
    assert ack_refusal(human, facts, decision, rules, thread_acknowledged=False) is None


# Each variant is sample 001 with one thing changed. The decision stays the one routing made
# for the real request: ack_refusal is a second, stricter net — classify.py lets a request
# phrase overrule an auto-reply's wording and the thread rule forwards replies of any kind,
# but no robot may ever get an acknowledgement.
MACHINE_VARIANTS = [
    pytest.param(("Auto-Submitted: auto-replied",), (), "Auto-Submitted: auto-replied", id="auto-submitted-replied"),
    pytest.param(("Auto-Submitted: auto-generated",), (), "Auto-Submitted: auto-generated", id="auto-submitted-generated"),
    pytest.param(("X-Autoreply: yes",), (), "X-Autoreply", id="x-autoreply"),
    pytest.param(("X-Autorespond: yes",), (), "X-Autorespond", id="x-autorespond"),
    pytest.param(("X-Auto-Response-Suppress: All",), (), "X-Auto-Response-Suppress", id="x-auto-response-suppress"),
    pytest.param(("Precedence: auto_reply",), (), "Precedence: auto_reply", id="precedence-auto-reply"),
    pytest.param(("Subject: Out of Office: Коробки",), ("subject",), "автоответ (тема", id="subject-out-of-office"),
    pytest.param(("Subject: =?utf-8?b?" + base64.b64encode("Автоответ: Коробки".encode()).decode() + "?=",),
                 ("subject",), "автоответ (тема «Автоответ", id="subject-avtootvet"),
    pytest.param(("Precedence: bulk",), (), "рассылка (заголовок Precedence: bulk)", id="precedence-bulk"),
    pytest.param(("Precedence: list",), (), "Precedence: list", id="precedence-list"),
    pytest.param(("Precedence: junk",), (), "Precedence: junk", id="precedence-junk"),
    pytest.param(("List-Id: <news.pakmarket.ru>",), (), "рассылка (заголовок List-Id)", id="list-id"),
    pytest.param(("List-Unsubscribe: <mailto:unsub@pakmarket.ru>",), (), "List-Unsubscribe", id="list-unsubscribe"),
    pytest.param(("Return-Path: <>",), ("return-path",), "Return-Path <>", id="null-sender"),
    pytest.param(("From: MAILER-DAEMON@mail.gmail.com",), ("from",), "недоставке", id="mailer-daemon"),
    pytest.param(("From: postmaster@gmail.com",), ("from",), "недоставке", id="postmaster"),
    pytest.param(("From: Магазин <noreply@shop.example>",), ("from",), "робота (отправитель noreply@", id="noreply"),
    pytest.param(("From: no-reply@shop.example",), ("from",), "робота", id="no-reply"),
    pytest.param(("From: DoNotReply@shop.example",), ("from",), "робота", id="donotreply"),
    pytest.param(("From: do_not_reply@shop.example",), ("from",), "робота", id="do_not_reply"),
    pytest.param(("From: orders-noreply@shop.example",), ("from",), "робота", id="orders-noreply"),
    pytest.param(("X-Inboxbot: forwarded; rule=pool; owner=ivanova; orig=<x@y>",), (), "письмо бота (заголовок X-Inboxbot)",
                 id="own-loop-header"),
    pytest.param(("X-SK-Triage: 1",), (), "письмо бота (заголовок X-SK-Triage)", id="configured-loop-header"),
    pytest.param(("From: sales-bot@severkarton.test",), ("from",), "письмо бота (отправитель", id="bot-address"),
]  # fmt: skip


@pytest.mark.parametrize(("add", "drop", "expected"), MACHINE_VARIANTS)
def test_no_acknowledgement_to_machines(
    rules: Rules, request_001: tuple[ParsedMessage, Facts, Decision], add: tuple[str, ...], drop: tuple[str, ...],
    expected: str,
) -> None:  # fmt: skip
    _, facts, decision = request_001
    msg = parse(with_headers(sample("001"), *add, drop=drop))
    refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=False)
    assert refusal is not None and expected in refusal, refusal


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("m.orlov@severkarton.test", "наш адрес (m.orlov@severkarton.test)"),
        ("Отдел продаж <zakaz@severkarton.test>", "наш адрес (zakaz@severkarton.test)"),
        ("someone@spb.severkarton.test", "наш адрес"),  # a subdomain of an internal domain
    ],
)
def test_no_acknowledgement_to_colleagues(
    rules: Rules, extractor: Extractor, request_001: tuple[ParsedMessage, Facts, Decision], sender: str, expected: str
) -> None:
    _, _, decision = request_001
    msg, facts, _ = routed(with_headers(sample("001"), f"From: {sender}", drop=("from",)), rules, extractor)
    refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=False)
    assert refusal is not None and expected in refusal, refusal


def test_no_acknowledgement_when_the_reply_address_is_ours_or_a_robot(
    rules: Rules, request_001: tuple[ParsedMessage, Facts, Decision]
) -> None:
    """The acknowledgement goes where act.reply_address points: the client the extraction
    named, else Reply-To, else From. The sender is checked above; the address actually
    written to is checked too, whichever of them it is."""
    msg, facts, decision = request_001
    for address, expected in (("zakaz@severkarton.test", "ведёт к нам"), ("noreply@gmail.com", "адрес робота")):
        named = dataclasses.replace(facts, client_address=Address("", address))
        refusal = ack_refusal(msg, named, decision, rules, thread_acknowledged=False)
        assert refusal is not None and expected in refusal, refusal
        # The same address in Reply-To, when the extraction named nobody.
        with_reply_to = parse(with_headers(sample("001"), f"Reply-To: {address}"))
        nobody = dataclasses.replace(facts, client_address=None)
        refusal = ack_refusal(with_reply_to, nobody, decision, rules, thread_acknowledged=False)
        assert refusal is not None and expected in refusal, refusal


def test_no_acknowledgement_without_an_address_to_answer(
    rules: Rules, extractor: Extractor, request_001: tuple[ParsedMessage, Facts, Decision]
) -> None:
    _, _, decision = request_001
    # An internationalised address: not a plain addr-spec we may put in To.
    raw = with_headers(sample("001"), "From: =?utf-8?b?0JjQstCw0L0=?= <иван@пример.рф>", drop=("from",))
    msg, facts, _ = routed(raw, rules, extractor)
    assert msg.sender is not None and msg.sender.email == "иван@пример.рф"
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) == (
        "нет адреса, на который можно ответить клиенту"
    )


def test_no_acknowledgement_for_mail_a_colleague_forwarded(rules: Rules, extractor: Extractor) -> None:
    msg, facts, decision = routed(sample("012"), rules, extractor)  # reception forwards a mail from info@
    assert decision.forwards and facts.forwarded_by is not None
    refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=False)
    assert refusal is not None and "переслал сотрудник (reception@severkarton.test)" in refusal


@pytest.mark.parametrize("name", ["002", "015", "025", "028", "029"])  # newsletter, auto-reply, bounce, bot loop, offer
def test_no_acknowledgement_for_mail_that_is_not_forwarded(rules: Rules, extractor: Extractor, name: str) -> None:
    msg, facts, decision = routed(sample(name), rules, extractor)
    assert not decision.forwards
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) == (
        "письмо не пересылается менеджеру — подтверждать нечего"
    )


def test_once_per_thread(rules: Rules, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    msg, facts, decision = request_001
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=True) == (
        "в этой переписке клиент уже получил подтверждение"
    )


def test_thread_ids_are_the_mail_and_what_it_refers_to(rules: Rules, extractor: Extractor) -> None:
    first = parse(sample("001"))
    assert thread_ids(first) == [first.message_id]
    reply = parse(with_headers(sample("001"), "Message-ID: <second@mail.gmail.com>", f"In-Reply-To: <{first.message_id}>",
                               f"References: <root@x.test> <{first.message_id}>",
                               drop=("message-id",)))  # fmt: skip
    assert thread_ids(reply) == ["second@mail.gmail.com", "root@x.test", first.message_id]


def test_switched_off_for_everyone(tmp_path: Path, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    rules = rules_variant(tmp_path, ("[acknowledge]\nenabled = true", "[acknowledge]\nenabled = false"))
    msg, facts, decision = request_001
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) == (
        "подтверждения клиентам выключены ([acknowledge] enabled = false)"
    )


def test_switched_off_everywhere_but_one_rule(tmp_path: Path, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    rules = rules_variant(
        tmp_path,
        ("[acknowledge]\nenabled = true", "[acknowledge]\nenabled = false"),
        ('id = "client_inn"\nwhen = "client_inn"\n', 'id = "client_inn"\nwhen = "client_inn"\nacknowledge = true\n'),
    )
    msg, facts, decision = request_001
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) is None


def test_switched_off_for_one_rule(tmp_path: Path, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    rules = rules_variant(
        tmp_path, ('id = "client_inn"\nwhen = "client_inn"\n', 'id = "client_inn"\nwhen = "client_inn"\nacknowledge = false\n')
    )
    msg, facts, decision = request_001
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) == (
        "у правила «client_inn» выключены подтверждения (acknowledge = false)"
    )


def test_no_acknowledge_section_means_none(tmp_path: Path, request_001: tuple[ParsedMessage, Facts, Decision]) -> None:
    rules = rules_variant(tmp_path, ('[acknowledge]\nenabled = true\nfrom = "sales@severkarton.test"', ""))
    assert rules.acknowledge is None
    msg, facts, decision = request_001
    refusal = ack_refusal(msg, facts, decision, rules, thread_acknowledged=False)
    assert refusal is not None and "[acknowledge]" in refusal


def test_an_absence_keeps_the_matched_rules_setting(tmp_path: Path, extractor: Extractor) -> None:
    """014: Petrov's client by domain while he is away → Ivanova (rule absence_backup,
    base_rule client_domain). Switching client_domain off must switch this ack off too."""
    edit = ('id = "client_domain"\nwhen = "client_domain"\n', 'id = "client_domain"\nwhen = "client_domain"\nacknowledge = false\n')
    rules = rules_variant(tmp_path, edit)
    msg, facts, decision = routed(sample("014"), rules, extractor)
    assert (decision.rule, decision.base_rule, decision.owner) == ("absence_backup", "client_domain", "ivanova")
    assert ack_refusal(msg, facts, decision, rules, thread_acknowledged=False) == (
        "у правила «client_domain» выключены подтверждения (acknowledge = false)"
    )
    shipped = load_rules(RULES)
    assert ack_refusal(msg, facts, decision, shipped, thread_acknowledged=False) is None


# -- the acknowledgement ------------------------------------------------------------------------


def ack_for(raw: bytes, rules: Rules, extractor: Extractor, *, now: datetime = NOW) -> tuple[ParsedMessage, Decision, EmailMessage]:
    msg, facts, decision = routed(raw, rules, extractor)
    assert decision.owner is not None and rules.acknowledge is not None
    phone = rules.managers[decision.owner].phone
    ack = compose_ack(msg, facts, decision, context(rules, decision), rules.acknowledge.sender, Templates(),
                      manager_phone=phone, now=now)  # fmt: skip
    return msg, decision, ack


def test_ack_headers(rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher) -> None:
    msg, _, ack = ack_for(sample("001"), rules, extractor)
    received, seen = through_smtp(smtp_server, ack)

    assert received.rcpt_tos == (CLIENT_001,)
    assert received.mail_from == SHARED
    back = parse(received.raw)
    assert back.to == (msg.sender,)
    assert back.sender == Address(rules.department.name, SHARED)
    assert back.reply_to == (Address("Сидоров Алексей Викторович", "a.sidorov@severkarton.test"),)
    assert back.subject == f"Re: {msg.subject}"
    assert seen["In-Reply-To"] == f"<{msg.message_id}>"
    assert seen["References"] == f"<{msg.message_id}>"
    assert seen["Auto-Submitted"] == "auto-replied"
    assert seen["X-Auto-Response-Suppress"] == "All"
    assert seen["X-Inboxbot"] == f"ack; orig=<{msg.message_id}>"
    assert re.fullmatch(r"<ack\.[0-9a-f]{32}@severkarton\.test>", seen["Message-ID"])
    # A resend (later, after a crash) is the same mail for the client's program.
    _, _, again = ack_for(sample("001"), rules, extractor, now=NOW + timedelta(minutes=7))
    assert again["Message-ID"] == seen["Message-ID"]
    assert again["Date"] != ack["Date"]


def test_ack_subject_threads_without_the_bots_tag(rules: Rules, extractor: Extractor) -> None:
    subject = "=?utf-8?b?" + base64.b64encode("RE: Fwd: Re: КП на коробки".encode()).decode() + "?="
    _, _, ack = ack_for(with_headers(sample("001"), f"Subject: {subject}", drop=("subject",)), rules, extractor)
    assert parse(ack.as_bytes()).subject == "Re: КП на коробки"
    _, _, ack = ack_for(with_headers(sample("001"), f"Subject: {encoded('[Заявка] Коробки')}", drop=("subject",)),
                        rules, extractor)  # fmt: skip
    assert parse(ack.as_bytes()).subject == "Re: Коробки"


def test_ack_text_names_the_manager_and_how_to_reach_them(rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher) -> None:
    _, _, ack = ack_for(sample("001"), rules, extractor)
    _, seen = through_smtp(smtp_server, ack)
    text, html = bodies(seen)
    for body in (text, html):
        assert "Здравствуйте!" in body
        assert "Сидоров Алексей Викторович" in body
        assert "a.sidorov@severkarton.test" in body
        assert "+7 8172 55-10-15" in body
        assert "Алексей Викторович свяжется с вами" in body
        assert "ответ получит ваш менеджер" in body
        assert "автоматически" in body
        assert rules.department.name in body
    assert 'href="tel:+78172551015"' in html
    assert 'href="mailto:a.sidorov@severkarton.test"' in html


def test_ack_says_nothing_internal(rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher) -> None:
    for name in ("001", "004", "014", "006"):
        _, decision, ack = ack_for(sample(name), rules, extractor)
        received, seen = through_smtp(smtp_server, ack)
        text, html = bodies(seen)
        wire = received.raw.decode("utf-8", "replace")
        everything = "\n".join((wire, text, html, str(parse(received.raw).subject)))
        for secret in (decision.rule, decision.base_rule, "rule=", "owner=", "clients.csv", "[Заявка]", "Сортировщик"):
            if secret:
                assert secret not in everything, (name, secret)
        for reason in decision.reasons:
            assert reason not in text and reason not in html, (name, reason)
        for word in ("правил", "причин", "отпуск", "отсутств", "заместител", "ИНН", "регион", "пул"):
            assert word not in text and word not in html, (name, word)


def test_ack_names_the_backup_and_not_the_absence(rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher) -> None:
    """014: Petrov is on leave; Ivanova handles his client's request. The client is told
    Ivanova — who will actually answer — and nothing about Petrov's leave."""
    _, decision, ack = ack_for(sample("014"), rules, extractor)
    assert decision.base_owner == "petrov" and decision.owner == "ivanova"
    received, seen = through_smtp(smtp_server, ack)
    assert seen["Reply-To"].addresses[0].addr_spec == "i.ivanova@severkarton.test"
    text, html = bodies(seen)
    for body in (text, html):
        assert "Иванова Ирина Александровна" in body and "+7 8172 55-10-12" in body
        assert "Петров" not in body and "d.petrov" not in body
    assert b"petrov" not in received.raw.lower()


def test_ack_without_a_phone_has_no_phone_line(rules: Rules, extractor: Extractor) -> None:
    msg, facts, decision = routed(sample("001"), rules, extractor)
    assert rules.acknowledge is not None
    ack = compose_ack(msg, facts, decision, context(rules, decision), rules.acknowledge.sender, Templates(), now=NOW)
    text, html = bodies(ack)
    assert "Телефон" not in text and "tel:" not in html


# -- header injection and escaping --------------------------------------------------------------


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


EVIL_NAME = "Иван\r\nBcc: victim@evil.test\r\nX-Injected: 1"
EVIL_SUBJECT = "Коробки\r\nBcc: victim2@evil.test\nX-Injected: 2 <script>alert(1)</script>"


def test_no_header_injection_from_the_clients_name_or_subject(
    rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher
) -> None:
    raw = with_headers(
        sample("001"), f"From: {encoded(EVIL_NAME)} <{CLIENT_001}>", f"Subject: {encoded(EVIL_SUBJECT)}",
        drop=("from", "subject"),
    )  # fmt: skip
    msg, facts, decision = routed(raw, rules, extractor)
    assert rules.acknowledge is not None
    # message.py already flattens decoded names and subjects to one line; compose_ack
    # must not rely on it, so it also gets the raw newlines as a parser might pass them.
    unflattened = dataclasses.replace(msg, subject=EVIL_SUBJECT, sender=Address(EVIL_NAME, CLIENT_001))
    english = dataclasses.replace(facts, language="en")  # the English acknowledgement escapes alike
    for source, mail_facts in (
        (msg, facts), (unflattened, dataclasses.replace(facts, client_address=None)), (msg, english),
    ):
        ack = compose_ack(source, mail_facts, decision, context(rules, decision), rules.acknowledge.sender,
                          Templates(), now=NOW)  # fmt: skip
        received, seen = through_smtp(smtp_server, ack)
        assert received.rcpt_tos == (CLIENT_001,)
        names = header_names(received.raw)
        assert "Bcc" not in names and "X-Injected" not in names
        assert seen["X-Injected"] is None
        back = parse(received.raw)
        assert back.to == (Address("Иван Bcc: victim@evil.test X-Injected: 1", CLIENT_001),)
        assert back.subject == "Re: Коробки Bcc: victim2@evil.test X-Injected: 2 <script>alert(1)</script>"
        text, html = bodies(seen)
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert text.startswith("Hello,") == (mail_facts.language == "en")


# -- reminder and escalation --------------------------------------------------------------------


FORWARD_ID = "fwd.0123456789abcdef@severkarton.test"
EVIL_COMPANY = "ООО <b>«Пряники»</b><script>alert(1)</script>\r\nBcc: victim@evil.test"


def journal_row(rules: Rules, extractor: Extractor, company: dict[str, object] | None = None) -> RequestRow:
    """Sample 001 as the worker leaves it in the journal: decided (with the company the
    extraction found, as worker._details stores it, unless `company` says otherwise) and
    forwarded to Sidorov. A `company` given is one the client base does not know (the
    journal names a known client as the base does)."""
    msg, facts, decision = routed(sample("001"), rules, extractor)
    if company is None and facts.company is not None:
        company = {"name": facts.company.name, "inn": facts.company.inn}
    elif company is not None:
        decision = dataclasses.replace(decision, client=None)
    key = MessageKey("INBOX", 7, 42)
    with memory_store() as journal:
        journal.messages.record_decision(key, msg, decision, details={"company": company},
                                seen_at=datetime(2025, 6, 3, 7, 21, tzinfo=UTC))  # fmt: skip
        journal.messages.mark_forwarded(key, FORWARD_ID, "sidorov", decision.rule, at=datetime(2025, 6, 3, 7, 22, tzinfo=UTC))
        (row,) = journal.queries.requests(datetime(2025, 6, 1, tzinfo=UTC))
    return row


@pytest.fixture
def journalled(rules: Rules, extractor: Extractor) -> RequestRow:
    return journal_row(rules, extractor)


def followup_ctx(rules: Rules, owner: str = "sidorov") -> ForwardContext:
    dept = rules.department
    return ForwardContext(dept.name, Address(dept.name, dept.bot_address), dept.loop_headers, person(rules, owner))


def test_reminder_threads_under_the_forward(rules: Rules, journalled: RequestRow, smtp_server: SmtpCatcher) -> None:
    owner = person(rules, "sidorov")
    reminder = compose_reminder(journalled, owner, followup_ctx(rules), Templates(), waited=timedelta(hours=4, minutes=5),
                                shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, reminder)
    assert received.rcpt_tos == ("a.sidorov@severkarton.test",)
    assert received.mail_from == "sales-bot@severkarton.test"
    assert seen["In-Reply-To"] == "<fwd.0123456789abcdef@severkarton.test>"
    assert seen["References"] == "<fwd.0123456789abcdef@severkarton.test>"
    assert seen["Auto-Submitted"] == "auto-generated"
    assert seen["X-Inboxbot"] == f"reminder; owner=sidorov; orig=<{journalled.message_id}>"
    assert parse(received.raw).subject == f"Re: [Заявка] {journalled.subject}"
    assert re.fullmatch(r"<remind\.[0-9a-f]{32}@severkarton\.test>", seen["Message-ID"])
    later = compose_reminder(journalled, owner, followup_ctx(rules), Templates(), waited=timedelta(hours=6),
                             shared_address=SHARED, now=NOW + timedelta(hours=2))  # fmt: skip
    assert later["Message-ID"] == seen["Message-ID"]
    other = compose_reminder(journalled, person(rules, "petrov"), followup_ctx(rules, "petrov"), Templates(),
                             waited=timedelta(hours=4), shared_address=SHARED, now=NOW)  # fmt: skip
    assert other["Message-ID"] != seen["Message-ID"]

    text, html = bodies(seen)
    for body in (text, html):
        assert "Алексей Викторович, здравствуйте!" in body
        assert "4 ч 5 мин" in body and "рабочего времени" in body
        assert journalled.subject in body and CLIENT_001 in body
        assert "с копией на общий ящик" in body and SHARED in body
    assert journalled.company and journalled.company in text
    # The answer button writes to the client with the shared address in copy.
    link = re.search(r'href="(mailto:[^"]+)"', html)
    assert link is not None and link.group(1).startswith(f"mailto:{CLIENT_001}?cc={SHARED}&amp;subject=Re%3A%20")
    assert "In-Reply-To=%3C" in link.group(1)


def test_reminder_escapes_and_cleans_what_came_from_the_mail(
    rules: Rules, extractor: Extractor, smtp_server: SmtpCatcher
) -> None:
    row = journal_row(rules, extractor, {"name": EVIL_COMPANY, "inn": "3525000000"})
    reminder = compose_reminder(row, person(rules, "sidorov"), followup_ctx(rules), Templates(),
                                waited=timedelta(hours=4), shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, reminder)
    assert received.rcpt_tos == ("a.sidorov@severkarton.test",)
    assert "Bcc" not in header_names(received.raw)
    _, html = bodies(seen)
    assert "<script>" not in html and "<b>«Пряники»" not in html
    assert "ООО &lt;b&gt;«Пряники»&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@evil.test" in html
    escalation = compose_escalation(row, person(rules, "sidorov"), person(rules, "volkov"), followup_ctx(rules),
                                    Templates(), waited=timedelta(hours=9), reassigned_to=None, reminded_at=None,
                                    shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, escalation)
    assert set(received.rcpt_tos) == {"a.volkov@severkarton.test", "a.sidorov@severkarton.test"}
    assert "Bcc" not in header_names(received.raw)
    assert "<script>" in parse(received.raw).subject  # a header is text, not HTML: kept, on one line
    _, html = bodies(seen)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_escalation_to_the_head_with_the_manager_in_copy(rules: Rules, journalled: RequestRow, smtp_server: SmtpCatcher) -> None:
    owner, head = person(rules, "sidorov"), person(rules, "volkov")
    reminded = datetime(2025, 6, 3, 11, 22, tzinfo=UTC)
    escalation = compose_escalation(journalled, owner, head, followup_ctx(rules), Templates(), waited=timedelta(hours=9),
                                    reassigned_to=None, reminded_at=reminded, shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, escalation)
    assert set(received.rcpt_tos) == {"a.volkov@severkarton.test", "a.sidorov@severkarton.test"}
    assert seen["To"].addresses[0].addr_spec == "a.volkov@severkarton.test"
    assert seen["Cc"].addresses[0].addr_spec == "a.sidorov@severkarton.test"
    assert seen["Reply-To"].addresses[0].addr_spec == "a.sidorov@severkarton.test"
    assert seen["Auto-Submitted"] == "auto-generated"
    assert seen["X-Inboxbot"].startswith("escalation; owner=sidorov;")
    assert seen["In-Reply-To"] == "<fwd.0123456789abcdef@severkarton.test>"
    assert re.fullmatch(r"<escalate\.[0-9a-f]{32}@severkarton\.test>", seen["Message-ID"])
    subject = parse(received.raw).subject
    assert "без ответа 9 ч" in subject and "Сидоров" in subject and "\n" not in subject
    text, html = bodies(seen)
    for body in (text, html):
        assert "Андрей Николаевич, здравствуйте!" in body
        assert "Сидоров Алексей Викторович" in body
        assert "9 ч" in body and "рабочего времени" in body
        assert "3 июня 2025, 14:22" in body  # reminded at, Moscow time
        assert journalled.subject in body
        assert "Бот передал" not in body

    again = compose_escalation(journalled, owner, head, followup_ctx(rules), Templates(), waited=timedelta(hours=10),
                               reassigned_to=None, reminded_at=reminded, shared_address=SHARED,
                               now=NOW + timedelta(hours=1))  # fmt: skip
    assert again["Message-ID"] == seen["Message-ID"]


def test_escalation_says_to_whom_the_request_was_handed(rules: Rules, journalled: RequestRow, smtp_server: SmtpCatcher) -> None:
    owner, head, orlov = person(rules, "sidorov"), person(rules, "volkov"), person(rules, "orlov")
    escalation = compose_escalation(journalled, owner, head, followup_ctx(rules), Templates(), waited=timedelta(hours=9),
                                    reassigned_to=orlov, reminded_at=None, shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, escalation)
    assert "Орлов" in parse(received.raw).subject and "передана" in parse(received.raw).subject
    text, html = bodies(seen)
    for body in (text, html):
        assert "Бот передал её другому менеджеру" in body and "Орлов Максим Игоревич" in body
        assert "Максим Игоревич" in body and "Напоминания не было" in body


def test_escalation_about_the_heads_own_request_has_no_copy(rules: Rules, journalled: RequestRow, smtp_server: SmtpCatcher) -> None:
    head = person(rules, "volkov")
    escalation = compose_escalation(journalled, head, head, followup_ctx(rules, "volkov"), Templates(),
                                    waited=timedelta(hours=9), reassigned_to=None, reminded_at=None,
                                    shared_address=SHARED, now=NOW)  # fmt: skip
    received, seen = through_smtp(smtp_server, escalation)
    assert received.rcpt_tos == ("a.volkov@severkarton.test",)
    assert seen["Cc"] is None
    text, _ = bodies(seen)
    assert "Копия этого письма" not in text


# -- templates ----------------------------------------------------------------------------------


def test_a_broken_override_fails_the_start_up_check(tmp_path: Path) -> None:
    check_mail_templates(Templates())  # the built-in ones pass
    (tmp_path / "reminder.html.j2").write_text("<p>{{ request.subjekt }}</p>", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"reminder\.html\.j2.*subjekt"):
        check_mail_templates(Templates(tmp_path))
    (tmp_path / "reminder.html.j2").unlink()
    (tmp_path / "ack.txt.j2").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"ack\.txt\.j2"):
        check_mail_templates(Templates(tmp_path))


def test_an_override_is_used(tmp_path: Path, rules: Rules, extractor: Extractor) -> None:
    (tmp_path / "ack.txt.j2").write_text("Ваш менеджер: {{ manager.name }}, {{ manager.phone }}\n", encoding="utf-8")
    msg, facts, decision = routed(sample("001"), rules, extractor)
    assert rules.acknowledge is not None
    ack = compose_ack(msg, facts, decision, context(rules, decision), SHARED, Templates(tmp_path),
                      manager_phone="+7 8172 55-10-15", now=NOW)  # fmt: skip
    text, _ = bodies(ack)
    assert text.strip() == "Ваш менеджер: Сидоров Алексей Викторович, +7 8172 55-10-15"


# -- on a phone ---------------------------------------------------------------------------------


def phone_pages() -> dict[str, str]:
    """The ack of sample 014 (the backup answers) and a reminder about sample 001."""
    rules = load_rules(RULES)
    extractor = Extractor()
    assert rules.acknowledge is not None
    msg, facts, decision = routed(sample("014"), rules, extractor)
    assert decision.owner is not None
    ack = compose_ack(msg, facts, decision, context(rules, decision), rules.acknowledge.sender, Templates(),
                      manager_phone=rules.managers[decision.owner].phone, now=NOW)  # fmt: skip
    row = journal_row(rules, extractor)
    reminder = compose_reminder(row, person(rules, "sidorov"), followup_ctx(rules), Templates(),
                                waited=timedelta(hours=4), shared_address=SHARED, now=NOW)  # fmt: skip
    escalation = compose_escalation(row, person(rules, "sidorov"), person(rules, "volkov"), followup_ctx(rules), Templates(),
                                    waited=timedelta(hours=9), reassigned_to=person(rules, "orlov"),
                                    reminded_at=datetime(2025, 6, 3, 11, 22, tzinfo=UTC), shared_address=SHARED,
                                    now=NOW)  # fmt: skip
    return {"ack": bodies(ack)[1], "reminder": bodies(reminder)[1], "escalation": bodies(escalation)[1]}


def test_notices_fit_a_phone() -> None:
    from browser import PHONE, decode_png, grey_stddev, layouts, screenshot

    pages = phone_pages()
    measured = dict(zip(pages, layouts(list(pages.values())), strict=True))
    for name, page in measured.items():
        assert page.scroll_width <= page.width, f"{name}: sideways scroll ({page.scroll_width}px)"
        assert page.widest <= page.width + 1, f"{name}: an element sticks out ({page.widest}px)"
        assert page.min_font_px >= 13, f"{name}: text of {page.min_font_px}px"
        assert "{{" not in page.text and "{%" not in page.text, name
        assert page.height < 2 * PHONE[1], f"{name}: {page.height}px is more than two screens"
    ack_layout = measured["ack"]
    # Who the manager is, and a tap to write or call them, on the first screen.
    assert "Иванова Ирина Александровна" in ack_layout.text
    taps = {link.href.split(":", 1)[0]: link for link in ack_layout.links}
    assert {"mailto", "tel"} <= taps.keys() and all(link.bottom < PHONE[1] for link in taps.values())
    reminder = measured["reminder"]
    (button,) = [link for link in reminder.links if link.text == "Ответить клиенту"]
    assert button.bottom < PHONE[1], "the answer button is below the first screen"
    shot = decode_png(screenshot(pages["ack"], (PHONE[0], 900)))
    assert shot.width == PHONE[0] and grey_stddev(shot) > 10, "blank screenshot"


def write_screenshots(out: Path = REPO / "docs" / "screenshots") -> list[Path]:
    from browser import PHONE, layout, screenshot

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in phone_pages().items():
        if name == "escalation":
            continue
        path = out / f"{name}-phone.png"
        path.write_bytes(screenshot(page, (PHONE[0], layout(page).height), scale=2))
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"):
        print(written)
