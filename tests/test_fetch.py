"""Mailbox against real servers: Dovecot (keywords), pymap (folder fallback), TLS."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from imapclient import IMAPClient
from servers import Dovecot, Pymap

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError
from inboxbot.io.imap import Mailbox, RawMessage
from inboxbot.io.marking import owner_keyword

pytestmark = pytest.mark.servers


def mail(n: int, subject: str = "Заявка") -> bytes:
    return (
        f"From: client{n}@example.org\r\nTo: sales@example.test\r\n"
        f"Subject: =?utf-8?b?0JfQsNGP0LLQutCw?= {n}\r\nMessage-ID: <m{n}@example.org>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{subject} номер {n}\r\n"
    ).encode()


def fill(settings: ServerSettings, count: int, folder: str = "INBOX") -> list[bytes]:
    raws = [mail(n) for n in range(1, count + 1)]
    with Mailbox(settings, folder) as box:
        for raw in raws:
            box.append(raw)
    return raws


def raw_client(settings: ServerSettings) -> IMAPClient:
    client = IMAPClient(settings.host, settings.port, ssl=False, timeout=10)
    client.login(settings.user, settings.password)
    return client


def test_pending_and_fetch_return_exactly_what_was_appended(imap_inbox: ServerSettings) -> None:
    raws = fill(imap_inbox, 3)
    with Mailbox(imap_inbox) as box:
        assert box.marking == "keywords"
        uids = box.pending_uids()
        assert len(uids) == 3
        got = list(box.fetch(uids))
    assert [m.raw for m in got] == raws
    assert [m.uid for m in got] == uids
    assert all(m.folder == "INBOX" and m.uidvalidity == box.uidvalidity > 0 for m in got)
    assert "raw" not in repr(got[0]).replace("RawMessage", "")


def test_fetch_batches_keep_order(imap_inbox: ServerSettings) -> None:
    raws = fill(imap_inbox, 7)
    with Mailbox(imap_inbox, batch_size=3) as box:
        got = list(box.fetch(box.pending_uids()))
    assert [m.raw for m in got] == raws


def test_fetch_does_not_change_seen(imap_inbox: ServerSettings) -> None:
    with Mailbox(imap_inbox) as box:
        box.append(mail(1), flags=["\\Seen"])
        box.append(mail(2))
        first = {m.uid: m.flags for m in box.fetch(box.pending_uids())}
    with Mailbox(imap_inbox) as box:
        second = {m.uid: m.flags for m in box.fetch(box.pending_uids())}
    seen, unseen = sorted(first)
    for flags in (first, second):
        assert "\\Seen" in flags[seen]
        assert "\\Seen" not in flags[unseen]


def test_mark_handled_sets_keywords_seen_by_another_connection(imap_inbox: ServerSettings) -> None:
    fill(imap_inbox, 3)
    with Mailbox(imap_inbox) as box:
        first, second, third = box.pending_uids()
        box.mark_handled(first, "ivanov")
        box.mark_handled(second, None)
        assert box.pending_uids() == [third]
        assert box.is_marked(first) and box.is_marked(second) and not box.is_marked(third)
    with Mailbox(imap_inbox) as other:
        assert other.pending_uids() == [third]
        flags = {m.uid: set(m.flags) for m in other.fetch([first, second])}
    assert {"$InboxbotDone", "$InboxbotTo-ivanov"} <= flags[first]
    assert "$InboxbotDone" in flags[second] and not any(f.startswith("$InboxbotTo-") for f in flags[second])
    assert "$InboxbotProbe" not in flags[first] | flags[second]  # the keyword check leaves no trace


def test_mark_triage_and_repeat_marks_are_harmless(imap_inbox: ServerSettings) -> None:
    fill(imap_inbox, 2)
    with Mailbox(imap_inbox) as box:
        first, second = box.pending_uids()
        box.mark_triage(first)
        box.mark_triage(first)
        assert box.pending_uids() == [second]
        assert box.is_marked(first)
        assert "$InboxbotTriage" in next(box.fetch([first])).flags


def test_mark_many_and_owner_keyword_for_non_ascii_owner(imap_inbox: ServerSettings) -> None:
    fill(imap_inbox, 5)
    with Mailbox(imap_inbox, batch_size=2) as box:
        uids = box.pending_uids()
        box.mark_many(uids[:4], "петров")
        assert box.pending_uids() == uids[4:]
        flags = next(box.fetch(uids[:1])).flags
    assert owner_keyword("$InboxbotTo-", "петров") in flags
    assert owner_keyword("$InboxbotTo-", "петров").isascii()


def test_owner_keywords_can_be_turned_off(imap_inbox: ServerSettings) -> None:
    fill(imap_inbox, 1)
    with Mailbox(imap_inbox, owner_keywords=False) as box:
        (uid,) = box.pending_uids()
        box.mark_handled(uid, "ivanov")
        assert "$InboxbotTo-ivanov" not in next(box.fetch([uid])).flags


def test_message_deleted_between_search_and_fetch_is_skipped(imap_inbox: ServerSettings) -> None:
    raws = fill(imap_inbox, 3)
    with Mailbox(imap_inbox) as box:
        uids = box.pending_uids()
        human = raw_client(imap_inbox)
        try:
            human.select_folder("INBOX")
            human.delete_messages([uids[1]])
            human.uid_expunge([uids[1]])
        finally:
            human.logout()
        got = list(box.fetch(uids))
        assert [m.raw for m in got] == [raws[0], raws[2]]
        # A mark on the vanished message is not an error either.
        box.mark_handled(uids[1], "ivanov")
        assert box.pending_uids() == [uids[0], uids[2]]


def test_non_ascii_folder(imap_inbox: ServerSettings) -> None:
    folder = "Входящие/Заявки"
    with Mailbox(imap_inbox) as box:
        box.append(mail(1), folder=folder)
    with Mailbox(imap_inbox, folder) as box:
        (uid,) = box.pending_uids()
        (msg,) = box.fetch([uid])
        assert msg.folder == folder and msg.raw == mail(1)
        box.mark_handled(uid, "ivanov")
        assert box.pending_uids() == []
    client = raw_client(imap_inbox)
    try:
        names = {name for _, _, name in client.list_folders()}
    finally:
        client.logout()
    assert folder in names


def test_missing_folder_is_a_fetch_error_naming_it(imap_inbox: ServerSettings) -> None:
    with pytest.raises(FetchError, match=r"Нет такой|INBOXBOT_FOLDER"):
        Mailbox(imap_inbox, "Нет такой").open()


def test_uidvalidity_changes_when_folder_is_recreated(imap_inbox: ServerSettings) -> None:
    folder = "Заявки"
    with Mailbox(imap_inbox) as box:
        box.append(mail(1), folder=folder)
    with Mailbox(imap_inbox, folder) as box:
        before = box.uidvalidity
        (old,) = list(box.fetch(box.pending_uids()))
    client = raw_client(imap_inbox)
    try:
        client.delete_folder(folder)
        client.create_folder(folder)
    finally:
        client.logout()
    with Mailbox(imap_inbox) as box:
        box.append(mail(2), folder=folder)
    with Mailbox(imap_inbox, folder) as box:
        (new,) = list(box.fetch(box.pending_uids()))
    assert new.uidvalidity != before
    # The same UID now names another message: only (folder, uidvalidity, uid) identifies mail.
    assert (new.uid, new.raw) == (old.uid, mail(2))


def test_wrong_password_is_a_fetch_error_without_the_password(
    imap_inbox: ServerSettings, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = dataclasses.replace(imap_inbox, password="Wr0ng-Пароль-42")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FetchError) as info:
        Mailbox(wrong).open()
    text = str(info.value)
    assert "не принял вход" in text and imap_inbox.user in text
    assert wrong.password not in text and wrong.password not in repr(info.value)
    assert wrong.password not in caplog.text
    assert imap_inbox.password not in caplog.text


def test_non_ascii_password_logs_in(dovecot: Dovecot, caplog: pytest.LogCaptureFixture) -> None:
    user, password = dovecot.unicode_account
    assert not password.isascii()
    caplog.set_level(logging.DEBUG)
    with Mailbox(dovecot.settings(user=user, password=password)) as box:
        assert box.pending_uids() == []
    assert password not in caplog.text
    with pytest.raises(FetchError, match="не принял вход"):
        Mailbox(dovecot.settings(user=user, password=password + "x")).open()


def test_password_not_logged_on_success(imap_inbox: ServerSettings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Mailbox(imap_inbox) as box:
        box.pending_uids()
    assert "LOGIN" in caplog.text  # imapclient did log the command…
    assert imap_inbox.password not in caplog.text  # …with the password redacted


def test_connection_refused_is_a_fetch_error(dovecot: Dovecot) -> None:
    from servers import free_port

    settings = dataclasses.replace(dovecot.settings(), port=free_port())
    with pytest.raises(FetchError, match="ошибка IMAP"):
        Mailbox(settings).open()


def test_using_a_closed_mailbox_is_a_fetch_error(imap_inbox: ServerSettings) -> None:
    box = Mailbox(imap_inbox)
    with pytest.raises(FetchError, match="не открыто"):
        box.pending_uids()


def test_forced_folder_marking_moves_to_done_on_dovecot(imap_inbox: ServerSettings) -> None:
    raws = fill(imap_inbox, 3)
    with Mailbox(imap_inbox, marking="folders") as box:
        first, second, third = box.pending_uids()
        box.mark_handled(first, "ivanov")
        box.mark_triage(second)
        assert box.pending_uids() == [third]
        assert box.is_marked(first) and not box.is_marked(third)
    with Mailbox(imap_inbox, "Inboxbot/Done") as done, Mailbox(imap_inbox, "Inboxbot/Triage") as triage:
        assert [m.raw for m in done.fetch(done.pending_uids())] == [raws[0]]
        assert [m.raw for m in triage.fetch(triage.pending_uids())] == [raws[1]]


# -- pymap: answers OK to STORE of custom keywords and drops them -------------


def test_pymap_drops_keywords_so_mailbox_moves_to_folders(pymap_server: Pymap) -> None:
    settings = pymap_server.settings()
    raws = fill(settings, 3)
    with Mailbox(settings) as box:
        assert box.marking == "folders"
        first, second, third = box.pending_uids()
        assert [m.raw for m in box.fetch([first, second, third])] == raws
        box.mark_handled(first, "ivanov")
        box.mark_triage(second)
        assert box.pending_uids() == [third]
        assert box.is_marked(first) and box.is_marked(second) and not box.is_marked(third)
    with Mailbox(settings) as again:
        assert again.pending_uids() == [third]
    with Mailbox(settings, "Inboxbot/Done") as done:
        assert [m.raw for m in done.fetch(done.pending_uids())] == [raws[0]]
    with Mailbox(settings, "Inboxbot/Triage") as triage:
        assert [m.raw for m in triage.fetch(triage.pending_uids())] == [raws[1]]


# -- TLS ----------------------------------------------------------------------


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_verifies_certificates_by_default(dovecot_tls: Dovecot, tls: str) -> None:
    with pytest.raises(FetchError, match="сертификат"):
        Mailbox(dovecot_tls.settings(tls)).open()


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_tls_with_the_server_certificate_as_cafile(dovecot_tls: Dovecot, tls: str) -> None:
    settings = dovecot_tls.settings(tls, cafile=str(dovecot_tls.cert_file))
    with Mailbox(settings) as box:
        box.append(mail(1))
        assert [m.raw for m in box.fetch(box.pending_uids())][-1] == mail(1)


def test_tls_without_verification_for_a_named_host(dovecot_tls: Dovecot) -> None:
    with Mailbox(dovecot_tls.settings("starttls", verify=False)) as box:
        assert box.uidvalidity > 0


def test_raw_message_is_a_frozen_value() -> None:
    msg = RawMessage("INBOX", 1, 2, b"secret body", ("\\Seen",))
    assert "secret body" not in repr(msg)
    with pytest.raises(AttributeError):
        msg.uid = 3  # type: ignore[misc]
