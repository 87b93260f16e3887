"""Outages and mailbox surprises against a real Dovecot and aiosmtpd."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, sample
from servers import SmtpCatcher, free_port

from inboxbot.config import ServerSettings, Settings
from inboxbot.errors import ActionError, FetchError
from inboxbot.fetch import Mailbox
from inboxbot.journal import Journal
from inboxbot.worker import Worker


def worker(imap: ServerSettings, smtp: ServerSettings, journal: Journal, folder: str = "INBOX") -> Worker:
    settings = Settings(imap=imap, smtp=smtp, folder=folder, journal=journal.path,
                        bot_address="sales-bot@severkarton.test")
    return Worker(settings, RULES, journal)


def test_login_refused_is_retried_with_growing_backoff(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                      tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        bad = dataclasses.replace(imap_inbox, password="wrong-password")
        w = worker(bad, smtp_server.settings(), journal)
        with pytest.raises(FetchError) as raised:
            w.poll_once()
        assert "wrong-password" not in str(raised.value)
        delays = []
        for _ in range(4):
            w.guarded_poll()  # never raises: logged and retried
            delays.append(w.backoff_seconds())
        assert w.failures == 4 and delays == sorted(delays) and delays[-1] > delays[0]


def test_imap_down_then_back(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"))
    with Journal(tmp_path / "j.sqlite") as journal:
        down = worker(dataclasses.replace(imap_inbox, port=free_port()), smtp_server.settings(), journal)
        down.guarded_poll()
        assert down.failures == 1 and smtp_server.messages == []
        up = worker(imap_inbox, smtp_server.settings(), journal)
        up.guarded_poll()
        assert up.failures == 0 and len(smtp_server.messages) == 1


def test_smtp_down_for_a_while_then_the_mail_goes_out_once(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                           tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"), sample("006"))
    closed = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="", password="")
    with Journal(tmp_path / "j.sqlite") as journal:
        down = worker(imap_inbox, closed, journal)
        for _ in range(3):
            with pytest.raises(ActionError) as raised:
                down.poll_once()
            assert not raised.value.permanent
        smtp_server.fail_next.extend([451, 421])  # then a relay that defers twice
        up = worker(imap_inbox, smtp_server.settings(), journal)
        up.guarded_poll()
        up.guarded_poll()
        up.guarded_poll()
        assert len(smtp_server.messages) == 2
        with Mailbox(imap_inbox) as box:
            assert box.pending_uids() == []


def test_folder_recreated_new_uidvalidity_nothing_reforwarded(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                              tmp_path: Path) -> None:
    folder = "Заявки"
    raws = [sample("001"), sample("019")]
    with Mailbox(imap_inbox) as box:
        for raw in raws:
            box.append(raw, folder)
    with Journal(tmp_path / "j.sqlite") as journal:
        w = worker(imap_inbox, smtp_server.settings(), journal, folder)
        assert w.poll_once().forwarded == 2
        client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
        client.login(imap_inbox.user, imap_inbox.password)
        client.delete_folder(folder)
        client.create_folder(folder)
        for raw in raws:  # restored from a backup: same mails, new UIDs, new UIDVALIDITY
            client.append(folder, raw)
        client.logout()
        report = w.poll_once()
        assert report.seen == 2 and report.skipped == 2
        assert len(smtp_server.messages) == 2
        with Mailbox(imap_inbox, folder) as box:
            assert box.pending_uids() == []


def test_journal_deleted_marked_mail_is_not_reforwarded(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                        tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"), sample("006"))
    path = tmp_path / "j.sqlite"
    with Journal(path) as journal:
        worker(imap_inbox, smtp_server.settings(), journal).poll_once()
    for leftover in tmp_path.glob("j.sqlite*"):
        leftover.unlink()
    with Journal(path) as fresh:
        assert worker(imap_inbox, smtp_server.settings(), fresh).poll_once().seen == 0
    path.write_bytes(b"\x00garbage" * 512)  # and a corrupt one
    with Journal(path) as replaced:
        assert worker(imap_inbox, smtp_server.settings(), replaced).poll_once().seen == 0
    assert len(smtp_server.messages) == 2
