"""Marking handled mail on servers unlike the default Dovecot: an `INBOX.` personal
namespace with `.` as separator (as Cyrus and Courier have it), keywords not kept, folders
not creatable, and a server refusing new keywords (as Cyrus does once its table of 100
keywords per mailbox is full). Each is a real Dovecot configured that way (tests/servers_dovecot_conf.py).
"""

from __future__ import annotations

import dataclasses
import email
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, sample
from servers import Dovecot, Pymap, SmtpCatcher, TcpProxy

from inboxbot.config import MarkingSettings, ServerSettings, Settings
from inboxbot.errors import MarkingError
from inboxbot.io.imap import Mailbox
from inboxbot.io.imaperrors import server_answer
from inboxbot.io.marking import FOLDERS, KEYWORDS, Marking, server_folder
from inboxbot.run.markcheck import MARKING_RETRY_SECONDS
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

pytestmark = pytest.mark.servers

HEAD = "a.volkov@severkarton.test"
INBOX_NS = {"prefix": "INBOX.", "separator": "."}


def _server(**options: Any) -> Iterator[Dovecot]:
    with Dovecot.running(**options) as server:
        yield server


@pytest.fixture(scope="module")
def cyrus_like() -> Iterator[Dovecot]:
    """Personal namespace INBOX. with '.'; keywords kept."""
    yield from _server(**INBOX_NS)


@pytest.fixture(scope="module")
def no_keywords() -> Iterator[Dovecot]:
    """INBOX. namespace; keywords answered OK and dropped (no \\* in PERMANENTFLAGS)."""
    yield from _server(**INBOX_NS, keywords=False)


@pytest.fixture(scope="module")
def no_marks() -> Iterator[Dovecot]:
    """INBOX. namespace; no keywords kept and no folder may be created: no mark works."""
    yield from _server(**INBOX_NS, keywords=False, create=False)


@pytest.fixture(scope="module")
def short_keywords() -> Iterator[Dovecot]:
    """INBOX. namespace; keywords longer than $InboxbotDone refused with NO, while \\* is
    still listed: what a full keyword table answers for every new keyword."""
    yield from _server(**INBOX_NS, max_keyword_length=len("$InboxbotDone"))


def account(server: Dovecot) -> ServerSettings:
    user, password = server.new_user()
    return server.settings(user=user, password=password)


def human(imap: ServerSettings) -> IMAPClient:
    client = IMAPClient(imap.host, imap.port, ssl=False, timeout=10)
    client.login(imap.user, imap.password)
    return client


def folder_sizes(imap: ServerSettings) -> dict[str, int]:
    """Messages per folder (not \\Deleted), as a person's mail client would count them."""
    client = human(imap)
    try:
        sizes = {}
        for flags, _, name in client.list_folders():
            if b"\\Noselect" in flags:
                continue
            client.select_folder(name, readonly=True)
            sizes[name] = len(client.search(["NOT", "DELETED"]))
        return sizes
    finally:
        client.logout()


def modseq(imap: ServerSettings) -> int:
    """INBOX's HIGHESTMODSEQ (RFC 7162): it grows with every flag change the server makes."""
    client = human(imap)
    try:
        return int(client.folder_status("INBOX", ["HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"])
    finally:
        client.logout()


def mail(n: int) -> bytes:
    return (f"From: c{n}@example.org\r\nTo: sales@example.test\r\nSubject: r{n}\r\n"
            f"Message-ID: <r{n}@example.org>\r\n\r\nbody {n}\r\n").encode()


def make_worker(imap: ServerSettings, smtp: SmtpCatcher, journal: Store, **marking: Any) -> Worker:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=journal.path, bot_address="sales-bot@severkarton.test",
                        marking=MarkingSettings(**marking))
    bot = Worker(settings, RULES, journal)
    # Forwards and head notices are counted; the clients' acknowledgements would add to them.
    bot.holder.rules = dataclasses.replace(bot.holder.rules, acknowledge=None)
    return bot


def to_head(smtp: SmtpCatcher) -> list[str]:
    """The plain-text bodies of the mails to the sales head."""
    found = []
    for received in smtp.messages:
        if received.rcpt_tos == (HEAD,):
            msg = email.message_from_bytes(received.raw, policy=policy.default)
            found.append(f"{msg['Subject']}\n{msg.get_body(('plain',)).get_content()}")
    return found


