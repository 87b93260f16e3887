"""Attachments → text: plain text of unknown encoding and legacy Word 97 files."""

from __future__ import annotations

from pathlib import Path

import pytest
from russian_texts import MAILS, for_codepage

from inboxbot.mail.attachments import read_attachment
from inboxbot.mail.charsets import CYRILLIC_CODEPAGES
from inboxbot.mail.message import Attachment


@pytest.mark.parametrize("codepage", ["utf-8", *CYRILLIC_CODEPAGES])
def test_txt_attachment_of_any_cyrillic_code_page(codepage: str) -> None:
    for mail in MAILS:
        text = for_codepage(mail, codepage)
        read, note = read_attachment(Attachment("Реквизиты.txt", "application/octet-stream", text.encode(codepage)))
        assert note is None and read is not None
        assert read.text == text


WORD97 = Path(__file__).resolve().parent / "fixtures" / "word97" / "requisites-table.doc"


def test_word97_requisites_table_reads_as_label_and_value_lines() -> None:
    read, note = read_attachment(Attachment("Карточка.doc", "application/msword", WORD97.read_bytes()))
    assert note is None and read is not None
    lines = read.text.splitlines()
    for row in (
        "Сокращённое наименование\tООО «Северный упаковщик»",
        "ИНН\t7707083893",
        "КПП\t770701001",
        "ОГРН\t1027700132195",
        "Юридический адрес\t125009, г. Москва, ул. Тверская, д. 7, офис 12",
        "БИК\t044525225",
    ):
        assert row in lines
    # the paragraphs around the table stay lines of their own
    assert "Карточка предприятия" in lines and "С уважением, бухгалтерия" in lines


def test_word97_cell_marks_in_an_8bit_doc() -> None:
    # Word stores a piece of text in one byte per character when it fits windows-1252/1251
    card = "ИНН\x07770708389 3\x07\x07КПП\x07770701001\x07\x07".replace(" ", "").encode("cp1251")
    read, note = read_attachment(Attachment("card.doc", "application/msword", b"\xd0\xcf\x11\xe0" + b"\x00" * 8 + card))
    assert note is None and read is not None
    assert read.text.splitlines()[:2] == ["ИНН\t7707083893", "КПП\t770701001"]
