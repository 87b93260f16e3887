"""pymap on loopback: the IMAP server that drops custom keywords.

Started as the demo starts it: a child of pytest that exits when pytest goes, however it
goes (its stdin is a pipe only pytest holds; see inboxbot/tools/demo.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inboxbot.config import ServerSettings
from inboxbot.tools.demo import pymap_server


@dataclass
class Pymap:
    """pymap's in-memory `dict` backend in a subprocess. It answers OK to STORE of a
    custom keyword and drops it, so Mailbox must fall back to folder marking."""

    host: str
    port: int
    user: str
    password: str

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[Pymap]:
        with pymap_server() as server:  # the demo's own server: one way to start pymap
            yield cls(server.host, server.port, server.user, server.password)

    def settings(self, **kwargs: Any) -> ServerSettings:
        return ServerSettings(host=self.host, port=self.port, tls="none", user=self.user,
                              password=self.password, timeout=10.0, **kwargs)