# -- pure ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "prefix", "sep", "expected"), [
    ("Inboxbot/Done", "", "/", "Inboxbot/Done"),
    ("Inboxbot/Done", "INBOX.", ".", "INBOX.Inboxbot.Done"),
    ("Обработано ботом", "INBOX.", ".", "INBOX.Обработано ботом"),
    ("INBOX/Бот/Готово", "INBOX.", ".", "INBOX.Бот.Готово"),  # already in the namespace
    ("/Inboxbot//Done/", "", ".", "Inboxbot.Done"),
    ("Inboxbot/Done", "", None, "Inboxbot/Done"),  # a flat server: the name as it is
])
def test_server_folder(name: str, prefix: str, sep: str | None, expected: str) -> None:
    assert server_folder(name, prefix, sep) == expected


def test_server_answer_drops_dovecot_timings() -> None:
    from imapclient.exceptions import IMAPClientError

    exc = IMAPClientError("store failed: [CANNOT] Keyword length too long (0.001 + 0.000 secs).")
    assert server_answer(exc) == "store failed: [CANNOT] Keyword length too long"


# -- Mailbox -------------------------------------------------------------------------------


def test_folders_are_placed_in_the_personal_namespace(cyrus_like: Dovecot) -> None:
    imap = account(cyrus_like)
    deliver(imap, mail(1), mail(2))
    with Mailbox(imap, marking="folders", triage_folder="Бот/Разбор") as box:
        state = box.check_marking()
        assert (state.mode, state.done_folder, state.triage_folder) == (FOLDERS, "INBOX.Inboxbot.Done", "INBOX.Бот.Разбор")
        first, second = box.pending_uids()
        box.mark_handled(first, "ivanov")
        box.mark_triage(second)
        assert box.pending_uids() == []
    sizes = folder_sizes(imap)
    assert sizes["INBOX"] == 0 and sizes["INBOX.Inboxbot.Done"] == 1 and sizes["INBOX.Бот.Разбор"] == 1


def test_keywords_not_kept_means_folders_checked_at_once(no_keywords: Dovecot) -> None:
    imap = account(no_keywords)
    with Mailbox(imap) as box:
        assert box.marking == FOLDERS  # no \* in PERMANENTFLAGS: no probe needed
        state = box.check_marking()  # no mail yet: the folders are made all the same
        assert state.checked and state.notes == ()
    assert {"INBOX.Inboxbot.Done", "INBOX.Inboxbot.Triage"} <= set(folder_sizes(imap))


def test_no_working_mark_is_a_marking_error_naming_the_server_answer(no_marks: Dovecot) -> None:
    imap = account(no_marks)
    deliver_raw(imap, mail(1))
    with Mailbox(imap) as box, pytest.raises(MarkingError) as raised:
        box.check_marking(box.pending_uids()[-1])
    text = str(raised.value)
    assert "не дал создать папку «INBOX.Inboxbot.Done»" in text and "[NOPERM] Permission denied" in text
    assert "secs" not in text and imap.password not in text


def test_keywords_refused_on_probe_mean_folders(short_keywords: Dovecot) -> None:
    """\\* is listed, yet STORE of a new keyword is answered NO: the probe catches it
    before any mark is needed, and folder marking is chosen (nothing to tell anyone)."""
    imap = account(short_keywords)
    deliver(imap, mail(1))
    with Mailbox(imap) as box:
        assert box.marking == KEYWORDS
        (uid,) = box.pending_uids()
        state = box.check_marking(uid)
        assert (state.mode, state.checked, state.notes) == (FOLDERS, True, ())
        box.mark_handled(uid, "ivanov")
        assert box.pending_uids() == []
    assert folder_sizes(imap)["INBOX.Inboxbot.Done"] == 1


