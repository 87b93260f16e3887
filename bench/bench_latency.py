"""Arrival → forward latency of the running worker, with IMAP IDLE on and off.

    .venv/bin/python bench/bench_latency.py [--mails 20] [--poll-seconds 10]

The worker runs in its scheduler mode (`inboxbot run`'s jobs, in this process) against a
real Dovecot and an SMTP sink on loopback. Mails go in one by one by IMAP APPEND, at
random intervals (0.5–3 s); for each, the time from the APPEND's answer to the sink's
receiving the first mail the bot sends for it (a forward, or a notice for mail it does
not forward), found by the mail's Message-ID. One warm-up mail first loads the models.
With IDLE off only the interval poll brings mail in: about half the interval on average.
Prints p50 / p95 / max per mode. A benchmark, not a test: it measures and never fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from aiosmtpd.controller import Controller  # noqa: E402
from bench_worker import RULES, backlog  # noqa: E402
from imapclient import IMAPClient  # noqa: E402
from servers import Dovecot, free_port  # noqa: E402

from inboxbot.config import ServerSettings, Settings  # noqa: E402
from inboxbot.run.jobs import Jobs  # noqa: E402
from inboxbot.run.worker import Worker  # noqa: E402
from inboxbot.store.factory import open_store  # noqa: E402

# Seconds past the interval without the bot's mail: none is coming (mail it only marks,
# such as an auto-reply, is counted under "no output").
GIVE_UP_AFTER_POLL = 10.0


class _Sink:
    """An SMTP sink that notes when each mail arrived."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((time.perf_counter(), bytes(envelope.original_content or envelope.content)))
        return "250 OK"

    def first_with(self, marker: bytes, since: int) -> float | None:
        with self.lock:
            return next((at for at, raw in self.received[since:] if marker in raw), None)


def message_id(raw: bytes) -> bytes:
    line = next(line for line in raw.splitlines() if line.lower().startswith(b"message-id:"))
    return line.split(b":", 1)[1].strip().strip(b"<>")


def wait_output(sink: _Sink, marker: bytes, since: int, poll_seconds: int) -> float | None:
    deadline = time.perf_counter() + poll_seconds + GIVE_UP_AFTER_POLL
    while time.perf_counter() < deadline:
        if (at := sink.first_with(marker, since)) is not None:
            return at
        time.sleep(0.01)
    return None


def one_mode(dovecot: Dovecot, mails: list[bytes], *, idle: bool, poll_seconds: int, seed: int) -> tuple[list[float], int]:
    """Latencies (s) of the mails the bot answered for, and the count of those it did not."""
    user, password = dovecot.new_user()
    imap = ServerSettings(host=dovecot.host, port=dovecot.port, tls="none", user=user, password=password)
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp = ServerSettings(host="127.0.0.1", port=controller.port, tls="none", user="", password="")
    rng = random.Random(seed)
    latencies: list[float] = []
    silent = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(imap=imap, smtp=smtp, journal=str(Path(tmp) / "journal.sqlite"), idle=idle,
                                poll_seconds=poll_seconds, bot_address="sales-bot@severkarton.test")
            with open_store(settings.journal) as store:
                jobs = Jobs(Worker(settings, RULES, store, processes=0))
                jobs.start()
                client = IMAPClient(dovecot.host, dovecot.port, ssl=False)
                client.login(user, password)
                try:
                    for index, raw in enumerate(mails):
                        since = len(sink.received)
                        client.append("INBOX", raw)
                        appended = time.perf_counter()
                        at = wait_output(sink, message_id(raw), since, 60 if index == 0 else poll_seconds)
                        if index == 0:
                            continue  # the warm-up: models loaded, connections open
                        if at is None:
                            silent += 1
                        else:
                            latencies.append(at - appended)
                        time.sleep(rng.uniform(0.5, 3.0))
                finally:
                    client.logout()
                    jobs.worker.stop()
                    jobs.shutdown()
    finally:
        controller.stop()
    return latencies, silent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=20, help="mails per mode (plus one warm-up)")
    parser.add_argument("--poll-seconds", type=int, default=10, help="the interval poll (the full check)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    mails = backlog(args.mails + 1, seed=args.seed)
    print(f"{args.mails} mails per mode, appended 0.5–3 s apart; interval poll every {args.poll_seconds} s")
    print(f"{'IDLE':<5} {'n':>3} {'p50 s':>7} {'p95 s':>7} {'max s':>7}  no output")
    with Dovecot.running() as dovecot:
        for idle in (True, False):
            latencies, silent = one_mode(dovecot, mails, idle=idle, poll_seconds=args.poll_seconds, seed=args.seed)
            name = "on" if idle else "off"
            if not latencies:
                print(f"{name:<5} {0:>3} {'—':>7} {'—':>7} {'—':>7}  {silent}")
                continue
            print(f"{name:<5} {len(latencies):>3} {statistics.median(latencies):>7.2f} "
                  f"{percentile(latencies, 0.95):>7.2f} {max(latencies):>7.2f}  {silent}")


if __name__ == "__main__":
    main()
