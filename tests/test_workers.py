"""Several workers on one shared store (PostgreSQL): real `inboxbot run` processes, one
Dovecot mailbox, one aiosmtpd, one PostgreSQL. Counted as tests/test_crash.py counts:
per original Message-ID, the distinct forward Message-IDs that reached the server."""

from __future__ import annotations

import asyncio
import random
import subprocess
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from samples import pending
from servers import Postgres, Received, free_port
from test_crash import WORKER_ARGS, Tally, deliver, mailbox_flags, varied_backlog, worker_env

from inboxbot.config import ServerSettings
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
