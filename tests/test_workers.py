"""Several workers on one shared store (PostgreSQL): real `inboxbot run` processes, one
Dovecot mailbox, one aiosmtpd, one PostgreSQL. Counted as tests/test_crash.py counts:
per original Message-ID, the distinct forward Message-IDs that reached the server."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from samples import RULES, pending, sample
from servers import Dovecot, Postgres, Received, SmtpCatcher, free_port
from test_crash import WORKER_ARGS, Tally, deliver, mailbox_flags, message_id, varied_backlog, worker_env
from test_followup import MSK, sent
from test_followup import Clock as FollowUpClock
from test_mailboxes import with_id, zakaz_env

from inboxbot.config import ServerSettings, load_settings
from inboxbot.run.jobs import Jobs
from inboxbot.run.lease import DEPLOYMENT_JOBS, Lease, mailbox_name
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store


def shared_env(imap: ServerSettings, smtp_port: int, url: str, tmp_path: Path, worker: str, **extra: str) -> dict[str, str]:
    # INBOXBOT_JOURNAL only names the processes (test_crash.processes_using); the store is PostgreSQL.
    return worker_env(imap, smtp_port, tmp_path / f"{worker}.sqlite", INBOXBOT_STORE=url, INBOXBOT_WORKER_ID=worker,
                      **extra)


class _FirstDataHeld:
    """aiosmtpd handler that holds the first DATA (a worker in the middle of sending a
    forward) until released, and takes every mail."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content)))
        if not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 OK"


def test_a_mail_one_worker_is_sending_is_not_sent_by_the_other(
    imap_inbox: ServerSettings, postgres: Postgres, tmp_path: Path
) -> None:
    """Two `run --once` on one backlog at once. The first forward either sends is held in
    its DATA until the other worker has done its whole poll: that one reaches the held
    mail while its forward is under way, and must leave it (before the claim, it sent it
    too, and the store noticed the second forward only afterwards)."""
    mails, requests, others = varied_backlog(20, random.Random(7))
    deliver(imap_inbox, *mails)
    url = postgres.url(postgres.new_database())
    open_store(url).close()  # the schema, before the two race to create it
    sink = _FirstDataHeld()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    logs = [tmp_path / f"w{n}.log" for n in (1, 2)]
    try:
        procs = []
        for n, log in enumerate(logs, start=1):
            env = shared_env(imap_inbox, controller.port, url, tmp_path, f"w{n}")
            with open(log, "wb") as out:
                procs.append(subprocess.Popen([*WORKER_ARGS[:1], "-v", *WORKER_ARGS[1:]], env=env, stdout=out,
                                              stderr=subprocess.STDOUT))
        while not any(proc.poll() is not None for proc in procs):  # the other worker's poll is over
            threading.Event().wait(0.05)
        sink.release.set()
        for proc, log in zip(procs, logs, strict=True):
            assert proc.wait() == 0, log.read_text()[-3000:]
    finally:
        sink.release.set()
        controller.stop()
    tally = Tally(requests, others, sink.messages, mailbox_flags(imap_inbox))
    left_to_other = sum(log.read_text().count("письмо обрабатывает другой рабочий процесс") for log in logs)
    print(f"\ntwo workers, one mailbox: {tally.report()}; mails left to the other worker: {left_to_other}")
    tally.assert_exactly_once()
    assert tally.resends == 0 and tally.ack_resends == 0, tally.report()
    assert left_to_other >= 1  # the held one at least: the race did happen
    assert pending(imap_inbox) == []


# -- failover: a lease per mailbox, kill -9 of its holder ---------------------------------

LEASE = "2"  # seconds (INBOXBOT_LEASE_SECONDS; 30 by default): a standby takes over after it
SERVE_ARGS = [WORKER_ARGS[0], "-v", "run", "--rules", str(RULES)]


