"""End-to-end worker benchmark: a backlog in a real Dovecot, forwarded over a real SMTP.

    .venv/bin/python bench/bench_worker.py [--mails 10000] [--profile]
    DOVECOT_TEST_FSYNC=optimized .venv/bin/python bench/bench_worker.py   # as a production Dovecot

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
import dataclasses
import os
import pstats
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from imapclient import IMAPClient  # noqa: E402
from samples import DEMO_MAIL, RULES  # noqa: E402
from servers import Dovecot  # noqa: E402

from inboxbot.config import ServerSettings, Settings  # noqa: E402
from inboxbot.mail.message import parse  # noqa: E402
from inboxbot.model.decision import Decision  # noqa: E402
from inboxbot.model.facts import Facts  # noqa: E402
from inboxbot.rules.model import Rules  # noqa: E402
from inboxbot.run.pipeline import Outcome, Pipeline, Prepared, extraction_processes  # noqa: E402
from inboxbot.run.worker import Worker  # noqa: E402
from inboxbot.store.factory import open_store  # noqa: E402
from inboxbot.tools.demo import free_port, wait_for_port  # noqa: E402

CORPUS = DEMO_MAIL


class FloorPipeline(Pipeline):
    """Extraction and routing switched off: every mail is forwarded to one manager."""

    def __init__(self, rules: Rules) -> None:
        super().__init__(rules, processes=0)

    def warm_up(self) -> None:
        """Nothing to load: the floor never extracts."""

    def prepare_many(self, raws: Sequence[bytes]) -> list[Prepared]:
        return [Prepared(parse(raw), Facts()) for raw in raws]

    def decide(self, prepared: Prepared, history: object, **_context: object) -> Outcome:
        """A fixed decision whatever the context (received_at, ledger, recent, absences)."""
        return Outcome(prepared.msg, Facts(), Decision("forward", "ivanova", "bench", ("замер: без разбора",)))


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a live process has used so far; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def group_cpu_seconds(pgid: int) -> float:
    """CPU time the processes of a process group have used so far, with that of their
    children already gone (counted in their parents): Dovecot's master runs in a group
    of its own, with the imap processes it forks."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid:
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / _TICK


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory a live process has had (VmHWM), in MB; 0 when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (/proc/stat: everything but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / _TICK


@dataclass
class CpuUse:
    """Where the CPU went during one run, in seconds: the worker process, its extraction
    children, the SMTP sink, Dovecot, and the rest of the machine (the kernel's own work,
    and whatever else runs on it: on a shared machine, other people's load)."""

    worker: float = 0.0
    children: float = 0.0
    smtp: float = 0.0
    dovecot: float = 0.0
    machine: float = 0.0
    children_peak_mb: tuple[float, ...] = ()  # peak RSS of each extraction child

    @property
    def rest(self) -> float:
        return max(0.0, self.machine - self.worker - self.children - self.smtp - self.dovecot)


@contextlib.contextmanager
def smtp_sink() -> Iterator[tuple[ServerSettings, int]]:
    """A real aiosmtpd in its own process that accepts and discards: in this process it
    would compete with the worker for the interpreter lock and skew the figures.
    Yields its settings and its process id (for the CPU account)."""
    port = free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        try:
            wait_for_port(port, proc)
            yield ServerSettings(host="127.0.0.1", port=port, tls="none", user="", password=""), proc.pid
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


def run_once(dovecot: Dovecot, smtp: tuple[ServerSettings, int], mails: list[bytes], *, floor: bool,
             profile: bool, processes: int, acknowledge: bool = True) -> tuple[float, CpuUse]:
    """One poll over the whole backlog; returns mails/s and where the CPU went."""
    user, password = load(dovecot, mails)
    smtp_settings, smtp_pid = smtp
    cpu = CpuUse()
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "journal.sqlite") as journal:
        settings = Settings(imap=dovecot.settings(user=user, password=password), smtp=smtp_settings,
                            journal=journal.path, bot_address="sales-bot@severkarton.test")
        worker = Worker(settings, RULES, journal, pipeline_factory=FloorPipeline if floor else None,
                        processes=processes)
        if not acknowledge:
            worker.holder.rules = dataclasses.replace(worker.holder.rules, acknowledge=None)
        profiler = cProfile.Profile() if profile else None
        own = resource.getrusage(resource.RUSAGE_SELF)
        smtp_before, machine_before = cpu_seconds(smtp_pid), machine_busy_seconds()
        dovecot_before = group_cpu_seconds(dovecot.pid)
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        report = worker.poll_once()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        now = resource.getrusage(resource.RUSAGE_SELF)
        cpu.worker = (now.ru_utime + now.ru_stime) - (own.ru_utime + own.ru_stime)
        pool = getattr(worker.pipeline, "_pool", None)
        # The children start within the poll: all of their CPU time belongs to it.
        children = list(pool._processes) if pool else []
        cpu.children = sum(cpu_seconds(pid) for pid in children)
        cpu.children_peak_mb = tuple(peak_rss_mb(pid) for pid in children)
        cpu.smtp = cpu_seconds(smtp_pid) - smtp_before
        cpu.dovecot = group_cpu_seconds(dovecot.pid) - dovecot_before
        cpu.machine = machine_busy_seconds() - machine_before
        worker.close()
    assert report.seen == len(mails), (report.seen, len(mails))
    if profiler:
        for sort in ("cumulative", "tottime"):
            pstats.Stats(profiler).sort_stats(sort).print_stats(25)
    return len(mails) / elapsed, cpu


