"""The claim of each mail before its effects (store.messages.claim), held per process.

A claim's holder is `<worker id>#<pid>`: the worker's name (INBOXBOT_WORKER_ID, the host
name by default) and this process. Two processes of one name on one machine (`run --once`
beside a serving `run`, a unit started twice on the SQLite journal, which takes no lease)
are two holders, so of the two exactly one forwards a mail.

A worker killed mid-send and restarted must not wait out its own earlier claim (a lease's
time): a claim held under this worker's name by a pid that is no live process here is its
dead earlier incarnation's, and is taken over at once. A live pid, or another worker's name
(another machine, whose pids mean nothing here), keeps its claim until it lapses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inboxbot.model.records import DECIDED, MessageKey
from inboxbot.store.interfaces import Messages

SEPARATOR = "#"


@dataclass(frozen=True, slots=True)
class Holder:
    """A claim's holder as the store keeps it; `pid` None for a holder of no process (a
    claim written before claims were per process: a bare worker name)."""

    worker_id: str
    pid: int | None

    def __str__(self) -> str:
        return self.worker_id if self.pid is None else f"{self.worker_id}{SEPARATOR}{self.pid}"


def parse_holder(text: str) -> Holder:
    """The holder a claim names; a worker id may hold the separator itself, the pid is after the last."""
    name, sep, pid = text.rpartition(SEPARATOR)
    if sep and pid.isascii() and pid.isdigit():
        return Holder(name, int(pid))
    return Holder(text, None)


def takes_over(held_by: str, me: Holder, alive: Callable[[int], bool]) -> bool:
    """Whether `me` may take a claim held by `held_by` before it lapses: only when it is its
    own worker's on this machine and that process is gone (a restart after a kill)."""
    other = parse_holder(held_by)
    if other.worker_id != me.worker_id or other.pid is None or other.pid == me.pid:
        return False  # another machine's, a pre-upgrade claim, or this very process's (the store renews that one)
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
        return True  # no /proc (not Linux), or it just exited: the claim waits to lapse, as before
    return status.rpartition(")")[2].split()[:1] != ["Z"]


class MailClaims:
    """This process's claims of mails, for `seconds` of the store's clock each."""

    def __init__(
        self, messages: Messages, worker_id: str, seconds: float, *, pid: int | None = None,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:  # fmt: skip
        self.messages = messages
        self.me = Holder(worker_id, os.getpid() if pid is None else pid)
        self.seconds = seconds
        self.alive = alive

    @property
    def holder(self) -> str:
        return str(self.me)

    def take(self, key: MessageKey, state: str = DECIDED) -> bool:
        """True when this process may carry out the mail's effects found in `state`: it
        claimed the row (free, its own, lapsed, or its dead earlier incarnation's), or the
        mail has no row at all (its quarantine could not be journalled: nobody else has it)."""
        if self.messages.claim(key, self.holder, self.seconds, state=state):
            return True
        entry = self.messages.entry(key)
        if entry is None:
            return True
        held_by = entry.claimed_by
        return (
            entry.state == state and held_by is not None and takes_over(held_by, self.me, self.alive)
            and self.messages.claim(key, self.holder, self.seconds, state=state, taking_over=held_by)
        )  # fmt: skip
