"""The forward and the absence notice, built from real corpus mails. No network."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import re
from datetime import UTC, date, datetime
from email.header import Header
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import CORPUS

from inboxbot.compose.absence import compose_absence_notice
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.forward import compose_forward
from inboxbot.compose.ids import forward_message_id
from inboxbot.compose.mime import attached_original, normalize_newlines
from inboxbot.compose.russian import ru_datetime
from inboxbot.compose.subjects import forward_subject
from inboxbot.compose.template_check import check_mail_templates
from inboxbot.compose.templates import TemplateError, Templates
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import ClientRef, Decision
from inboxbot.model.facts import Company, Evidence, Facts, Region, Requisite

NOW = datetime(2025, 6, 10, 11, 30, tzinfo=UTC)

ORLOV = Recipient("orlov", "Орлов Максим Игоревич", "m.orlov@severkarton.test")
PETROV = Recipient("petrov", "Петров Дмитрий Сергеевич", "d.petrov@severkarton.test", date(2025, 7, 20))
IVANOVA = Recipient("ivanova", "Иванова Ирина Александровна", "i.ivanova@severkarton.test")
BOT = Address("ТД «Северный Картон»", "sales-bot@severkarton.test")


def corpus_bytes(name: str) -> bytes:
    path = CORPUS / name
    if not path.is_file():
        pytest.fail(f"corpus mail {path} is missing (tests/corpus, see its PROVENANCE.md)")
    return path.read_bytes()


def ctx(owner: Recipient = ORLOV, base: Recipient | None = None) -> ForwardContext:
    return ForwardContext("ТД «Северный Картон»", BOT, ("X-Inboxbot", "X-SK-Triage"), owner, base)


def kareliya() -> tuple[bytes, ParsedMessage, Facts, Decision]:
    """Corpus 004: an existing client found by its domain."""
    raw = corpus_bytes("004-kareliya-forel-yashchiki.eml")
    msg = parse(raw)
    facts = Facts(
        client_address=msg.sender,
        company=Company("ООО «Карельская форель»", "Карельская форель", inn="1001328149"),
        region=Region("10", "Республика Карелия", "СЗФО", "client_base"),
        new_text=msg.text,
    )
    decision = Decision(
        action="forward",
        owner="orlov",
        rule="client_domain",
        reasons=(
            "Домен kareliafish.ru есть в базе клиентов: ООО «Карельская форель».",
            "Клиента ведёт Орлов Максим Игоревич — независимо от территории.",
        ),
        client=ClientRef("ООО «Карельская форель»", "1001328149", "orlov", "clients.csv", 219, "10"),
    )
    return raw, msg, facts, decision


def compose(raw: bytes, msg: ParsedMessage, facts: Facts, decision: Decision, context: ForwardContext | None = None,
            templates: Templates | None = None) -> EmailMessage:
    return compose_forward(raw, msg, facts, decision, context or ctx(), templates or Templates(), now=NOW)


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def texts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    # Text travels in canonical form (CRLF inside the base64); compare with "\n".
    return plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


# -- headers and structure -----------------------------------------------------------------


def test_forward_headers() -> None:
    raw, msg, facts, decision = kareliya()
    out = reparse(compose(raw, msg, facts, decision))
    seen = parse(out.as_bytes())

    assert seen.sender == Address("Сортировщик заявок", "sales-bot@severkarton.test")
    assert seen.to == (Address("Орлов Максим Игоревич", "m.orlov@severkarton.test"),)
    assert seen.reply_to == (msg.sender,)
    assert seen.subject == "[Заявка] Ящики для охлаждённой рыбы — июль"
    assert seen.message_id == forward_message_id(msg, "orlov", "severkarton.test").strip("<>")
    assert seen.in_reply_to == (msg.message_id,)
    assert seen.references == (msg.message_id,)
    assert out["X-Inboxbot"] == f"forwarded; rule=client_domain; owner=orlov; orig=<{msg.message_id}>"
    assert out["X-SK-Triage"] is None  # only the first loop header is written
    assert out["Auto-Submitted"] is None
    assert seen.date == NOW


def test_forward_structure() -> None:
    raw, msg, facts, decision = kareliya()
    out = reparse(compose(raw, msg, facts, decision))
    assert out.get_content_type() == "multipart/mixed"
    alternative, original = out.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert original.get_content_type() == "message/rfc822"
    assert original.get_content_disposition() == "attachment"
    assert original.get_payload(0)["Message-ID"] == f"<{msg.message_id}>"


@pytest.mark.parametrize(
    "name, crlf",
    [("004-kareliya-forel-yashchiki.eml", True), ("001-pryaniki-korobki-inn.eml", False)],
)
def test_original_attached_byte_for_byte(name: str, crlf: bool) -> None:
    raw = corpus_bytes(name)
    assert (b"\r\n" in raw) == crlf
    _, _, facts, decision = kareliya()
    data = compose(raw, parse(raw), facts, decision).as_bytes()
    attached = attached_original(data)
    if crlf:
        assert attached == raw
    else:
        # Bare LF cannot go over SMTP; the line ends are the only change.
        assert attached == raw.replace(b"\n", b"\r\n")
        assert attached.replace(b"\r\n", b"\n") == raw


def test_eight_bit_original_is_declared_8bit() -> None:
    raw = (
        "From: Иван <ivan@example.ru>\nTo: sales@severkarton.test\nSubject: Коробки\n"
        "Message-ID: <8bit@example.ru>\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nНужны коробки 400×300.\n"
    ).encode()
    _, _, facts, decision = kareliya()
    data = compose(raw, parse(raw), facts, decision).as_bytes()
    assert attached_original(data) == normalize_newlines(raw)
    part = reparse(compose(raw, parse(raw), facts, decision)).get_payload()[1]  # type: ignore[index]
    assert part["Content-Transfer-Encoding"] == "8bit"


def test_unsendable_original_goes_base64() -> None:
    raw = b"From: a@example.ru\r\nSubject: x\r\n\r\n" + b"a" * 1200 + b"\0\r\n"
    _, _, facts, decision = kareliya()
    part = reparse(compose(raw, parse(raw), facts, decision)).get_payload()[1]  # type: ignore[index]
    assert part.get_content_type() == "application/octet-stream"
    assert part.get_content() == raw


def test_references_chain_of_a_reply() -> None:
    raw = corpus_bytes("021-re-kp-sidorova-rostov.eml")
    msg = parse(raw)
    assert msg.references, "corpus 021 is a reply with References"
    _, _, facts, decision = kareliya()
    seen = parse(compose(raw, msg, facts, decision).as_bytes())
    assert seen.references == (*[r for r in msg.references if r != msg.message_id], msg.message_id)
    assert seen.subject.startswith("[Заявка] Re: ")
    assert "Re: Re" not in seen.subject


def test_long_ids_and_subjects_survive_folding() -> None:
    long_ids = [f"{'x' * (20 + 15 * i)}@very-long-domain-name.example.com" for i in range(6)]
    subject = "Коммерческое предложение на поставку гофрокоробов и стрейч-плёнки " * 3
    encoded_subject = Header(subject, "utf-8").encode(linesep="\r\n")
    raw = (
        f"From: a@example.ru\r\nSubject: {encoded_subject}\r\nMessage-ID: <{'m' * 90}@example.ru>\r\n"
        f"References: {' '.join(f'<{i}>' for i in long_ids)}\r\n\r\nтекст\r\n"
    ).encode()
    msg = parse(raw)
    _, _, facts, decision = kareliya()
    data = compose(raw, msg, facts, decision).as_bytes()
    head = header_block(data).decode("ascii")
    for name in ("References", "In-Reply-To", "Message-ID", "X-Inboxbot"):
        line = re.search(rf"^{name}:.*(?:\r\n[ \t].*)*", head, re.MULTILINE)
        assert line and "=?" not in line.group(0), f"{name} must not be RFC 2047 encoded"
    seen = parse(data)
    assert seen.references[:-1] == tuple(long_ids)
    assert seen.subject == "[Заявка] " + " ".join(subject.split())  # no space lost in folding
    assert max(len(line) for line in head.split("\r\n")) <= 998


def test_message_without_message_id_gets_no_thread_headers() -> None:
    raw = b"From: a@example.ru\r\nSubject: x\r\n\r\nbody\r\n"
    msg = parse(raw)
    assert not msg.has_message_id
    _, _, facts, decision = kareliya()
    out = reparse(compose(raw, msg, facts, decision))
    assert out["In-Reply-To"] is None and out["References"] is None
    assert out["Message-ID"] == forward_message_id(msg, "orlov", "severkarton.test")


# -- deterministic Message-ID --------------------------------------------------------------


def test_message_id_is_deterministic() -> None:
    raw, msg, facts, decision = kareliya()
    first = forward_message_id(msg, "orlov", "severkarton.test")
    assert re.fullmatch(r"<fwd\.[0-9a-f]{32}@severkarton\.test>", first)
    assert forward_message_id(parse(raw), "orlov", "severkarton.test") == first
    assert forward_message_id(msg, "petrov", "severkarton.test") != first
    other = parse(corpus_bytes("001-pryaniki-korobki-inn.eml"))
    assert forward_message_id(other, "orlov", "severkarton.test") != first
    later = compose_forward(raw, msg, facts, decision, ctx(), Templates(), now=datetime(2025, 7, 1, tzinfo=UTC))
    assert later["Message-ID"] == compose(raw, msg, facts, decision)["Message-ID"] == first


def test_message_id_domain_is_checked() -> None:
    _, msg, _, _ = kareliya()
    assert forward_message_id(msg, "orlov", "evil>\r\nBcc: x").endswith("@inboxbot.invalid>")


# -- injection and escaping ----------------------------------------------------------------

EVIL = "\r\nBcc: evil@x.test"


def _b64_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def assert_no_injected_header(data: bytes) -> None:
    head = header_block(data)
    for line in head.split(b"\r\n"):
        assert re.match(rb"[!-9;-~]+:|[ \t]", line), f"unexpected header line {line!r}"
        assert not line.lower().startswith(b"bcc:")
    assert b"\r" not in head.replace(b"\r\n", b"") and b"\n" not in head.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert "evil@x.test" not in [a for _, a in email.utils.getaddresses(parsed.get_all("To", []) + parsed.get_all("Cc", []))]


def test_encoded_crlf_in_the_original_headers_is_neutralised() -> None:
    raw = (
        f"From: {_b64_word('Иван' + EVIL)} <ivan@example.ru>\r\n"
        f"Reply-To: {_b64_word('Менеджер' + EVIL)} <zakupki@example.ru>\r\n"
        f"Subject: {_b64_word('Коробки' + EVIL)}\r\nMessage-ID: <inj@example.ru>\r\n\r\nНужны коробки.\r\n"
    ).encode()
    msg = parse(raw)
    facts = Facts(company=Company("ООО «Ромашка»" + EVIL, "Ромашка" + EVIL))
    decision = Decision(action="forward", owner="orlov", rule="territory", reasons=("причина" + EVIL,))
    data = compose(raw, msg, facts, decision).as_bytes()
    assert_no_injected_header(data)
    seen = email.message_from_bytes(data, policy=email.policy.default)
    assert seen["Subject"] == "[Заявка] Коробки Bcc: evil@x.test"  # harmless text on one line
    assert len(seen["Reply-To"].addresses) == 1
    assert seen["From"].addresses[0].addr_spec == "sales-bot@severkarton.test"


def test_raw_crlf_in_values_handed_to_act_is_neutralised() -> None:
    # compose must not rely on message.py having cleaned the values.
    raw, msg, _, decision = kareliya()
    dirty = dataclasses.replace(msg, subject="Тема" + EVIL + "\n\rX-Evil: 1", sender=Address("Evil" + EVIL, "a@example.ru"))
    facts = Facts(
        client_address=Address("Клиент" + EVIL, "evil@example.ru\r\nBcc: x@y.test"),  # not an address: skipped
        company=Company("Evil" + EVIL, "Evil"),
    )
    context = ForwardContext("Отдел" + EVIL, Address("Бот" + EVIL, "sales-bot@severkarton.test"), (), ORLOV, PETROV)
    data = compose_forward(raw, dirty, facts, decision, context, Templates(), now=NOW).as_bytes()
    assert_no_injected_header(data)
    # Read with the stdlib parser: inboxbot.mail.message decodes encoded words before it splits
    # addresses, so it would itself misread "Bcc: evil@x.test" inside a display name.
    seen = email.message_from_bytes(data, policy=email.policy.default)
    assert [(a.display_name, a.addr_spec) for a in seen["Reply-To"].addresses] == [("Evil Bcc: evil@x.test", "a@example.ru")]
    assert [(a.display_name, a.addr_spec) for a in seen["From"].addresses] == [("Бот Bcc: evil@x.test", "sales-bot@severkarton.test")]
    assert seen["Subject"] == "[Заявка] Тема Bcc: evil@x.test X-Evil: 1"
    assert b"X-Evil" not in header_block(data).split(b"\r\nSubject")[0]
    notice = compose_absence_notice(dirty, facts, decision, context, PETROV, Templates(), now=NOW).as_bytes()
    assert_no_injected_header(notice)


def test_literal_encoded_word_in_a_name_is_not_decoded_by_the_reader() -> None:
    raw, msg, facts, decision = kareliya()
    sneaky = dataclasses.replace(msg, subject="=?utf-8?b?" + base64.b64encode(b"x\r\nBcc: e@x").decode() + "?=")
    seen = parse(compose(raw, sneaky, facts, decision).as_bytes())
    assert "=?utf-8?b?" in seen.subject  # shown literally, never turned into a new line


def test_html_part_is_escaped() -> None:
    raw, msg, _, decision = kareliya()
    facts = Facts(
        client_address=msg.sender,
        company=Company("<b>ООО «Ромашка»</b>", "Ромашка"),
        new_text='Здравствуйте! <script>alert("x")</script> & <img src=x onerror=alert(1)>',
    )
    plain, html = texts(reparse(compose(raw, msg, facts, dataclasses.replace(decision, client=None))))
    assert "<script>" not in html and "<img src=x" not in html and "<b>ООО" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in html
    assert "&lt;b&gt;ООО «Ромашка»&lt;/b&gt;" in html
    assert '<script>alert("x")</script>' in plain  # plain text needs no escaping
    assert "http" not in re.sub(r"https?://(www\.)?w3\.org", "", html)  # no external images or links


# -- body ----------------------------------------------------------------------------------


def test_forward_body_explains_the_choice() -> None:
    raw, msg, facts, decision = kareliya()
    plain, html = texts(reparse(compose(raw, msg, facts, decision)))
    for body in (plain, html):
        assert "Максим Игоревич, здравствуйте!" in body
        assert "ООО «Карельская форель»" in body and "ИНН 1001328149" in body
        assert "Республика Карелия (10), СЗФО" in body
        assert "clients.csv, строка 219" in body
        assert "Домен kareliafish.ru есть в базе клиентов" in body
        assert "ящики гофрокартонные с пропиткой 600х400х150" in body
        assert "10 июня 2025, 14:10" in body
        assert "m.laukkanen@kareliafish.ru" in body
        assert "во вложении" in body
    assert "image001.png" not in plain  # a signature logo is not an attachment of the request


def test_forward_body_names_attachments_and_who_forwarded() -> None:
    raw = corpus_bytes("024-volga-pack-samara-docx.eml")
    msg = parse(raw)
    names = [a.filename for a in msg.attachments]
    assert names
    facts = Facts(
        client_address=msg.sender,
        forwarded_by=Address("Белова Анастасия Романовна", "reception@severkarton.test"),
        requisites=(Requisite("inn", "6312345678", Evidence("attachment", "6312345678", detail=names[0])),),
        company=Company("ООО «Волга-Пак»", "Волга-Пак", inn="6312345678"),
    )
    decision = Decision(action="forward", owner="petrov", rule="territory", reasons=("Самарская область — ПФО.",))
    plain, _ = texts(reparse(compose(raw, msg, facts, decision, ctx(PETROV))))
    assert "вложения клиента внутри него: " + names[0] in plain
    assert f"ИНН — из вложения «{names[0]}»" in plain
    assert "Кто переслал: Белова Анастасия Романовна <reception@severkarton.test>" in plain


def test_forward_to_the_backup_says_whose_client_it_is() -> None:
    raw = corpus_bytes("014-pomorskaya-ryba-otpusk-petrova.eml")
    msg = parse(raw)
    decision = Decision(
        action="forward", owner="ivanova", rule="absence_backup", reasons=("Клиент Петрова; Петров в отпуске.",),
        base_rule="client_domain", base_owner="petrov", notify=("petrov",),
    )
    plain, html = texts(reparse(compose(raw, msg, Facts(client_address=msg.sender), decision, ctx(IVANOVA, PETROV))))
    expected = "Клиент менеджера: Петров Дмитрий Сергеевич (в отпуске до 20 июля 2025). Передано вам как заместителю."
    assert expected in plain
    assert "Клиент менеджера: <b>Петров Дмитрий Сергеевич</b> (в отпуске до 20 июля 2025)" in html


def test_long_request_is_cut_for_the_phone() -> None:
    raw, msg, facts, decision = kareliya()
    long_facts = dataclasses.replace(facts, new_text="Строка заявки с позициями. " * 400)
    plain, _ = texts(reparse(compose(raw, msg, long_facts, decision)))
    quote = plain.split("14:10\n", 1)[1].split("\n(продолжение")[0]
    assert 1200 < len(quote) <= 1502 and quote.endswith(" …")
    assert "(продолжение — в исходном письме)" in plain


def test_empty_subject() -> None:
    assert forward_subject("") == "[Заявка] (без темы)"
    assert forward_subject("   ") == "[Заявка] (без темы)"


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Re: RE: Fwd: КП на коробки", "[Заявка] Re: КП на коробки"),
        ("Fwd: Запрос цен", "[Заявка] Запрос цен"),
        ("RE[2]: Отв: Счёт", "[Заявка] Re: Счёт"),
        ("[Заявка] Re: Счёт", "[Заявка] Re: Счёт"),
        ("Request for quotation", "[Заявка] Request for quotation"),
        ("Ответ на ваш запрос", "[Заявка] Ответ на ваш запрос"),
    ],
)
def test_forward_subject(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


def test_russian_dates() -> None:
    assert ru_datetime(datetime(2025, 6, 16, 7, 30, tzinfo=UTC)) == "16 июня 2025, 10:30"
    assert ru_datetime(None) == "дата неизвестна"


# -- absence notice ------------------------------------------------------------------------


def test_absence_notice() -> None:
    raw = corpus_bytes("014-pomorskaya-ryba-otpusk-petrova.eml")
    msg = parse(raw)
    facts = Facts(client_address=msg.sender, company=Company("ООО «Поморская рыба»", "Поморская рыба", inn="2901143706"))
    decision = Decision(
        action="forward", owner="ivanova", rule="absence_backup", reasons=("Петров в отпуске.",),
        base_rule="client_domain", base_owner="petrov", notify=("petrov",),
    )
    context = ctx(IVANOVA, PETROV)
    notice = compose_absence_notice(msg, facts, decision, context, PETROV, Templates(), now=NOW)
    out = reparse(notice)
    seen = parse(notice.as_bytes())
    assert seen.to == (Address("Петров Дмитрий Сергеевич", "d.petrov@severkarton.test"),)
    assert seen.reply_to == (Address("Иванова Ирина Александровна", "i.ivanova@severkarton.test"),)
    assert seen.sender is not None and seen.sender.email == "sales-bot@severkarton.test"
    assert out["Auto-Submitted"] == "auto-generated"
    assert out["X-Inboxbot"].startswith("notice; rule=absence_backup; owner=petrov; orig=<")
    assert seen.subject == "[Заявка] ООО «Поморская рыба»: заявка передана — Ирина Александровна"
    assert out.get_content_type() == "multipart/alternative"  # nothing attached
    forward = compose(raw, msg, facts, decision, context)
    assert out["Message-ID"] != forward["Message-ID"]
    later = datetime(2025, 7, 1, tzinfo=UTC)  # a resend at another time is the same mail
    assert compose_absence_notice(msg, facts, decision, context, PETROV, Templates(), now=later)["Message-ID"] == out["Message-ID"]
    plain, html = texts(out)
    for body in (plain, html):
        assert "Дмитрий Сергеевич, здравствуйте!" in body
        assert "до 20 июля 2025 включительно" in body
        assert "Иванова Ирина Александровна" in body and "i.ivanova@severkarton.test" in body
        assert "ООО «Поморская рыба»" in body and "ИНН 2901143706" in body
        assert msg.subject in body
        assert ru_datetime(msg.date) in body


# -- templates -----------------------------------------------------------------------------


def test_override_folder_wins(tmp_path: Path) -> None:
    (tmp_path / "forward.txt.j2").write_text("Своё: {{ client.name }} → {{ owner.greeting }}\n", "utf-8")
    raw, msg, facts, decision = kareliya()
    plain, html = texts(reparse(compose(raw, msg, facts, decision, templates=Templates(tmp_path))))
    assert plain == "Своё: ООО «Карельская форель» → Максим Игоревич\n"
    assert "Почему вам" in html  # the html template was not overridden: the built-in one


def test_typo_in_an_override_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "forward.txt.j2").write_text("Здравствуйте!\n\n{{ clinet.name }}\n", "utf-8")
    raw, msg, facts, decision = kareliya()
    templates = Templates(tmp_path)
    with pytest.raises(TemplateError) as caught:
        compose(raw, msg, facts, decision, templates=templates)
    text = str(caught.value)
    assert "forward.txt.j2" in text and "строка 3" in text and "«clinet»" in text and "client" in text
    with pytest.raises(TemplateError, match="clinet"):
        check_mail_templates(templates)


def test_syntax_error_and_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "forward.html.j2").write_text("<p>{% if x %}</p>\n", "utf-8")
    with pytest.raises(TemplateError, match=r"forward\.html\.j2, строка \d+: ошибка синтаксиса"):
        check_mail_templates(Templates(tmp_path))
    with pytest.raises(TemplateError, match="не найдена"):
        Templates(tmp_path / "nope")
    with pytest.raises(TemplateError, match=re.escape("встроенные: forward.txt.j2")):
        Templates().render("nope.txt.j2")


def test_built_in_templates_pass_the_check() -> None:
    check_mail_templates(Templates())


def test_bad_loop_header_name_is_refused() -> None:
    with pytest.raises(ValueError):
        ForwardContext("Отдел", BOT, ("X-Bad: header",), ORLOV)


@pytest.mark.parametrize(
    "name",
    [
        "Иванова Ирина Александровна",
        "Общество с ограниченной ответственностью «Северо-Западная Упаковочная Компания»",
        "Длинноеслововкотороммногобукврусскихбезпробелов Иван",
        'Smith, John "JJ" (Sales)',
        "Иван Smith",
    ],
)
def test_display_names_come_back_exact(name: str) -> None:
    raw, msg, facts, decision = kareliya()
    owner = Recipient("x", name, "x@severkarton.test")
    data = compose(raw, msg, facts, decision, ctx(owner)).as_bytes()
    assert max(len(line) for line in header_block(data).split(b"\r\n")) <= 78
    # RFC 2047 decoding (inboxbot.mail.message uses email.header.decode_header).
    assert parse(data).to == (Address(name, "x@severkarton.test"),)
