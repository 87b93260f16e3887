"""Several workers on one store — a shared PostgreSQL, or one SQLite journal two `run` were
started on by mistake: real `inboxbot run` processes, one Dovecot mailbox, one aiosmtpd.
Counted as tests/test_crash.py counts: per original Message-ID, the distinct forward
Message-IDs that reached the server."""

from __future__ import annotations

import asyncio
import random
import re
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
from inboxbot.run.holders import parse_holder
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
    """Workers `inboxbot run` (scheduler mode) sharing one store (a PostgreSQL URL, or the
    path of one SQLite journal) and one mailbox, each restartable under its name (its
    worker id, unless given another)."""

    def __init__(self, imap: ServerSettings, smtp_port: int, url: str, tmp_path: Path, lease: str = LEASE) -> None:
        self.imap, self.smtp_port, self.url, self.tmp_path, self.lease = imap, smtp_port, url, tmp_path, lease
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}  # of each worker's current life
        self.lives = 0

    def env(self, worker_id: str) -> dict[str, str]:
        extra = {"INBOXBOT_LEASE_SECONDS": self.lease, "INBOXBOT_POLL_SECONDS": "1", "INBOXBOT_IDLE": "off",
                 "INBOXBOT_BATCH_SIZE": "30"}  # fmt: skip
        if self.url.startswith("postgresql"):
            return shared_env(self.imap, self.smtp_port, self.url, self.tmp_path, worker_id, **extra)
        return worker_env(self.imap, self.smtp_port, Path(self.url), INBOXBOT_WORKER_ID=worker_id, **extra)

    def start(self, worker: str, worker_id: str = "") -> None:
        self.lives += 1
        self.logs[worker] = self.tmp_path / f"{worker}-{self.lives}.log"
        with open(self.logs[worker], "wb") as out:
            self.procs[worker] = subprocess.Popen(SERVE_ARGS, env=self.env(worker_id or worker), stdout=out,
                                                  stderr=subprocess.STDOUT)  # fmt: skip

    def lease_holder(self, name: str = "") -> str | None:
        """Who holds the lease `name` (the mailbox's by default) now, as the store names it."""
        with open_store(self.url) as store:
            return store.leases.holder(name or mailbox_name(load_settings(self.env("x"))))

    def holder(self) -> str | None:
        """The worker id whose process holds the mailbox's lease now."""
        holder = self.lease_holder()
        return holder.partition("#")[0] if holder else None

    def holder_pid(self, name: str = "") -> int | None:
        """The pid of the process holding the lease `name` (the mailbox's by default)."""
        holder = self.lease_holder(name)
        return parse_holder(holder).pid if holder else None

    def log(self, worker: str) -> str:
        return self.logs[worker].read_text()

    def wait_for_log(self, worker: str, text: str, count: int = 1) -> None:
        """Until `worker`'s log holds `text` `count` times; it must not die meanwhile."""
        while self.log(worker).count(text) < count:
            assert self.procs[worker].poll() is None, self.log(worker)[-3000:]
            threading.Event().wait(0.05)

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
def pairs() -> Iterator[list[Pair]]:
    """The test's pairs of workers: every process still running is killed at its end."""
    made: list[Pair] = []
    try:
        yield made
    finally:
        for proc in (proc for each in made for proc in each.procs.values()):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def pair(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, postgres: Postgres, tmp_path: Path,
         pairs: list[Pair]) -> Pair:  # fmt: skip
    url = postgres.url(postgres.new_database())
    open_store(url).close()
    pairs.append(Pair(imap_inbox, smtp_server.port, url, tmp_path))
    return pairs[-1]


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


HOUR = "3600"  # a lease that never lapses within a test: a takeover here is never the clock's
SELECTS = "selected INBOX: uidvalidity"  # io/imap.py's -v line, each time a process opens the mailbox
POLL_RUNS = 'Running job "poll'  # apscheduler's -v line, each time the poll job runs
MAILBOX_STANDBY = re.compile(r"ящик \S+: его обслуживает другой процесс")


