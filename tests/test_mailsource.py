"""Mail read from files: a folder of .eml, an mbox, a Maildir (for replay, explain, score)."""

from __future__ import annotations

import mailbox
from pathlib import Path

from samples import sample

from inboxbot.io.mailsource import read_mail


def test_a_maildir_is_read_in_delivery_order(tmp_path: Path) -> None:
    """`replay` of a Maildir raised AttributeError: the Maildir has no get_date (its
    messages do)."""
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    first, second = sample("001"), sample("019")
    for raw, delivered in ((second, 2_000_000_000), (first, 1_000_000_000)):  # `second` was delivered last
        message = mailbox.MaildirMessage(raw)
        message.set_date(delivered)  # Maildir keeps it as the file's mtime
        box.add(message)
    read = [stored.raw for stored in read_mail([tmp_path / "Maildir"])]
    assert [raw.replace(b"\r\n", b"\n") for raw in read] == [first.replace(b"\r\n", b"\n"), second.replace(b"\r\n", b"\n")]
