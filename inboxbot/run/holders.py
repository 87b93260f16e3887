"""Who holds a row of the store — a mail's claim (claims.py) or a lease (lease.py) — and
whether the holder is this worker's dead earlier incarnation, to be taken over at once.

A holder is `<worker id>#<pid>` (a claim) or `<worker id>#<pid>-<instance>` (a lease: a
random word per process start as well, so that a restart that gets the same pid, as in a
container, is still another holder). The worker id names a machine (INBOXBOT_WORKER_ID,
the host name by default); the pid, a process on it.

A worker killed and restarted (systemd's Restart=always) must not wait out its own earlier
claims and leases: a holder under this worker's name whose process is no longer running
here is its dead earlier incarnation. A live pid, or another worker's name (another
machine, whose pids mean nothing here), keeps its row until it lapses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = "#"
INSTANCE = "-"


@dataclass(frozen=True, slots=True)
class Holder:
    """A holder as the store keeps it; `pid` None for a holder of no process (a claim
    written before claims were per process: a bare worker name); `instance` empty for a claim."""

    worker_id: str
    pid: int | None
    instance: str = ""

    def __str__(self) -> str:
        if self.pid is None:
            return self.worker_id
        suffix = f"{INSTANCE}{self.instance}" if self.instance else ""
        return f"{self.worker_id}{SEPARATOR}{self.pid}{suffix}"


def parse_holder(text: str) -> Holder:
    """The holder a row names; a worker id may hold the separator itself, the pid (and the
    instance) is after the last one."""
    name, sep, rest = text.rpartition(SEPARATOR)
    pid, dash, instance = rest.partition(INSTANCE)
    if sep and pid.isascii() and pid.isdigit() and (not dash or (instance.isascii() and instance.isalnum())):
        return Holder(name, int(pid), instance)
    return Holder(text, None)


def takes_over(held_by: str, me: Holder, alive: Callable[[int], bool]) -> bool:
    """Whether `me` may take a row held by `held_by` before it lapses: only when it is its
    own worker's on this machine and that process is gone (a restart after a kill)."""
    other = parse_holder(held_by)
    if other.worker_id != me.worker_id or other.pid is None or other == me:
        return False  # another machine's, a pre-upgrade claim, or this very process's (the store renews that one)
    if other.pid == me.pid:
        return True  # this pid is this process now: the earlier start that had it is gone
    return not alive(other.pid)


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a running process on this machine (a zombie, killed but not reaped
    by its parent yet, is not: it sends nothing any more)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux), or it just exited: the row waits to lapse, as before
    return status.rpartition(")")[2].split()[:1] != ["Z"]
