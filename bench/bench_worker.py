"""End-to-end worker benchmark: a backlog in a real Dovecot, forwarded over a real SMTP.

    .venv/bin/python bench/bench_worker.py [--mails 10000] [--profile]

Runs the same backlog twice: with the full pipeline (parse → extract → route → forward
→ mark) and with extraction and routing switched off (parse, then a fixed decision:
the I/O floor). Prints mails/s for both, their ratio and peak memory; --profile adds
the top functions by cumulative time of the full run. A benchmark, not a test: it
measures and never fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from imapclient import IMAPClient  # noqa: E402
from servers import Dovecot, free_port, wait_for_port  # noqa: E402

from inboxbot.config import ServerSettings, Settings  # noqa: E402
from inboxbot.decision import Decision  # noqa: E402
from inboxbot.facts import Facts  # noqa: E402
from inboxbot.journal import Journal  # noqa: E402
from inboxbot.message import parse  # noqa: E402
from inboxbot.pipeline import Outcome, Pipeline, Prepared  # noqa: E402
from inboxbot.rules import Rules  # noqa: E402
from inboxbot.worker import Worker  # noqa: E402

CORPUS = REPO / "demo" / "mail"
RULES = REPO / "rules.toml"


class FloorPipeline(Pipeline):
    """Extraction and routing switched off: every mail is forwarded to one manager."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self._pool = None
        self.processes = 0

    def prepare_many(self, raws: Sequence[bytes]) -> list[Prepared]:
        return [Prepared(parse(raw), Facts()) for raw in raws]

    def decide(self, prepared: Prepared, history: object, *, received_at: object = None) -> Outcome:
        return Outcome(prepared.msg, Facts(), Decision("forward", "ivanova", "bench", ("замер: без разбора",)))


@contextlib.contextmanager
def smtp_sink() -> Iterator[ServerSettings]:
    """A real aiosmtpd in its own process that accepts and discards: in this process it
    would compete with the worker for the interpreter lock and skew the figures."""
    port = free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        try:
            wait_for_port(port, proc)
            yield ServerSettings(host="127.0.0.1", port=port, tls="none", user="", password="")
        finally:
            proc.terminate()
            proc.wait()


def backlog(count: int, seed: int = 7) -> list[bytes]:
    """`count` requests varied from the demo samples, each with its own Message-ID."""
    samples = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    rng = random.Random(seed)
    mails = []
    for index in range(count):
        raw = rng.choice(samples)
        new_id = f"<bench-{index}-{rng.getrandbits(32):08x}@bench.test>".encode()
        raw, found = re.subn(rb"(?im)^Message-ID:[^\r\n]*", b"Message-ID: " + new_id, raw, count=1)
        if not found:
            raw = b"Message-ID: " + new_id + b"\r\n" + raw
        mails.append(raw)
    return mails


def load(dovecot: Dovecot, mails: list[bytes]) -> tuple[str, str]:
    user, password = dovecot.new_user()
    client = IMAPClient(dovecot.host, dovecot.port, ssl=False)
    client.login(user, password)
    for start in range(0, len(mails), 200):
        client.multiappend("INBOX", mails[start : start + 200])
    client.logout()
    return user, password


def run_once(dovecot: Dovecot, smtp: ServerSettings, mails: list[bytes], *, floor: bool, profile: bool,
             processes: int = 2) -> float:
    user, password = load(dovecot, mails)
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "journal.sqlite") as journal:
        settings = Settings(imap=dovecot.settings(user=user, password=password), smtp=smtp,
                            journal=journal.path, bot_address="sales-bot@severkarton.test")
        worker = Worker(settings, RULES, journal, pipeline_factory=FloorPipeline if floor else None,
                        processes=processes)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = worker.poll_once()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        worker.close()
    assert report.seen == len(mails), (report.seen, len(mails))
    if profiler:
        for sort in ("cumulative", "tottime"):
            pstats.Stats(profiler).sort_stats(sort).print_stats(25)
    return len(mails) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--processes", type=int, default=2, help="extraction processes (0 = in the worker)")
    args = parser.parse_args()
    mails = backlog(args.mails)
    with Dovecot.running() as dovecot, smtp_sink() as smtp:
        full = run_once(dovecot, smtp, mails, floor=False, profile=args.profile, processes=args.processes)
        floor = run_once(dovecot, smtp, mails, floor=True, profile=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mails: {args.mails}, extraction processes: {args.processes}")
    print(f"full pipeline:        {full:8.1f} mails/s")
    print(f"I/O floor (no NLP):   {floor:8.1f} mails/s")
    print(f"floor / full:         {floor / full:8.2f}x")
    print(f"peak memory (RSS):    {peak_mb:8.0f} MB")


if __name__ == "__main__":
    main()