def test_refused_owner_keyword_falls_back_to_the_handled_keyword_then_folders(short_keywords: Dovecot) -> None:
    """The keyword table fills up while the bot runs: $InboxbotDone exists (an earlier
    mark), a new $InboxbotTo-… is refused. The mark still lands, without the owner's
    keyword; a refused triage keyword sends triage mail to its folder."""
    imap = account(short_keywords)
    deliver(imap, mail(1), mail(2), mail(3))
    client = human(imap)
    try:
        client.select_folder("INBOX")
        client.add_flags([1], ["$InboxbotDone"])  # as an earlier run left it
    finally:
        client.logout()
    before = modseq(imap)
    with Mailbox(imap) as box:
        second, third = box.pending_uids()
        state = box.check_marking(third)
        assert state.mode == KEYWORDS and state.checked
        assert modseq(imap) == before  # $InboxbotDone is listed: proven, no probe
        box.mark_handled(second, "ivanov")
        box.mark_triage(third)
        assert box.pending_uids() == []
        state = box.state
    assert not state.owner_keywords and state.refused == {"$inboxbottriage"}
    assert len(state.notes) == 2 and all("Keyword length too long" in note for note in state.notes)
    assert "имя менеджера больше не ставится меткой" in state.notes[0]
    assert "INBOX.Inboxbot.Triage" in state.notes[1]
    client = human(imap)
    try:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags([second])[second]
    finally:
        client.logout()
    assert b"$InboxbotDone" in flags and not any(f.startswith(b"$InboxbotTo-") for f in flags)
    assert folder_sizes(imap)["INBOX.Inboxbot.Triage"] == 1


def test_known_marking_is_not_asked_again(dovecot: Dovecot) -> None:
    """A connection handed what an earlier one learnt probes nothing; a probe runs only
    when SELECT leaves it open (\\* listed, $InboxbotDone not yet in the folder)."""
    imap = account(dovecot)
    deliver(imap, mail(1))
    start = modseq(imap)
    with Mailbox(imap) as box:
        (uid,) = box.pending_uids()
        learnt = box.check_marking(uid)
    probed = modseq(imap)
    assert learnt.checked and learnt.mode == KEYWORDS and probed > start  # the probe: set, then cleared
    with Mailbox(imap, known=learnt) as box:
        assert box.check_marking(uid) == learnt
    assert modseq(imap) == probed


def test_keywords_that_do_not_stick_are_caught_at_the_first_mark(pymap_server: Pymap) -> None:
    """Handed a belief that keywords work (as from a server listing \\* on an empty
    folder), the first mark sees the keyword dropped and moves the message instead."""
    settings = pymap_server.settings()
    deliver(settings, mail(1), mail(2))
    believed = Marking(KEYWORDS, "Inboxbot/Done", "Inboxbot/Triage")
    with Mailbox(settings, marking="keywords", known=believed) as box:
        first, second = box.pending_uids()
        box.mark_handled(first, None)
        assert box.marking == FOLDERS and box.pending_uids() == [second]
        assert "перестал сохранять метки" in box.state.notes[0]


def deliver_raw(imap: ServerSettings, *raws: bytes) -> None:
    """APPEND without the bot's Mailbox (which would not be needed, but keeps it honest)."""
    client = human(imap)
    try:
        for raw in raws:
            client.append("INBOX", raw)
    finally:
        client.logout()


# -- the worker ----------------------------------------------------------------------------


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


REQUESTS = ("001", "006", "019")  # Sidorov, Sidorov, Petrov


