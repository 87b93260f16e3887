"""How soon a freshly started worker gets its first forward out of a backlog.

    .venv/bin/python bench/bench_first_forward.py [--mails 300] [--runs 3]

A worker restarted in a loop (a crash, an impatient supervisor) must make progress
between restarts: this starts the real `inboxbot run --once` against a backlog in a
real Dovecot and a real SMTP server on loopback, and reports the seconds from the
process start to the first forward and to the last, over several runs (min / median /
max), with the share of the whole run that passed before the first forward went out.
A benchmark, not a test: it measures and never fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from aiosmtpd.controller import Controller  # noqa: E402
from bench_worker import RULES, backlog, load  # noqa: E402
from servers import Dovecot, free_port  # noqa: E402

INBOXBOT = Path(sys.executable).with_name("inboxbot")


class _Stamps:
    """An SMTP sink that notes when each mail arrived."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.times.append(time.perf_counter())
        return "250 OK"


def one_run(dovecot: Dovecot, mails: int) -> tuple[float, float]:
    user, password = load(dovecot, backlog(mails))
    stamps = _Stamps()
    controller = Controller(stamps, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXBOT_")}
            env.update(
                INBOXBOT_IMAP_HOST=dovecot.host, INBOXBOT_IMAP_PORT=str(dovecot.port), INBOXBOT_IMAP_TLS="none",
                INBOXBOT_IMAP_USER=user, INBOXBOT_IMAP_PASSWORD=password,
                INBOXBOT_SMTP_HOST="127.0.0.1", INBOXBOT_SMTP_PORT=str(controller.port), INBOXBOT_SMTP_TLS="none",
                INBOXBOT_JOURNAL=str(Path(tmp) / "journal.sqlite"), INBOXBOT_BOT_ADDRESS="sales-bot@severkarton.test",
            )
            started = time.perf_counter()
            subprocess.run([str(INBOXBOT), "run", "--once", "--rules", str(RULES)], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        controller.stop()
    if not stamps.times:
        raise SystemExit("the worker sent nothing")
    return stamps.times[0] - started, stamps.times[-1] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.set_event_loop_policy(None)
    with Dovecot.running() as dovecot:
        results = [one_run(dovecot, args.mails) for _ in range(args.runs)]
    first = [r[0] for r in results]
    last = [r[1] for r in results]
    line = lambda xs: f"min {min(xs):6.2f}  median {statistics.median(xs):6.2f}  max {max(xs):6.2f} s"  # noqa: E731
    print(f"backlog {args.mails} mails, {args.runs} runs of `inboxbot run --once`")
    print(f"first forward after  {line(first)}")
    print(f"last forward after   {line(last)}")
    print(f"first / last (median) {statistics.median(first) / statistics.median(last):.2f}")


if __name__ == "__main__":
    main()