def cpu_line(name: str, cpu: CpuUse, mails: int) -> str:
    per_mail = lambda seconds: f"{1000 * seconds / mails:5.2f}"  # noqa: E731
    return (f"{name:21} ms/mail: worker {per_mail(cpu.worker)}, extraction children {per_mail(cpu.children)}, "
            f"SMTP sink {per_mail(cpu.smtp)}, Dovecot {per_mail(cpu.dovecot)}, rest of the machine {per_mail(cpu.rest)}; "
            f"all {per_mail(cpu.machine)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--processes", type=int, default=extraction_processes(os.cpu_count() or 1),
                        help="extraction processes (0 = in the worker; default: the worker's own default for these cores)")
    parser.add_argument("--no-ack", action="store_true",
                        help="no acknowledgements to clients (rules.toml sends one per request: a second mail each)")
    args = parser.parse_args()
    mails = backlog(args.mails)
    with Dovecot.running() as dovecot, smtp_sink() as smtp:
        full, full_cpu = run_once(dovecot, smtp, mails, floor=False, profile=args.profile,
                                  processes=args.processes, acknowledge=not args.no_ack)
        floor, floor_cpu = run_once(dovecot, smtp, mails, floor=True, profile=False, processes=args.processes,
                                    acknowledge=not args.no_ack)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mails: {args.mails}, extraction processes: {args.processes}, cores: {os.cpu_count()}, "
          f"acknowledgements to clients: {'off' if args.no_ack else 'on (a second mail per request)'}")
    # The test server's default is `never` (throwaway data); a production Dovecot's is
    # `optimized`. The worker's IMAP marks are a few STOREs per batch, so the difference
    # is small, but measure both: DOVECOT_TEST_FSYNC=optimized.
    print(f"Dovecot mail_fsync:   {os.environ.get('DOVECOT_TEST_FSYNC', 'never')}"
          f" (production default: optimized; set DOVECOT_TEST_FSYNC to change)")
    print(f"full pipeline:        {full:8.1f} mails/s")
    print(f"I/O floor (no NLP):   {floor:8.1f} mails/s")
    print(f"floor / full:         {floor / full:8.2f}x")
    children_mb = full_cpu.children_peak_mb
    print(f"peak memory (RSS):    {peak_mb:8.0f} MB the worker process (+ extraction children: "
          f"{', '.join(f'{mb:.0f}' for mb in children_mb) or 'none'} MB; all {peak_mb + sum(children_mb):.0f} MB)")
    print("CPU time, all processes (2 cores give 2 CPU-ms per ms of wall time):")
    print(cpu_line("  full pipeline", full_cpu, args.mails))
    print(cpu_line("  I/O floor", floor_cpu, args.mails))


if __name__ == "__main__":
    main()
