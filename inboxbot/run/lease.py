"""Who of several worker processes on one store works for a mailbox: the holder of its
lease (store.leases), renewed while the process lives; the others wait as standbys. The
deployment's follow-ups and report (they cover every mailbox) have one lease of their own,
DEPLOYMENT_JOBS: with the mailboxes' leases on different machines, one process still
sends each reminder. On the SQLite journal too: two `run` started on one journal by
mistake (a cron line beside the systemd unit) are one worker and one standby.

The holder is `<worker id>#<pid>-<instance>` (holders.py). A worker restarted after a kill
(systemd's Restart=always) finds its dead predecessor's lease unlapsed; a lease under its
own worker id whose process is no longer running here is taken over at once, so the
restart polls at once instead of waiting the lease out. A live process's lease, or another
worker id's, is kept until it lapses.

Why a lease row and not a PostgreSQL advisory lock: an advisory lock lives as long as
its database session, and a machine that dies without closing its socket keeps the
session (and the lock) until the server's TCP keepalive gives up — two hours by
default; a reconnect after a network blip loses the lock without the worker noticing.
A lease row lapses after a set time on the database's clock whatever happened to the
holder, so the standby's takeover is bounded: at most `seconds` after the holder's last
renewal, plus one of the standby's tries (every tenth of it). It works on every backend.

The lease is renewed by a thread of its own, every third of its time, so a long poll
(a backlog of thousands) keeps it. A holder that cannot renew (its database out of
reach) stops counting itself the holder once its last renewal's time is up, measured on
its own monotonic clock from before the renewal was sent, so it gives the mailbox up no
later than the store lets a standby take it. What it is sending at that moment is
guarded by the mail's claim (effects.EffectRunner.claim).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable

from inboxbot.config import Settings
from inboxbot.run.holders import Holder, pid_alive, takes_over
from inboxbot.store.interfaces import Leases

log = logging.getLogger(__name__)


# The lease of the follow-ups and the report: one per store, whatever the mailboxes.
DEPLOYMENT_JOBS = "deployment:followups+report"
DEPLOYMENT_LABEL = "напоминания и отчёт"


def mailbox_name(settings: Settings) -> str:
    """The lease's name: the mailbox as every worker serving it configures it."""
    imap = settings.imap
    return f"{imap.user}@{imap.host}:{imap.port}/{settings.folder}"


class Lease:
    """A lease (a mailbox's, or DEPLOYMENT_JOBS) for this process: `holds()` says whether
    it may work; `label` names it in the log (default: «ящик <name>»)."""

    def __init__(
        self, leases: Leases, name: str, worker_id: str, seconds: int, *, label: str = "",
        on_taken: Callable[[], None] = lambda: None, clock: Callable[[], float] = time.monotonic,
        pid: int | None = None, alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.leases = leases
        self.name = name
        self.label = label or f"ящик {name}"
        self.seconds = seconds
        # The worker's name, then this process and this start of it: two processes of one
        # name (a restart, a unit started twice) never hold the lease together.
        self.me = Holder(worker_id, os.getpid() if pid is None else pid, uuid.uuid4().hex[:8])
        self.holder = str(self.me)
        self.alive = alive
        self.on_taken = on_taken
        self.clock = clock
        self._valid_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def holds(self) -> bool:
        return self.clock() < self._valid_until

    def renew(self) -> bool:
        """One try to take or renew the lease; True while this process holds it."""
        held = self.holds()
        sent_at = self.clock()
        try:
            taken = self.leases.take(self.name, self.holder, self.seconds) or self._take_from_the_dead()
        except Exception as exc:  # the store out of reach: the lease runs out, tried again
            if not self._failing:
                log.warning("%s: аренда не продлена (%s); повторю", self.label, exc)
            self._failing = True
            return self.holds()
        self._failing = False
        if taken:
            self._valid_until = sent_at + self.seconds
            if not held:
                log.info("%s: этот процесс (%s) принял работу", self.label, self.holder)
                self.on_taken()
        else:
            self._valid_until = 0.0
            if held:
                log.warning("%s: работу принял другой процесс; этот ждёт в резерве", self.label)
        return taken

    def _take_from_the_dead(self) -> bool:
        """Take the lease over from this worker's dead earlier incarnation, if it holds it."""
        held_by = self.leases.holder(self.name)
        if held_by is None or not takes_over(held_by, self.me, self.alive):
            return False
        taken = self.leases.take(self.name, self.holder, self.seconds, taking_over=held_by)
        if taken:
            log.info("%s: прежний процесс этого рабочего (%s) не запущен; его аренда перенята сразу",
                     self.label, held_by)  # fmt: skip
        return taken

    def start(self) -> None:
        """Try once now (the first poll then knows), then keep renewing in a thread."""
        if not self.renew():
            # A warning, seen at the default log level: a second `run` started on the same
            # journal by mistake would otherwise sit silent.
            log.warning("%s: его обслуживает другой процесс (%s); этот ждёт в резерве",
                        self.label, self.leases.holder(self.name) or "?")  # fmt: skip
        self._thread = threading.Thread(target=self._keep, name="lease", daemon=True)
        self._thread.start()

    def _keep(self) -> None:
        # The holder renews every third of the lease; a standby asks more often, so that
        # it takes over soon after the lease lapsed (one cheap UPDATE each time).
        while not self._stop.wait(self.seconds / 3 if self.holds() else self.seconds / 10):
            self.renew()

    def stop(self) -> None:
        """Stop renewing and give the lease up: a standby takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.holds():
            self._valid_until = 0.0
            try:
                self.leases.release(self.name, self.holder)
            except Exception as exc:  # it lapses by itself
                log.warning("%s: аренда не снята (%s); истечёт через %d с", self.label, exc, self.seconds)
