"""pymap on loopback: the IMAP server that drops custom keywords."""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from servers_lifeline import lifeline

from inboxbot.config import ServerSettings
from inboxbot.tools.demo import DEMO_USER, free_port, pymap_command, wait_for_port


@dataclass
class Pymap:
    """pymap's in-memory `dict` backend in a subprocess (started as the demo starts it). It
    answers OK to STORE of a custom keyword and drops it, so Mailbox must fall back to
    folder marking."""

    host: str
    port: int
    user: str
    password: str
    pid: int

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[Pymap]:
        port, password = free_port(), secrets.token_urlsafe(12)
        started: list[subprocess.Popen[bytes]] = []

        def stop() -> None:
            for proc in started:
                proc.kill()  # in-memory: nothing to lose
                proc.wait()

        with lifeline(stop) as line:
            proc = subprocess.Popen(pymap_command(port, password), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            started.append(proc)
            line.watch_pid(proc.pid, signal.SIGKILL)
            wait_for_port(port, proc)
            yield cls("127.0.0.1", port, DEMO_USER, password, proc.pid)

    def settings(self, **kwargs: Any) -> ServerSettings:
        return ServerSettings(host=self.host, port=self.port, tls="none", user=self.user,
                              password=self.password, timeout=10.0, **kwargs)
