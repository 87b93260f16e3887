"""Attachments → text: plain text of unknown encoding and legacy Word 97 files."""

from __future__ import annotations

import pytest

from inboxbot.attachments import read_attachment
from inboxbot.charsets import CYRILLIC_CODEPAGES
from inboxbot.message import Attachment
from russian_texts import MAILS, for_codepage


@pytest.mark.parametrize("codepage", ["utf-8", *CYRILLIC_CODEPAGES])
def test_txt_attachment_of_any_cyrillic_code_page(codepage: str) -> None:
    for mail in MAILS:
        text = for_codepage(mail, codepage)
        read, note = read_attachment(Attachment("Реквизиты.txt", "application/octet-stream", text.encode(codepage)))
        assert note is None and read is not None
        assert read.text == text
