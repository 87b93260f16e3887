"""The claim of each mail before its effects (store.messages.claim), held per process.

A claim's holder is `<worker id>#<pid>`: the worker's name (INBOXBOT_WORKER_ID, the host
name by default) and this process. Two processes of one name on one machine (`run --once`,
which takes no lease, beside a serving `run`; two serving `run` in the moment one takes
the mailbox's lease from the other) are two holders, so of the two exactly one forwards a mail.

A worker killed mid-send and restarted must not wait out its own earlier claim (a lease's
time): a claim held under this worker's name by a pid that is no live process here is its
dead earlier incarnation's, and is taken over at once (holders.py, as for the leases). A
live pid, or another worker's name (another machine, whose pids mean nothing here), keeps
its claim until it lapses.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from inboxbot.model.records import DECIDED, MessageKey
from inboxbot.run.holders import Holder, pid_alive, takes_over
from inboxbot.store.interfaces import Messages


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