class Pair:
    """Workers `inboxbot run` (scheduler mode) sharing one store and one mailbox, each
    restartable under its own worker id."""

    def __init__(self, imap: ServerSettings, smtp_port: int, url: str, tmp_path: Path) -> None:
        self.imap, self.smtp_port, self.url, self.tmp_path = imap, smtp_port, url, tmp_path
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}  # of each worker's current life
        self.lives = 0

    def start(self, worker: str) -> None:
        self.lives += 1
        env = shared_env(self.imap, self.smtp_port, self.url, self.tmp_path, worker, INBOXBOT_LEASE_SECONDS=LEASE,
                         INBOXBOT_POLL_SECONDS="1", INBOXBOT_IDLE="off", INBOXBOT_BATCH_SIZE="30")
        self.logs[worker] = self.tmp_path / f"{worker}-{self.lives}.log"
        with open(self.logs[worker], "wb") as out:
            self.procs[worker] = subprocess.Popen(SERVE_ARGS, env=env, stdout=out, stderr=subprocess.STDOUT)

    def holder(self) -> str | None:
        """The worker id whose process holds the mailbox's lease now."""
        with open_store(self.url) as store:
            holder = store.leases.holder(mailbox_name(load_settings(shared_env(self.imap, self.smtp_port, self.url, self.tmp_path, "x"))))
        return holder.partition("#")[0] if holder else None

    def wait_for_holder(self, *among: str) -> str:
        while (holder := self.holder()) not in among:
            for worker in among:
                assert self.procs[worker].poll() is None, self.logs[worker].read_text()[-3000:]
            threading.Event().wait(0.05)
        assert holder is not None
        return holder

    def wait_for_standby(self, worker: str) -> None:
        """Until `worker` is up and waiting as a standby (models loaded in the meantime)."""
        while "ждёт в резерве" not in self.logs[worker].read_text():
            assert self.procs[worker].poll() is None, self.logs[worker].read_text()[-3000:]
            threading.Event().wait(0.05)

    def kill(self, worker: str) -> None:
        self.procs[worker].kill()
        self.procs[worker].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for worker, proc in self.procs.items():
            assert proc.wait() in (0, -signal.SIGKILL), f"{worker}: exit code {proc.returncode}"


@pytest.fixture
def pair(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, postgres: Postgres, tmp_path: Path) -> Iterator[Pair]:
    url = postgres.url(postgres.new_database())
    open_store(url).close()
    made = Pair(imap_inbox, smtp_server.port, url, tmp_path)
    try:
        yield made
    finally:
        for proc in made.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_for_forwards(catcher: SmtpCatcher, count: int) -> float:
    """Waits until the server has `count` forwards; returns when (time.monotonic)."""
    while len(catcher.forwards) < count:
        threading.Event().wait(0.01)
    return time.monotonic()


def test_a_standby_takes_over_when_the_active_worker_is_killed(
    pair: Pair, imap_inbox: ServerSettings, smtp_server: SmtpCatcher
) -> None:
    pair.start("w1")
    assert pair.wait_for_holder("w1") == "w1"
    pair.start("w2")
    pair.wait_for_standby("w2")
    deliver(imap_inbox, sample("001"))
    wait_for_forwards(smtp_server, 1)
    assert pair.holder() == "w1"  # the standby stayed a standby
    pair.kill("w1")
    killed = time.monotonic()
    deliver(imap_inbox, sample("006"))  # arrives while nobody works: the standby forwards it
    took_over = wait_for_forwards(smtp_server, 2)
    print(f"\nfailover (lease {LEASE} s, standby polling each second): kill -9 → next forward {took_over - killed:.2f} s")
    assert pair.holder() == "w2"
    while pending(imap_inbox):  # a mail w1 was killed on is finished once w1's claim lapsed
        threading.Event().wait(0.05)
    pair.stop()
    tally = Tally({message_id(sample("001")), message_id(sample("006"))}, set(), smtp_server.messages,
                  mailbox_flags(imap_inbox))
    tally.assert_exactly_once()
    assert tally.resends == 0, tally.report()
    assert "принял работу" in pair.logs["w2"].read_text()


SOAK_KILLS = 6


