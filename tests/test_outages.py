"""Outages and mailbox surprises against a real Dovecot and aiosmtpd."""

from __future__ import annotations

import contextlib
import dataclasses
import email
import logging
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from samples import RULES, deliver, pending, sample
from servers import Dovecot, Received, SmtpCatcher, TcpProxy, free_port
from test_worker import flags_of

from inboxbot.config import ServerSettings, Settings
from inboxbot.errors import ActionError, FetchError
from inboxbot.io.imap import Mailbox
from inboxbot.model.records import MessageKey
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store
from inboxbot.store.sqlite import Database


def worker(imap: ServerSettings, smtp: ServerSettings, journal: Store, folder: str = "INBOX") -> Worker:
    settings = Settings(imap=imap, smtp=smtp, folder=folder, journal=journal.path,
                        bot_address="sales-bot@severkarton.test")
    bot = Worker(settings, RULES, journal)
    # These tests break the servers at a precise SMTP transaction and count forwards;
    # the clients' acknowledgements (tests/test_followup.py) would shift the count.
    bot.holder.rules = dataclasses.replace(bot.holder.rules, acknowledge=None)
    return bot


def test_login_refused_is_retried_with_growing_backoff(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                      tmp_path: Path) -> None:
    with open_store(tmp_path / "j.sqlite") as journal:
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
    with open_store(tmp_path / "j.sqlite") as journal:
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
    with open_store(tmp_path / "j.sqlite") as journal:
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
    with open_store(tmp_path / "j.sqlite") as journal:
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
    with open_store(path) as journal:
        worker(imap_inbox, smtp_server.settings(), journal).poll_once()
    for leftover in tmp_path.glob("j.sqlite*"):
        leftover.unlink()
    with open_store(path) as fresh:
        assert worker(imap_inbox, smtp_server.settings(), fresh).poll_once().seen == 0
    path.write_bytes(b"\x00garbage" * 512)  # and a corrupt one
    with open_store(path) as replaced:
        assert worker(imap_inbox, smtp_server.settings(), replaced).poll_once().seen == 0
    assert len(smtp_server.messages) == 2


# -- helpers for the tests below -------------------------------------------------------


def forwarded_originals(smtp: SmtpCatcher | list[Received]) -> Counter[str]:
    """original Message-ID → how many forwards of it the SMTP server got."""
    messages = smtp.messages if isinstance(smtp, SmtpCatcher) else smtp
    found: Counter[str] = Counter()
    for received in messages:
        msg = email.message_from_bytes(received.raw, policy=policy.default)
        if str(msg["Message-ID"]).startswith("<fwd."):
            found[str(msg["In-Reply-To"]).strip().strip("<>")] += 1
    return found


def mid(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip().strip("<>")


REQUESTS = ("001", "006", "019", "009")


class _Hooked:
    """aiosmtpd handler: keeps mail like SmtpCatcher, and runs `on_data(n)` before
    answering the n-th DATA (to break something at a precise moment of the run)."""

    def __init__(self, on_data: Callable[[int], None]) -> None:
        self.messages: list[Received] = []
        self.on_data = on_data

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos),
                                      bytes(envelope.original_content or envelope.content)))
        self.on_data(len(self.messages))
        return "250 OK"


@contextlib.contextmanager
def hooked_smtp(on_data: Callable[[int], None]) -> Iterator[tuple[_Hooked, ServerSettings]]:
    handler = _Hooked(on_data)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, ServerSettings(host="127.0.0.1", port=controller.port, tls="none", user="", password="")
    finally:
        controller.stop()


# -- the IMAP server goes away ---------------------------------------------------------


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of this test's own, to stop and start (the session one is shared)."""
    with Dovecot.running() as server:
        yield server


