"""Memory of the deployment at default settings: the worker and its extraction children,
after a backlog and then after a quiet poll (what a running bot holds most of the day).

    .venv/bin/python bench/bench_memory.py [--mails 300]

Resident memory (RSS) and proportional set size (PSS: shared pages split among the
processes sharing them, so the sum is what the machine really gives them), in MB.
A benchmark, not a test: it measures and never fails.
"""

from __future__ import annotations

import argparse
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


def deployment(worker: Worker) -> str:
    pool = worker.pipeline._pool
    pids = [0, *(pool._processes if pool else ())]  # 0: this process
    parts = [memory_mb(pid) if pid else memory_mb(int(Path("/proc/self").resolve().name)) for pid in pids]
    rss, pss = sum(p[0] for p in parts), sum(p[1] for p in parts)
    return (f"{len(pids) - 1} extraction processes; RSS {rss:5.0f} MB, PSS {pss:5.0f} MB "
            f"(worker RSS {parts[0][0]:.0f} MB" + "".join(f", child {p[0]:.0f}" for p in parts[1:]) + ")")


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
            worker.poll_once()
            print(f"after a backlog of {args.mails}: {deployment(worker)}")
            deliver(imap, sample("001"))
            worker.poll_once()
            print(f"after a quiet poll:      {deployment(worker)}")
        finally:
            worker.close()


if __name__ == "__main__":
    main()