def test_two_runs_started_on_one_sqlite_journal_are_one_worker_and_one_standby(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path, pairs: list[Pair]
) -> None:
    """The SQLite journal's lease: two `inboxbot run` of one worker id on one journal (a
    cron line beside the systemd unit) — one polls the mailbox, the other never opens it,
    and one of them alone holds the reminders and the report (before, both polled every
    second, and both sent every reminder and report)."""
    journal = tmp_path / "journal.sqlite"
    open_store(journal).close()  # the schema, before the two race to create it
    pairs.append(pair := Pair(imap_inbox, smtp_server.port, str(journal), tmp_path, lease=HOUR))
    pair.start("cron", worker_id="sales-1")
    pair.start("unit", worker_id="sales-1")
    for worker in pair.procs:
        pair.wait_for_log(worker, "inboxbot запущен")  # logged after its leases were taken or refused
    pids = {proc.pid: worker for worker, proc in pair.procs.items()}
    mailbox_pid, deployment_pid = pair.holder_pid(), pair.holder_pid(DEPLOYMENT_JOBS)
    assert mailbox_pid in pids and deployment_pid in pids, (mailbox_pid, deployment_pid, pids)
    active = pids[mailbox_pid]
    standby = "unit" if active == "cron" else "cron"
    assert MAILBOX_STANDBY.search(pair.log(standby)) and not MAILBOX_STANDBY.search(pair.log(active))
    reminder_standby = "unit" if pids[deployment_pid] == "cron" else "cron"
    assert "напоминания и отчёт: его обслуживает другой процесс" in pair.log(reminder_standby)
    deliver(imap_inbox, sample("001"))
    wait_for_forwards(smtp_server, 1)
    while pending(imap_inbox):
        threading.Event().wait(0.05)
    # The standby's poll job keeps running, each second: two more runs after the forward,
    # and it still has not once opened the mailbox.
    pair.wait_for_log(standby, POLL_RUNS, pair.log(standby).count(POLL_RUNS) + 2)
    polls = {worker: pair.log(worker).count(SELECTS) for worker in pair.procs}
    print(f"\ntwo `run` on one SQLite journal: mailbox opened {polls}; reminders by {pids[deployment_pid]}")
    assert polls[standby] == 0 and polls[active] >= 1, polls
    pair.stop()
    tally = Tally({message_id(sample("001"))}, set(), smtp_server.messages, mailbox_flags(imap_inbox))
    tally.assert_exactly_once()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_worker_restarted_after_kill_9_takes_its_own_lease_at_once(
    backend: str, request: pytest.FixtureRequest, imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
    tmp_path: Path, pairs: list[Pair],
) -> None:  # fmt: skip
    """systemd's Restart=always after a kill -9: the restarted worker (the same worker id)
    finds its dead predecessor's lease, an hour long, and takes it over at once — it
    forwards the next mail (before, it waited as a standby for the hour to lapse)."""
    if backend == "postgresql":
        postgres: Postgres = request.getfixturevalue("postgres")
        url = postgres.url(postgres.new_database())
    else:
        url = str(tmp_path / "journal.sqlite")
    open_store(url).close()
    pairs.append(pair := Pair(imap_inbox, smtp_server.port, url, tmp_path, lease=HOUR))
    pair.start("w1")
    pair.wait_for_log("w1", "inboxbot запущен")
    deliver(imap_inbox, sample("001"))
    wait_for_forwards(smtp_server, 1)
    while pending(imap_inbox):
        threading.Event().wait(0.05)
    killed_pid = pair.procs["w1"].pid
    assert pair.holder_pid() == killed_pid and pair.holder_pid(DEPLOYMENT_JOBS) == killed_pid
    pair.kill("w1")
    killed = time.monotonic()
    pair.start("w1")
    deliver(imap_inbox, sample("006"))
    while len(smtp_server.forwards) < 2:
        assert "ждёт в резерве" not in pair.log("w1"), pair.log("w1")[-3000:]
        assert pair.procs["w1"].poll() is None, pair.log("w1")[-3000:]
        threading.Event().wait(0.02)
    took_over = time.monotonic() - killed
    print(f"\nrestart after kill -9 ({backend}, lease {HOUR} s): kill → next forward {took_over:.2f} s")
    restarted = pair.procs["w1"].pid
    assert pair.holder_pid() == restarted and pair.holder_pid(DEPLOYMENT_JOBS) == restarted
    assert pair.log("w1").count("его аренда перенята сразу") == 2  # the mailbox's and the deployment's
    while pending(imap_inbox):
        threading.Event().wait(0.05)
    pair.stop()
    tally = Tally({message_id(sample("001")), message_id(sample("006"))}, set(), smtp_server.messages,
                  mailbox_flags(imap_inbox))  # fmt: skip
    tally.assert_exactly_once()


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