def test_imap_server_stopped_mid_batch_and_restarted(own_dovecot: Dovecot, tmp_path: Path) -> None:
    user, password = own_dovecot.new_user()
    imap = own_dovecot.settings(user=user, password=password)
    deliver(imap, *(sample(p) for p in REQUESTS))
    # Dovecot dies (kill -9 of its processes) right after the SMTP server took the 2nd forward.
    with hooked_smtp(lambda n: own_dovecot.stop() if n == 2 else None) as (sink, smtp), \
            open_store(tmp_path / "j.sqlite") as journal:
        w = worker(imap, smtp, journal)
        w.guarded_poll()
        # The forwards of the run do not need the IMAP server: they all went out; the
        # marks (set together after them) could not be.
        assert w.failures == 1 and len(sink.messages) == len(REQUESTS)
        assert {row["state"] for row in journal.queries.recent()} == {"forwarded"}
        delays = [w.backoff_seconds()]
        for _ in range(2):  # still down: refused connections, longer waits
            w.guarded_poll()
            delays.append(w.backoff_seconds())
        assert w.failures == 3 and delays == sorted(delays) and delays[-1] > delays[0]
        failed_polls = w.failures
        own_dovecot.start()
        w.guarded_poll()
        assert w.failures == 0 and w.backoff_seconds() == w.settings.poll_seconds
        assert forwarded_originals(sink.messages) == Counter({mid(sample(p)): 1 for p in REQUESTS})
        assert len(sink.messages) == len(REQUESTS)  # only marked after the restart, none resent
        with Mailbox(imap) as box:
            assert box.pending_uids() == []
        print(f"\nIMAP stopped mid-batch: {len(REQUESTS)} requests, forwarded once each, "
              f"backoff {delays} s, recovered after {failed_polls} failed polls")


