"""Several mailboxes in one deployment (INBOXBOT_MAILBOXES): one worker process polls
both accounts of a real Dovecot into one journal; a request that reaches both is one
request; each mailbox's mail is keyed apart (their INBOXes share UIDs, often even the
UIDVALIDITY)."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from samples import RULES, deliver, pending, sample
from servers import Dovecot, SmtpCatcher
from test_crash import forwards_by_original, journal_rows, message_id, run_worker, worker_env

from inboxbot.config import ServerSettings, load_settings
from inboxbot.errors import ConfigError
from inboxbot.io.imap import Mailbox

ZAKAZ_ADDRESS = "zakaz@severkarton.test"


def with_id(raw: bytes, mid: str) -> bytes:
    return re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <{mid}>".encode(), raw, count=1)


def zakaz_env(zakaz: ServerSettings) -> dict[str, str]:
    return {"INBOXBOT_MAILBOXES": "zakaz", "INBOXBOT_MAILBOX_ZAKAZ_IMAP_USER": zakaz.user,
            "INBOXBOT_MAILBOX_ZAKAZ_IMAP_PASSWORD": zakaz.password, "INBOXBOT_MAILBOX_ZAKAZ_ADDRESS": ZAKAZ_ADDRESS}


def twin_accounts(dovecot: Dovecot) -> tuple[ServerSettings, ServerSettings]:
    """Two fresh accounts whose INBOXes got the same UIDVALIDITY (Dovecot takes the time
    of creation, to the second): the same (folder, uidvalidity, uid) in both."""
    for _ in range(5):
        pair = [dovecot.settings(user=user, password=password) for user, password in (dovecot.new_user(), dovecot.new_user())]
        with Mailbox(pair[0]) as a, Mailbox(pair[1]) as b:  # creates both INBOXes, a moment apart
            if a.uidvalidity == b.uidvalidity:
                return pair[0], pair[1]
    raise AssertionError("five pairs of INBOXes created a moment apart all got different UIDVALIDITYs")


def test_one_worker_serves_two_mailboxes_into_one_journal(dovecot: Dovecot, smtp_server: SmtpCatcher,
                                                          tmp_path: Path) -> None:
    sales, zakaz = twin_accounts(dovecot)
    only_sales = [with_id(sample("001"), "s1@client"), with_id(sample("004"), "s2@client")]
    only_zakaz = [with_id(sample("006"), "z1@client"), with_id(sample("009"), "z2@client")]
    both = with_id(sample("017"), "both@client")  # the client wrote to sales@ and zakaz@ at once
    deliver(sales, *only_sales, both)
    deliver(zakaz, *only_zakaz, both)

    journal = tmp_path / "journal.sqlite"
    done = run_worker(worker_env(sales, smtp_server.port, journal, **zakaz_env(zakaz)))
    assert done.returncode == 0, done.stderr[-3000:]

    copies = forwards_by_original([m.raw for m in smtp_server.messages])
    assert {mid: len(ids) for mid, ids in copies.items()} == {
        "s1@client": 1, "s2@client": 1, "z1@client": 1, "z2@client": 1, "both@client": 1}, copies
    assert pending(sales) == [] and pending(zakaz) == []
    for forward in smtp_server.forwards:  # zakaz@'s forwards come from zakaz@
        msg = email.message_from_bytes(forward.raw, policy=policy.default)
        original = str(msg["In-Reply-To"]).strip("<>")
        assert (ZAKAZ_ADDRESS in str(msg["From"])) == original.startswith("z"), (original, msg["From"])
    rows = journal_rows(journal)
    keys = {(r["folder"], r["uidvalidity"], r["uid"]) for r in rows}
    assert len(keys) == len(rows) == 6  # 3 mails in each mailbox, none keyed over another
    assert {r["folder"] for r in rows} == {"INBOX", "zakaz:INBOX"}
    (second,) = [r for r in rows if r["message_id"] == "both@client" and r["rule"] == "duplicate"]
    assert second["state"] == "marked"
    assert message_id(both) == "both@client"


BASE = {"INBOXBOT_IMAP_HOST": "mail.example.ru", "INBOXBOT_IMAP_USER": "sales@example.ru", "INBOXBOT_IMAP_PASSWORD": "p"}


def test_a_mailbox_takes_the_main_server_unless_it_names_its_own() -> None:
    settings = load_settings({**BASE, "INBOXBOT_MAILBOXES": "zakaz, branch",
                              "INBOXBOT_MAILBOX_ZAKAZ_IMAP_USER": "zakaz@example.ru",
                              "INBOXBOT_MAILBOX_ZAKAZ_IMAP_PASSWORD": "z",
                              "INBOXBOT_MAILBOX_BRANCH_IMAP_HOST": "branch.example.ru",
                              "INBOXBOT_MAILBOX_BRANCH_IMAP_USER": "spb", "INBOXBOT_MAILBOX_BRANCH_IMAP_PASSWORD": "b",
                              "INBOXBOT_MAILBOX_BRANCH_FOLDER": "Заявки"})
    zakaz, branch = settings.extra_mailboxes
    assert (zakaz.imap.host, zakaz.imap.port, zakaz.folder, zakaz.bot_address) == ("mail.example.ru", 993, "INBOX",
                                                                                  "zakaz@example.ru")
    assert (branch.imap.host, branch.folder, branch.bot_address) == ("branch.example.ru", "Заявки", "")
    assert "password='b'" not in repr(settings)
    assert settings.masked()["mailboxes"][0]["imap"]["password"] == "***"
    own = settings.of_mailbox(zakaz)
    assert (own.imap.user, own.mailbox, own.bot_address, own.extra_mailboxes) == ("zakaz@example.ru", "zakaz",
                                                                                 "zakaz@example.ru", ())


@pytest.mark.parametrize(("extra", "says"), [
    ({"INBOXBOT_MAILBOXES": "заказы"}, "имя ящика «заказы» не подходит"),
    ({"INBOXBOT_MAILBOXES": "zakaz,zakaz"}, "назван дважды"),
    ({"INBOXBOT_MAILBOXES": "zakaz"}, "INBOXBOT_MAILBOX_ZAKAZ_IMAP_USER"),
    ({"INBOXBOT_MAILBOXES": "zakaz", "INBOXBOT_MAILBOX_ZAKAZ_IMAP_USER": "z"}, "INBOXBOT_MAILBOX_ZAKAZ_IMAP_PASSWORD"),
])
def test_a_mailbox_configured_wrong_is_named_with_the_fix(extra: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings({**BASE, **extra})


def test_skipped_mail_of_another_mailbox_is_released_from_the_digest(
    dovecot: Dovecot, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    """The digest lists the skipped mail of every mailbox; the head's reply (to the main
    one) releases a mail that waits in zakaz@: it is fetched from there and forwarded."""
    from datetime import timedelta

    from test_skipped_digest import MONDAY_0800, Clock, digests, mailing_from_a_client, reply_to, run

    from inboxbot.config import MailboxSettings, Settings
    from inboxbot.run.jobs import Jobs
    from inboxbot.run.worker import Worker
    from inboxbot.store.factory import open_store

    sales, zakaz = twin_accounts(dovecot)
    clock = Clock(MONDAY_0800)
    with open_store(tmp_path / "journal.sqlite") as journal:
        settings = Settings(imap=sales, smtp=smtp_server.settings(), journal=journal.path,
                            bot_address="sales-bot@severkarton.test",
                            extra_mailboxes=(MailboxSettings("zakaz", zakaz),))
        worker = Worker(settings, RULES, journal, clock=clock, processes=0)
        jobs = Jobs(worker)
        try:
            assert run(jobs, clock, MONDAY_0800).digests == 0  # the first run only notes the period
            deliver(zakaz, mailing_from_a_client())
            assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=30)).skipped == 1
            assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=5)).digests == 1
            (digest,) = digests(smtp_server)
            deliver(sales, reply_to(digest, "переслать 1"))
            assert run(jobs, clock, MONDAY_0800 + timedelta(hours=2)).released == 1
        finally:
            worker.close()
    forwards = [f for f in smtp_server.forwards if b"X-Inboxbot: forwarded" in f.raw]
    assert [f.rcpt_tos for f in forwards] == [("a.sidorov@severkarton.test",)]
