"""The head's out-of-office answering the digest of skipped mail, on a real Dovecot and
aiosmtpd: no command, no answer — an answer would be answered by the autoresponder again,
each time citing the digest's thread."""

from __future__ import annotations

from datetime import timedelta

from samples import deliver, pending
from servers import SmtpCatcher
from test_skipped_digest import MONDAY_0800, Clock, clock, jobs, journal, mails, reply_to, run, skipped_then_digest

from inboxbot.config import ServerSettings
from inboxbot.run.jobs import Jobs
from inboxbot.store.interfaces import Store

__all__ = ["clock", "jobs", "journal"]  # the fixtures, used by name


def test_the_heads_out_of_office_to_the_digest_is_no_command_and_gets_no_answer(
    jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    before = len(smtp_server.messages)
    text = "Я в отпуске до 20.06. Срочное переслать 2 можно Иванову, остальное — после отпуска."
    deliver(imap_inbox, reply_to(digest, text, extra="Auto-Submitted: auto-replied\r\n"))
    report = run(jobs, clock, MONDAY_0800 + timedelta(hours=2))
    assert pending(imap_inbox) == []
    assert report.released == 0
    assert [str(m.get("X-Inboxbot", "")) for _, m in mails(smtp_server)[before:]] == []
    assert not any(i.released for i in journal.releases.items(str(digest["Message-ID"]).strip("<>")))