def test_connection_dropped_mid_fetch(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    deliver(imap_inbox, *(sample(p) for p in REQUESTS))
    state = {"fetching": False, "armed": True}

    def client_side(data: bytes) -> tuple[bytes, bool]:
        state["fetching"] = b"BODY.PEEK[]" in data or state["fetching"]
        return data, False

    def server_side(data: bytes) -> tuple[bytes, bool]:
        if state["armed"] and state["fetching"] and b" FETCH (" in data:
            state["armed"] = False
            return data[: len(data) // 2], True  # half a response, then the link is gone
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=client_side, server_hook=server_side) as proxy, \
            open_store(tmp_path / "j.sqlite") as journal:
        w = worker(dataclasses.replace(imap_inbox, port=proxy.port), smtp_server.settings(), journal)
        w.guarded_poll()
        assert proxy.cuts == 1 and w.failures == 1
        assert smtp_server.messages == [] and journal.queries.summary()["total"] == 0  # nothing half-done
        w.guarded_poll()
        assert w.failures == 0
    assert forwarded_originals(smtp_server) == Counter({mid(sample(p)): 1 for p in REQUESTS})
    assert pending(imap_inbox) == []


@pytest.mark.parametrize("server_got_it", [False, True], ids=["store-lost", "reply-lost"])
def test_connection_dropped_around_the_mark(server_got_it: bool, imap_inbox: ServerSettings,
                                            smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """The forward went out, then the link dies at the STORE of the mark: either the server
    never got the command, or it set the mark and the reply was lost. Either way the next
    poll must not forward again."""
    deliver(imap_inbox, *(sample(p) for p in REQUESTS))
    state: dict[str, Any] = {"tag": None, "armed": True}

    def client_side(data: bytes) -> tuple[bytes, bool]:
        if state["armed"] and b"STORE" in data and b"$InboxbotDone" in data:
            if not server_got_it:
                state["armed"] = False
                return b"", True
            state["tag"] = data.split(b" ", 1)[0]
        return data, False

    def server_side(data: bytes) -> tuple[bytes, bool]:
        if state["armed"] and state["tag"] and (state["tag"] + b" OK") in data:
            state["armed"] = False
            return b"", True
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=client_side, server_hook=server_side) as proxy, \
            open_store(tmp_path / "j.sqlite") as journal:
        w = worker(dataclasses.replace(imap_inbox, port=proxy.port), smtp_server.settings(), journal)
        w.guarded_poll()
        # The marks are set after the forwards of the run, one STORE per owner: the link
        # died at the first (001 and 006, both Sidorov's), so every mail is `forwarded`,
        # and those two are marked only if the server got that STORE.
        assert proxy.cuts == 1 and w.failures == 1 and len(smtp_server.messages) == len(REQUESTS)
        assert {row["state"] for row in journal.queries.recent()} == {"forwarded"}
        assert len(pending(imap_inbox)) == len(REQUESTS) - (2 if server_got_it else 0)
        w.guarded_poll()
        assert w.failures == 0
    assert forwarded_originals(smtp_server) == Counter({mid(sample(p)): 1 for p in REQUESTS})
    assert len(smtp_server.messages) == len(REQUESTS) and pending(imap_inbox) == []


# -- a human acts between SEARCH and FETCH ---------------------------------------------


@pytest.mark.parametrize("action", ["delete", "move"])
def test_message_deleted_or_moved_between_search_and_fetch(action: str, imap_inbox: ServerSettings,
                                                           smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    deliver(imap_inbox, *(sample(p) for p in REQUESTS))
    victim = mid(sample("006"))
    state = {"searching": False, "done": False}

    def human() -> None:
        client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
        client.login(imap_inbox.user, imap_inbox.password)
        client.select_folder("INBOX")
        (uid,) = client.search(["HEADER", "Message-ID", victim])
        if action == "delete":
            client.delete_messages([uid])
            client.expunge()
        else:
            client.create_folder("Архив")
            client.move([uid], "Архив")
        client.logout()

    def client_side(data: bytes) -> tuple[bytes, bool]:
        # The worker's search for pending mail (the SELECT probe has no KEYWORD in it).
        state["searching"] = state["searching"] or (b"SEARCH" in data and b"KEYWORD" in data)
        return data, False

    def server_side(data: bytes) -> tuple[bytes, bool]:
        if state["searching"] and not state["done"] and b"* SEARCH" in data:
            state["done"] = True
            human()  # the worker has its UID list; the message goes before it can FETCH
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=client_side, server_hook=server_side) as proxy, \
            open_store(tmp_path / "j.sqlite") as journal:
        w = worker(dataclasses.replace(imap_inbox, port=proxy.port), smtp_server.settings(), journal)
        w.guarded_poll()
        assert state["done"] and w.failures == 0
        report_total = journal.queries.summary()["total"]
    wanted = {mid(sample(p)) for p in REQUESTS} - {victim}
    assert forwarded_originals(smtp_server) == Counter({m: 1 for m in wanted})
    assert report_total == len(wanted) and pending(imap_inbox) == []


# -- SMTP refusing, rejecting, down -----------------------------------------------------


def test_smtp_deferring_for_a_while_then_the_mail_goes_out_once(imap_inbox: ServerSettings,
                                                                smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"), sample("019"))
    # Four polls of "try again later" for every mail (one DATA answer per mail, two mails
    # per poll; a 4xx to one mail does not stop the poll, see the tests below).
    smtp_server.fail_next.extend([451, 452, 451, 452, 451, 452, 451, 452])
    with open_store(tmp_path / "j.sqlite") as journal:
        w = worker(imap_inbox, smtp_server.settings(), journal)
        delays = []
        for _ in range(4):
            w.guarded_poll()
            delays.append(w.backoff_seconds())
            assert len(pending(imap_inbox)) == 2  # waits in the mailbox meanwhile
        assert w.failures == 4 and delays == [5, 10, 20, 40]
        assert journal.queries.summary()["failing"][0]["attempts"] == 4  # type: ignore[index]
        w.guarded_poll()
        assert w.failures == 0
    assert forwarded_originals(smtp_server) == Counter({mid(sample("001")): 1, mid(sample("019")): 1})
    assert pending(imap_inbox) == []


@pytest.mark.parametrize("how", ["rcpt-550", "data-554"])
def test_permanent_rejection_sends_that_mail_to_triage_with_the_reason(how: str, imap_inbox: ServerSettings,
                                                                      smtp_server: SmtpCatcher,
                                                                      tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"), sample("019"), sample("009"))  # sidorov, petrov, …
    if how == "rcpt-550":
        smtp_server.reject_rcpt.add("a.sidorov@severkarton.test")  # this manager's address is gone
    else:
        smtp_server.fail_next.append(554)  # the first forward refused as content
    with open_store(tmp_path / "j.sqlite") as journal:
        w = worker(imap_inbox, smtp_server.settings(), journal)
        w.guarded_poll()
        assert w.failures == 0  # not an outage: the rest flows in the same poll
        failing = journal.queries.summary()["failing"]
        rows = {r["uid"]: r for r in journal.queries.recent()}
    assert len(failing) == 1  # type: ignore[arg-type]
    row = failing[0]  # type: ignore[index]
    assert row["uid"] == 1 and row["state"] == "marked"
    assert ("550" in row["error"] and "a.sidorov@severkarton.test" in row["error"]) if how == "rcpt-550" \
        else "554" in row["error"]
    with Mailbox(imap_inbox) as box:
        assert box.pending_uids() == []
    flags = {uid: f for uid, f in flags_of(imap_inbox).items()}
    assert "$InboxbotTriage" in flags[1] and "$InboxbotDone" not in flags[1]
    assert all("$InboxbotDone" in flags[uid] for uid in (2, 3))
    assert forwarded_originals(smtp_server) == Counter({mid(sample("019")): 1, mid(sample("009")): 1})
    assert rows[2]["error"] is None


def _backdate_failure(journal: Store, uid: int, hours: float) -> None:
    """Pretend the SMTP server has refused mail `uid` for `hours` (the clock cannot be
    waited for in a test)."""
    since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    assert isinstance(journal.durability, Database)
    journal.durability.execute("UPDATE messages SET failing_since=? WHERE uid=?", (since, uid))


def test_an_smtp_outage_of_hours_or_days_sends_nothing_to_triage(imap_inbox: ServerSettings,
                                                                  smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """The server down for more polls than the old limit of 20 attempts (~3 h with the
    backoff), then up but deferring every mail for what the journal says are three days:
    no mail is at fault, so none goes to triage; all go out once the server is back."""
    deliver(imap_inbox, sample("001"), sample("019"))
    closed = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="", password="")
    with open_store(tmp_path / "j.sqlite") as journal:
        down = worker(imap_inbox, closed, journal)
        for _ in range(25):
            down.guarded_poll()
        assert down.failures == 25 and down.backoff_seconds() == 15 * 60
        assert journal.messages.failing_since(_key(imap_inbox, 1)) is None  # the server failed, not the mail
        deferring = worker(imap_inbox, smtp_server.settings(), journal)
        smtp_server.fail_next.extend([451, 451])  # every mail of the poll: "not now"
        deferring.guarded_poll()
        for uid in (1, 2):
            _backdate_failure(journal, uid, hours=72)
        smtp_server.fail_next.extend([451, 451])
        deferring.guarded_poll()
        assert deferring.failures == 2 and smtp_server.messages == []
        assert len(pending(imap_inbox)) == 2  # waiting, not in triage
        deferring.guarded_poll()  # the server is back
        assert deferring.failures == 0
    assert forwarded_originals(smtp_server) == Counter({mid(sample("001")): 1, mid(sample("019")): 1})
    assert not any("$InboxbotTriage" in f for f in flags_of(imap_inbox).values())
    assert pending(imap_inbox) == []


def test_a_mail_refused_for_now_waits_while_the_rest_flows_then_goes_to_a_human(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """One manager's mailbox is full (452 to that recipient): the mail to them waits and
    the rest goes out in the same poll; once it has been refused for a day while other
    mail went out after it, it goes to manual triage with the server's answer."""
    deliver(imap_inbox, sample("001"), sample("019"), sample("004"))  # Sidorov, Petrov, Orlov
    smtp_server.defer_rcpt.add("a.sidorov@severkarton.test")
    with open_store(tmp_path / "j.sqlite") as journal:
        w = worker(imap_inbox, smtp_server.settings(), journal)
        report = w.poll_once()  # does not raise: mail went out after the refused one
        assert report.forwarded == 2 and report.waiting == 1 and report.triaged == 0
        assert pending(imap_inbox) == [1]
        assert journal.messages.failing_since(_key(imap_inbox, 1)) is not None
        w.guarded_poll()  # alone now: nothing goes out after it, the poll fails, it waits
        assert w.failures == 1 and pending(imap_inbox) == [1]
        _backdate_failure(journal, 1, hours=23)  # refused for less than a day: still waits
        deliver(imap_inbox, sample("024"))  # Petrov
        w.guarded_poll()
        assert w.failures == 0 and pending(imap_inbox) == [1]
        _backdate_failure(journal, 1, hours=25)
        deliver(imap_inbox, sample("017"))  # Orlov
        w.guarded_poll()
        assert w.failures == 0 and pending(imap_inbox) == []
        row = {r["uid"]: r for r in journal.queries.recent()}[1]
    flags = flags_of(imap_inbox)
    assert "$InboxbotTriage" in flags[1] and "$InboxbotDone" not in flags[1]
    assert row["state"] == "marked" and "452" in row["error"] and "a.sidorov@severkarton.test" in row["error"]
    assert forwarded_originals(smtp_server) == Counter({mid(sample(p)): 1 for p in ("019", "004", "024", "017")})


def _key(imap: ServerSettings, uid: int) -> MessageKey:
    with Mailbox(imap) as box:
        return MessageKey("INBOX", box.uidvalidity, uid)


# -- mailbox surprises ------------------------------------------------------------------


def test_folder_recreated_while_a_forward_waited_for_its_mark(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                              tmp_path: Path) -> None:
    """A forward went out, the mark did not (link lost), and before the next poll the
    folder is recreated from a backup (new UIDVALIDITY, new UIDs): the journal still
    recognises the mail by its Message-ID."""
    folder, raws = "Заявки", [sample("001"), sample("019")]
    with Mailbox(imap_inbox) as box:
        for raw in raws:
            box.append(raw, folder)
    armed = {"on": True}

    def client_side(data: bytes) -> tuple[bytes, bool]:
        if armed["on"] and b"STORE" in data and b"$InboxbotDone" in data:
            armed["on"] = False
            return b"", True
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=client_side) as proxy, open_store(tmp_path / "j.sqlite") as journal:
        w = worker(dataclasses.replace(imap_inbox, port=proxy.port), smtp_server.settings(), journal, folder)
        w.guarded_poll()
        # Both forwards went out before the marks, and the link died at the first mark.
        assert w.failures == 1 and len(smtp_server.messages) == 2
        client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
        client.login(imap_inbox.user, imap_inbox.password)
        before = client.select_folder(folder)[b"UIDVALIDITY"]
        client.unselect_folder()
        client.delete_folder(folder)
        client.create_folder(folder)
        for raw in raws:  # restored from a backup: same mails, new UIDs
            client.append(folder, raw)
        assert client.select_folder(folder)[b"UIDVALIDITY"] != before
        client.logout()
        w.guarded_poll()
        assert w.failures == 0
    assert forwarded_originals(smtp_server) == Counter({mid(raws[0]): 1, mid(raws[1]): 1})
    assert len(smtp_server.messages) == 2
    with Mailbox(imap_inbox, folder) as box:
        assert box.pending_uids() == []


def test_journal_with_damaged_pages_is_set_aside_marked_mail_not_reforwarded(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Garbage over the middle of the file: SQLite still opens it, and would only fail
    later, in the middle of a poll. The journal checks itself at start-up instead."""
    deliver(imap_inbox, sample("001"), sample("006"))
    path = tmp_path / "j.sqlite"
    with open_store(path) as journal:
        assert worker(imap_inbox, smtp_server.settings(), journal).poll_once().forwarded == 2
    db = sqlite3.connect(path)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in db.execute(
        "SELECT rootpage FROM sqlite_master WHERE name IN ('messages_message_id', 'threads')")]
    db.close()
    with path.open("r+b") as f:  # the pages a duplicate check and a thread look-up read
        for page in pages:
            f.seek((page - 1) * page_size)
            f.write((b"\xde\xad not sqlite " * page_size)[:page_size])
    with caplog.at_level(logging.ERROR, logger="inboxbot.store.sqlite"), open_store(path) as replaced:
        w = worker(imap_inbox, smtp_server.settings(), replaced)
        assert w.poll_once().seen == 0  # the IMAP marks are the ground truth
        deliver(imap_inbox, sample("019"))
        assert w.poll_once().forwarded == 1  # and the new journal works
    assert "повреждён" in caplog.text  # one clear line names the file and where it was kept
    assert len(list(tmp_path.glob("j.sqlite.corrupt-*"))) == 1
    assert forwarded_originals(smtp_server) == Counter({mid(sample(p)): 1 for p in ("001", "006", "019")})
