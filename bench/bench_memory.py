"""Memory of the deployment at default settings: the worker, the forkserver holding the
NLP models, the extraction processes forked from it and multiprocessing's resource
tracker (not the benchmark's SMTP sink), after a backlog and then after a quiet poll
(what a running bot holds most of the day); and the CPU time the backlog's poll took
in all of them, per mail (a fairer measure than mails/s on a shared machine).

    .venv/bin/python bench/bench_memory.py [--mails 300]

Resident memory (RSS) and proportional set size (PSS: shared pages split among the
processes sharing them, so the sum is what the machine really gives them), in MB.
A benchmark, not a test: it measures and never fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from bench_worker import backlog, load, smtp_sink  # noqa: E402
from samples import RULES, deliver, sample  # noqa: E402
from servers import Dovecot  # noqa: E402

from inboxbot.config import Settings  # noqa: E402
from inboxbot.run.worker import Worker  # noqa: E402
from inboxbot.store.factory import open_store  # noqa: E402


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a live process in MB (smaps_rollup)."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def python_descendants(pid: int) -> list[int]:
    """This process's Python descendants (the forkserver and the extraction processes
    forked from it; not the Dovecot the benchmark started), depth first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if "python" in (entry / "exe").resolve().name:
                    children.setdefault(ppid, []).append(int(entry.name))
            except OSError:
                continue
    return python_descendants_of(pid, children)


def python_descendants_of(pid: int, children: dict[int, list[int]]) -> list[int]:
    return [p for child in children.get(pid, ()) for p in (child, *python_descendants_of(child, children))]


def role(pid: int) -> str:
    """What a descendant is, by the command line multiprocessing gives its processes;
    "" for one that is not the deployment's (the benchmark's SMTP sink)."""
    command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    if "forkserver" in command:
        return "forkserver" if parent == os.getpid() else "extraction"
    if "spawn_main" in command:
        return "extraction"
    return "tracker" if "resource_tracker" in command else ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def deployment_cpu(before: float) -> float:
    """CPU seconds of the worker since `before` (its own at the start) and of its
    extraction processes, the forkserver and its helpers (all started by the poll)."""
    return cpu_seconds(os.getpid()) - before + sum(cpu_seconds(pid) for pid in python_descendants(os.getpid())
                                                   if role(pid) in ("forkserver", "extraction"))


def deployment(worker: Worker) -> str:
    pool = worker.pipeline._pool
    me = os.getpid()
    others = [(pid, name) for pid in python_descendants(me) if (name := role(pid))]
    parts = [memory_mb(pid) for pid in (me, *(pid for pid, _ in others))]
    rss, pss = sum(p[0] for p in parts), sum(p[1] for p in parts)
    return (f"{len(pool._processes) if pool else 0} extraction processes; RSS {rss:5.0f} MB, PSS {pss:5.0f} MB "
            f"(RSS/PSS: worker {parts[0][0]:.0f}/{parts[0][1]:.0f}"
            + "".join(f", {name} {p[0]:.0f}/{p[1]:.0f}" for (_, name), p in zip(others, parts[1:], strict=True))
            + ")")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=300)
    args = parser.parse_args()
    with Dovecot.running() as dovecot, smtp_sink() as smtp, tempfile.TemporaryDirectory() as tmp, \
            open_store(Path(tmp) / "journal.sqlite") as journal:
        user, password = load(dovecot, backlog(args.mails))
        imap = dovecot.settings(user=user, password=password)
        settings = Settings(imap=imap, smtp=smtp[0], journal=journal.path, bot_address="sales-bot@severkarton.test")
        worker = Worker(settings, RULES, journal)  # default settings: two extraction processes
        try:
            before = cpu_seconds(os.getpid())
            worker.poll_once()
            cpu = deployment_cpu(before)
            print(f"after a backlog of {args.mails}: {deployment(worker)}")
            print(f"CPU of the poll: {cpu:.1f} s, {cpu / args.mails * 1000:.1f} ms per mail (model loading included)")
            deliver(imap, sample("001"))
            worker.poll_once()
            print(f"after a quiet poll:      {deployment(worker)}")
        finally:
            worker.close()


if __name__ == "__main__":
    main()