def test_random_kills_of_the_active_worker_lose_nothing_and_double_nothing(
    pair: Pair, imap_inbox: ServerSettings, smtp_server: SmtpCatcher
) -> None:
    """Two workers, a backlog; the lease holder is SIGKILLed at a random moment after a
    random amount of progress, SOAK_KILLS times, and restarted as a standby each time;
    then both run until the mailbox is empty. Counted as test_crash's soak counts."""
    rng = random.Random(20261203)
    mails, requests, others = varied_backlog(60, rng)
    deliver(imap_inbox, *mails)
    pair.start("w1")
    pair.start("w2")
    takeovers: list[float] = []
    for _ in range(SOAK_KILLS):
        active = pair.wait_for_holder("w1", "w2")
        target = len(smtp_server.messages) + rng.randint(1, 6)
        while len(smtp_server.messages) < target and pending(imap_inbox):
            threading.Event().wait(0.01)
        threading.Event().wait(rng.uniform(0.0, 0.3))
        other = "w2" if active == "w1" else "w1"
        pair.wait_for_standby(other)
        pair.kill(active)
        killed = time.monotonic()
        pair.wait_for_holder(other)
        takeovers.append(time.monotonic() - killed)
        pair.start(active)  # back as a standby
    while pending(imap_inbox):
        threading.Event().wait(0.1)
    pair.wait_for_standby(active)  # up again (a SIGTERM while starting would kill it, not stop it)
    pair.stop()
    tally = Tally(requests, others, smtp_server.messages, mailbox_flags(imap_inbox))
    print(f"\nfailover soak: {SOAK_KILLS} kill -9 of the active worker, lease {LEASE} s, takeovers "
          f"{', '.join(f'{t:.1f}' for t in takeovers)} s; {tally.report()}")
    tally.assert_exactly_once()
    # A kill between the SMTP server's 250 and the journal's record resends that mail under
    # the same Message-ID (the window SMTP cannot close, as in test_crash's soak); what must
    # never happen is a mail lost or a second, different forward. A resend per kill at most:
    assert tally.resends + tally.ack_resends <= SOAK_KILLS, tally.report()


# -- the follow-ups of several mailboxes: one deployment-wide lease ------------------------


def test_with_the_mailboxes_leases_on_two_machines_each_reminder_goes_once(
    dovecot: Dovecot, smtp_server: SmtpCatcher, postgres: Postgres, tmp_path: Path
) -> None:
    """Two workers on one PostgreSQL, each holding one of the two mailboxes' leases: each
    polls its own, and only the holder of the deployment's follow-ups lease reminds, both
    requests, once (before that lease the other sent the same reminders in its own pass)."""
    sales, zakaz = (dovecot.settings(user=u, password=p) for u, p in (dovecot.new_user(), dovecot.new_user()))
    deliver(sales, with_id(sample("001"), "s1@client"))
    deliver(zakaz, with_id(sample("006"), "z1@client"))
    url = postgres.url(postgres.new_database())
    clock = FollowUpClock(datetime(2026, 11, 23, 10, 0, tzinfo=MSK))  # a Monday, office hours
    stores = [open_store(url) for _ in range(2)]
    jobs = []
    for n, store in enumerate(stores, start=1):
        settings = load_settings(shared_env(sales, smtp_server.port, url, tmp_path, f"w{n}", **zakaz_env(zakaz)))
        jobs.append(Jobs(Worker(settings, RULES, store, clock=clock, processes=0)))
    try:
        for job in jobs:
            for worker in job.workers:
                worker.lease = Lease(job.ctx.store.leases, mailbox_name(worker.settings), worker.settings.worker_id, 300)
            job.lease = Lease(job.ctx.store.leases, DEPLOYMENT_JOBS, job.ctx.settings.worker_id, 300)
        # w1 takes sales@ and the follow-ups, w2 zakaz@; then neither gets the other's.
        taken = [(jobs[0].workers[0], True), (jobs[1].workers[1], True), (jobs[0].workers[1], False),
                 (jobs[1].workers[0], False), (jobs[0], True), (jobs[1], False)]  # fmt: skip
        for holder, takes in taken:
            assert holder.lease is not None and holder.lease.renew() is takes
        for job in jobs:
            job.run_once()
        assert len(smtp_server.forwards) == 2 and pending(sales) == [] and pending(zakaz) == []
        clock.at(2026, 11, 23, 14, 0)  # remind_after = 4h
        reports = [job.run_once() for job in reversed(jobs)]  # the one without the lease first
        assert [r.reminded for r in reports] == [0, 2]
        reminded = [m for _, m in sent(smtp_server, "reminder")]
        assert sorted(str(m["In-Reply-To"]) for m in reminded) == sorted({str(m["In-Reply-To"]) for m in reminded})
        assert len(reminded) == 2
        clock.at(2026, 11, 23, 17, 0)
        assert [job.run_once().reminded for job in jobs] == [0, 0]
    finally:
        for job in jobs:
            job.worker.close()
        for store in stores:
            store.close()
