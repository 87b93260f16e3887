"""IMAP IDLE in the running worker (io/idle.py, run/jobs.py) against a real Dovecot and a
real aiosmtpd: new mail is polled for when the server tells of it, not at the interval;
a server without IDLE leaves the interval poll in charge; a watcher whose connection is
cut reconnects, and nothing that arrived meanwhile is lost.

The poll interval is an hour where IDLE is under test, so a forward can only come from
the watcher. Every wait has a generous limit that only keeps a broken build from hanging;
no elapsed time is asserted."""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, sample
from servers import Dovecot, SmtpCatcher, free_port

from inboxbot.config import ServerSettings, Settings
from inboxbot.run.jobs import POLL, Jobs
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store

HOUR = 3600
GUARD = 600.0  # seconds: a hang guard, not a measure


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def running(imap: ServerSettings, smtp: SmtpCatcher, tmp_path: Path, *, poll_seconds: int = HOUR,
            idle: bool = True) -> Iterator[tuple[Jobs, queue.Queue[int]]]:
    """The worker in its scheduler mode (as `inboxbot run`, without the signal handlers),
    and a queue that gets an item after each poll job."""
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=str(tmp_path / "journal.sqlite"),
                        poll_seconds=poll_seconds, idle=idle, bot_address="sales-bot@severkarton.test")
    polls: queue.Queue[int] = queue.Queue()
    with open_store(settings.journal) as store:
        jobs = Jobs(Worker(settings, RULES, store, processes=0))
        poll_job = jobs.poll_job

        def counted() -> None:
            poll_job()
            polls.put(1)

        jobs.poll_job = counted  # type: ignore[method-assign]
        jobs.start()
        try:
            yield jobs, polls
        finally:
            jobs.worker.stop()
            jobs.shutdown()


def watching(jobs: Jobs, polls: queue.Queue[int]) -> None:
    """Wait until the first poll (at start, on an empty folder) is over and the watcher
    is in IDLE: from then on, only the watcher can bring mail in before the hour is up."""
    polls.get(timeout=GUARD)
    assert jobs.watcher is not None
    assert jobs.watcher.idling.wait(GUARD), "the watcher never got into IDLE"


def polls_pending(jobs: Jobs) -> bool:
    """A poll is due before the interval is up (the first one, or one asked for)."""
    job = jobs.scheduler.get_job(POLL)
    return bool(job.next_run_time < datetime.now(UTC) + timedelta(seconds=HOUR / 2))


def test_mail_arriving_while_running_is_forwarded_at_once(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                          tmp_path: Path) -> None:
    with running(imap_inbox, smtp_server, tmp_path) as (jobs, polls):
        watching(jobs, polls)
        deliver(imap_inbox, sample("001"))
        wait_for(lambda: len(smtp_server.forwards) == 1, "the forward")
        assert smtp_server.forwards[0].rcpt_tos == ("a.sidorov@severkarton.test",)
        polls.get(timeout=GUARD)  # the poll the watcher asked for
        assert not polls_pending(jobs)  # the hourly full check is still an hour away
        assert jobs.watcher is not None and jobs.watcher.sessions == 1


@pytest.fixture(scope="module")
def dovecot_without_idle() -> Iterator[Dovecot]:
    with Dovecot.running(idle=False) as server:
        yield server


def test_a_server_without_idle_leaves_the_interval_poll_in_charge(
    dovecot_without_idle: Dovecot, smtp_server: SmtpCatcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user, password = dovecot_without_idle.new_user()
    imap = dovecot_without_idle.settings(user=user, password=password)
    client = IMAPClient(imap.host, imap.port, ssl=False)
    client.login(imap.user, imap.password)
    assert b"IDLE" not in client.capabilities() and b"MOVE" in client.capabilities()
    client.logout()
    caplog.set_level(logging.WARNING, logger="inboxbot.io.idle")
    with running(imap, smtp_server, tmp_path, poll_seconds=1) as (jobs, _):
        watcher = jobs.watcher
        assert watcher is not None
        wait_for(lambda: not watcher.alive, "the watcher to give up")
        assert watcher.refused == f"IMAP-сервер {imap.host} не поддерживает IDLE"
        deliver(imap, sample("001"))
        wait_for(lambda: len(smtp_server.forwards) == 1, "the forward by the interval poll")
    warnings = [r.getMessage() for r in caplog.records if r.name == "inboxbot.io.idle"]
    assert warnings == [f"IMAP-сервер {imap.host} не поддерживает IDLE: новые письма — при опросе каждые 1 с"]


def test_a_cut_watcher_connection_reconnects_and_nothing_is_lost(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="inboxbot.io.idle")
    with running(imap_inbox, smtp_server, tmp_path) as (jobs, polls):
        watching(jobs, polls)
        watcher = jobs.watcher
        assert watcher is not None and watcher.connection is not None
        watcher.connection.socket().shutdown(socket.SHUT_RDWR)  # the link is gone
        deliver(imap_inbox, sample("001"))  # while no one watches
        wait_for(lambda: watcher.sessions == 2, "the reconnect")
        wait_for(lambda: len(smtp_server.forwards) == 1, "the mail that came while the link was down")
        assert watcher.idling.wait(GUARD)
        deliver(imap_inbox, sample("019"))  # and the reconnected watcher tells of new mail again
        wait_for(lambda: len(smtp_server.forwards) == 2, "the mail after the reconnect")
        assert not polls_pending(jobs)
    assert watcher.refused is None and not watcher.alive
    warned = [r for r in caplog.records if r.name == "inboxbot.io.idle" and r.levelno == logging.WARNING]
    assert len(warned) == 1 and "ожидание новых писем (IDLE) прервано" in warned[0].getMessage()
    assert any(r.getMessage() == "ожидание новых писем (IDLE) восстановлено" for r in caplog.records)


def test_idle_off_starts_no_watcher(tmp_path: Path) -> None:
    imap = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="sales", password="x", timeout=5.0)
    settings = Settings(imap=imap, smtp=None, journal=str(tmp_path / "journal.sqlite"), idle=False)
    with open_store(settings.journal) as store:
        jobs = Jobs(Worker(settings, RULES, store, processes=0))
        jobs.start()
        try:
            assert jobs.watcher is None and jobs.scheduler.get_job(POLL) is not None
        finally:
            jobs.shutdown()