@pytest.mark.parametrize("done_folder", ["Inboxbot/Done", "Обработано ботом"])
def test_folder_mode_on_an_inbox_namespace_server(
    done_folder: str, no_keywords: Dovecot, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    """Cyrus or Courier as usually configured: the worker forwards each request once,
    moves it into INBOX.<folder>, finds nothing on the next poll, and with the journal
    lost sends nothing again."""
    imap = account(no_keywords)
    deliver(imap, *(sample(p) for p in REQUESTS))
    with open_store(tmp_path / "first.sqlite") as journal:
        bot = make_worker(imap, smtp_server, journal, done_folder=done_folder)
        report = bot.poll_once()
        assert report.forwarded == 3 and len(smtp_server.forwards) == 3
        assert bot.poll_once().seen == 0
    expected = "INBOX." + done_folder.replace("/", ".")
    assert folder_sizes(imap)[expected] == 3 and folder_sizes(imap)["INBOX"] == 0
    with open_store(tmp_path / "second.sqlite") as journal:  # the journal is lost
        again = make_worker(imap, smtp_server, journal, done_folder=done_folder).poll_once()
    assert again.seen == 0 and len(smtp_server.forwards) == 3


def test_no_working_mark_sends_nothing_and_tells_the_head_once(
    no_marks: Dovecot, smtp_server: SmtpCatcher, journal: Store
) -> None:
    imap = account(no_marks)
    deliver_raw(imap, *(sample(p) for p in REQUESTS))
    bot = make_worker(imap, smtp_server, journal)
    with pytest.raises(MarkingError, match=r"\[NOPERM\] Permission denied"):
        bot.poll_once()
    assert smtp_server.forwards == []
    (notice,) = to_head(smtp_server)
    assert "Бот остановил пересылку" in notice and "[NOPERM] Permission denied" in notice
    assert "INBOX.Inboxbot.Done" in notice and "INBOXBOT_DONE_FOLDER" in notice
    bot.guarded_poll()  # still broken: retried, not re-told, nothing sent
    bot.guarded_poll()
    assert bot.failures == 2 and bot.backoff_seconds() == MARKING_RETRY_SECONDS
    assert smtp_server.forwards == [] and len(to_head(smtp_server)) == 1
    assert len(journal.queries.recent()) == 0  # nothing decided either: the mails wait untouched
    with open_store(journal.path) as same:  # a restart does not repeat the notice
        make_worker(imap, smtp_server, same).guarded_poll()
    assert len(to_head(smtp_server)) == 1


def test_a_refused_keyword_falls_back_and_the_head_is_told_once(
    short_keywords: Dovecot, smtp_server: SmtpCatcher, journal: Store
) -> None:
    imap = account(short_keywords)
    deliver_raw(imap, mail(99))
    client = human(imap)
    try:
        client.select_folder("INBOX")
        client.add_flags([1], ["$InboxbotDone"])  # keywords have worked here before
    finally:
        client.logout()
    deliver(imap, sample("001"))
    bot = make_worker(imap, smtp_server, journal)
    report = bot.poll_once()
    assert report.forwarded == 1 and len(smtp_server.forwards) == 1
    (notice,) = to_head(smtp_server)
    assert "по-другому" in notice and "Keyword length too long" in notice and "secs" not in notice
    deliver(imap, sample("019"))
    assert bot.poll_once().forwarded == 1
    assert bot.poll_once().seen == 0 and len(smtp_server.forwards) == 2
    assert len(to_head(smtp_server)) == 1


def test_idle_polls_change_no_flags(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    """Before: every poll set and cleared $InboxbotProbe on the newest mail (~2,900 flag
    changes a day pushed to every client). Now nothing changes while nothing arrives."""
    deliver(imap_inbox, sample("001"))
    bot = make_worker(imap_inbox, smtp_server, journal)
    assert bot.poll_once().forwarded == 1
    after_work = modseq(imap_inbox)
    for _ in range(3):
        assert bot.poll_once().seen == 0
    assert modseq(imap_inbox) == after_work
    make_worker(imap_inbox, smtp_server, journal).poll_once()  # a restarted worker: $InboxbotDone proves keywords
    assert modseq(imap_inbox) == after_work


def test_summary_counts_mail_forwarded_earlier_apart(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    """The link dies at the first mark: every request was forwarded, none marked. The
    next poll only marks them: «переслано: 0», not the number of marks."""
    deliver(imap_inbox, *(sample(p) for p in REQUESTS))
    armed = [True]

    def cut_at_mark(data: bytes) -> tuple[bytes, bool]:
        if armed[0] and b"STORE" in data and b"$InboxbotDone" in data:
            armed[0] = False
            return b"", True
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=cut_at_mark) as proxy:
        bot = make_worker(dataclasses.replace(imap_inbox, port=proxy.port), smtp_server, journal)
        bot.guarded_poll()
        assert proxy.cuts == 1 and bot.failures == 1 and len(smtp_server.forwards) == 3
        report = bot.poll_once()
    assert (report.forwarded, report.marked_only) == (0, 3) and len(smtp_server.forwards) == 3
    assert "переслано: 0, отмечено пересланных ранее: 3" in report.summary()
