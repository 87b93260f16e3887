"""Parsing: the typed mail object from real sample mails and from broken bytes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from russian_texts import LINES, MAILS, for_codepage
from samples import CORPUS, mime_corpus_files

from inboxbot.mail.charsets import CYRILLIC_CODEPAGES
from inboxbot.mail.message import decode_text, parse


def _corpus(name: str) -> bytes:
    matches = list(CORPUS.glob(f"{name}*.eml"))
    assert matches, f"sample {name} missing from {CORPUS}"
    return matches[0].read_bytes()


def test_headers_and_text_of_a_plain_request() -> None:
    msg = parse(_corpus("001"))
    assert msg.sender is not None and msg.sender.email == "gromova.liza@gmail.com"
    assert msg.sender.name == "Елизавета Громова"
    assert msg.subject.startswith("Коробки для пряников")
    assert "ИНН 7106346026" in msg.text
    assert msg.date is not None and msg.date.utcoffset().total_seconds() == 3 * 3600  # type: ignore[union-attr]
    assert msg.has_message_id and msg.message_id.endswith("@mail.gmail.com")
    assert msg.to[0].email == "sales@severkarton.test"


def test_reply_ids_nearest_first() -> None:
    msg = parse(_corpus("011"))
    assert msg.in_reply_to
    assert msg.thread_ids[0] == msg.in_reply_to[0]


def test_bounce_keeps_the_returned_message_as_forwarded() -> None:
    msg = parse(_corpus("025"))
    assert msg.content_type == "multipart/report"
    assert len(msg.forwarded) == 1
    assert "Счёт во вложении" in msg.forwarded[0].text
    assert "Счёт во вложении" not in msg.text  # the nested text is not mixed into ours


def test_attachment_bytes_are_kept() -> None:
    msg = parse(_corpus("024"))
    (att,) = msg.attachments
    assert att.filename == "Реквизиты.docx"
    assert att.payload[:2] == b"PK"  # a zip container, decoded from base64


def test_html_only_mail_gets_readable_text() -> None:
    msg = parse(_corpus("002"))
    assert msg.text and "<" not in msg.text[:200]


def test_missing_message_id_gets_a_stable_one() -> None:
    raw = b"From: a@b.ru\r\nSubject: x\r\n\r\nbody\r\n"
    first, second = parse(raw), parse(raw)
    assert not first.has_message_id
    assert first.message_id == second.message_id and first.message_id.endswith("@inboxbot.invalid")


def test_encoded_newlines_do_not_survive_in_subject_or_names() -> None:
    raw = (
        b"From: =?utf-8?b?0JjQstCw0L0NCkJjYzogZXZpbEB4LnJ1?= <ivan@x.ru>\r\n"
        b"Subject: =?utf-8?b?0KLQtdC80LANCkJjYzogZXZpbEB4LnJ1?=\r\n\r\nbody\r\n"
    )
    msg = parse(raw)
    assert "\n" not in msg.subject and "\r" not in msg.subject
    assert msg.sender is not None and "\n" not in msg.sender.name


def test_every_real_malformed_mail_parses() -> None:
    files = mime_corpus_files()
    assert len(files) == 272, "the MIME corpus is missing or incomplete"
    for path in files:
        msg = parse(path.read_bytes())
        assert msg.message_id, path


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_parse_without_error(raw: bytes) -> None:
    msg = parse(raw)
    assert msg.content_hash and msg.size == len(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_header_soup_parses(subject: str, body: str) -> None:
    raw = f"From: {subject[:40]}\r\nSubject: {subject}\r\nContent-Type: text/plain; charset={body[:10]}\r\n\r\n{body}"
    msg = parse(raw.encode("utf-8", "surrogatepass"))
    assert "\n" not in msg.subject


@pytest.mark.parametrize("charset", ["cp1251", "koi8-r", "utf-8"])
def test_russian_charsets(charset: str) -> None:
    body = "Добрый день! Нужны коробки, ИНН 7707083893.".encode(charset)
    raw = (
        f"From: a@b.ru\r\nSubject: test\r\nContent-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body
    assert "коробки" in parse(raw).text


def test_encoded_display_name_cannot_smuggle_an_address() -> None:
    import base64

    evil = base64.b64encode("Иван, evil@attacker.test\r\nBcc: evil2@attacker.test".encode()).decode()
    raw = (f"From: =?utf-8?b?{evil}?= <ivan@client.ru>\r\nReply-To: =?utf-8?b?{evil}?= <ivan@client.ru>\r\n"
           "Subject: x\r\n\r\nbody\r\n").encode()
    msg = parse(raw)
    assert msg.sender is not None and msg.sender.email == "ivan@client.ru"
    assert [a.email for a in msg.reply_to] == ["ivan@client.ru"]
    assert "evil@attacker.test" in msg.sender.name  # kept as text, never as an address


@pytest.mark.parametrize("charset", ["utf-8", *CYRILLIC_CODEPAGES])
def test_raw_8bit_headers_are_decoded(charset: str) -> None:
    raw = "From: Иван Петров <ivan@client.ru>\r\nSubject: Коробки 40x30\r\n\r\nтело\r\n".encode(charset)
    msg = parse(raw)
    assert msg.subject == "Коробки 40x30"
    assert msg.sender is not None and msg.sender.name == "Иван Петров"


# --- bodies and headers with no declared charset ---------------------------------------


def _undeclared(body: bytes, subject: bytes, *, base64_body: bool = False) -> bytes:
    """A mail whose Content-Type has no charset parameter and whose headers are raw 8-bit."""
    import base64

    encoding = b"base64" if base64_body else b"8bit"
    payload = base64.encodebytes(body) if base64_body else body
    return (
        b"From: a@client.ru\r\nTo: sales@example.ru\r\nSubject: " + subject + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: " + encoding +
        b"\r\n\r\n" + payload
    )


@pytest.mark.parametrize("codepage", ["utf-8", *CYRILLIC_CODEPAGES])
@pytest.mark.parametrize("index", range(len(MAILS)))
def test_undeclared_charset_body_decodes_exactly(codepage: str, index: int) -> None:
    text = for_codepage(MAILS[index], codepage)
    subject = for_codepage(f"{LINES[index]} / {LINES[index + 1]}", codepage)
    for base64_body in (False, True):
        msg = parse(_undeclared(text.replace("\n", "\r\n").encode(codepage), subject.encode(codepage), base64_body=base64_body))
        assert msg.text.replace("\r\n", "\n").strip() == text
        assert msg.subject == subject


@pytest.mark.parametrize("codepage", CYRILLIC_CODEPAGES)
def test_every_sample_line_and_paragraph_decodes(codepage: str) -> None:
    """The measurement of the issue (130 of 130 KOI8-R/cp866/… bodies read wrong): every
    paragraph of every sample mail, and the short lines, decode to their original."""
    samples = [*LINES, *(p for m in MAILS for p in m.split("\n\n") if len(p) > 20)]
    wrong = [
        t for t in (for_codepage(s, codepage) for s in samples) if decode_text(t.encode(codepage), None) != t
    ]
    # One short line is ambiguous in mac-cyrillic: «Ёлочные» at the very start (mac Ё is
    # windows-1251 Э), so «Элочные …» reads as windows-1251 just as well.
    allowed = {"Ёлочные игрушки, 500 шт."} if codepage == "mac-cyrillic" else set()
    assert set(wrong) <= allowed, wrong


def test_declared_charset_still_wins_and_a_wrong_declaration_falls_back() -> None:
    body = "Прошу выставить счёт на коробки".encode("koi8-r")
    assert decode_text(body, "koi8-r") == "Прошу выставить счёт на коробки"
    # us-ascii declared over 8-bit bytes (a common mailer bug) is not trusted
    assert decode_text(body, "us-ascii") == "Прошу выставить счёт на коробки"
    assert decode_text(body, "no-such-charset") == "Прошу выставить счёт на коробки"
