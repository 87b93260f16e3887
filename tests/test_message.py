"""Parsing: the typed mail object from real sample mails and from broken bytes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from samples import CORPUS, mime_corpus_files

from inboxbot.message import parse


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


@pytest.mark.parametrize("charset", ["utf-8", "cp1251"])
def test_raw_8bit_headers_are_decoded(charset: str) -> None:
    raw = "From: Иван Петров <ivan@client.ru>\r\nSubject: Коробки 40x30\r\n\r\nтело\r\n".encode(charset)
    msg = parse(raw)
    assert msg.subject == "Коробки 40x30"
    assert msg.sender is not None and msg.sender.name == "Иван Петров"
