"""aiosmtpd on loopback that keeps what it receives: the tests' outgoing mail server.
It runs in a thread of pytest, so it ends with the process."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

from inboxbot.config import ServerSettings
from inboxbot.tools.demo import free_port


@dataclass(frozen=True, slots=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes = field(repr=False)


class _Recorder:
    def __init__(self, catcher: SmtpCatcher) -> None:
        self.catcher = catcher

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in {a.lower() for a in self.catcher.reject_rcpt}:
            return "550 5.1.1 No such user here"
        if address.lower() in {a.lower() for a in self.catcher.defer_rcpt}:
            return "452 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.catcher.fail_next:
            code = self.catcher.fail_next.pop(0)
            kind = "4.3.0 Temporary failure, try again later" if code < 500 else "5.7.1 Message rejected"
            return f"{code} {kind}"
        raw = envelope.original_content or envelope.content
        self.catcher.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw)))
        return "250 OK"


@dataclass
class SmtpCatcher:
    """aiosmtpd on loopback that keeps every message. `fail_next`: reply codes (e.g. 451,
    554) for the next DATA commands, one per message; `reject_rcpt`: addresses → 550;
    `defer_rcpt`: addresses → 452 (mailbox full, for now)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    reject_rcpt: set[str] = field(default_factory=set)
    defer_rcpt: set[str] = field(default_factory=set)

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[SmtpCatcher]:
        catcher = cls()
        for attempt in range(5):
            catcher.port = free_port()
            controller = Controller(_Recorder(catcher), hostname=catcher.host, port=catcher.port)
            try:
                controller.start()
                break
            except (OSError, RuntimeError):  # the port was taken between picking and binding
                if attempt == 4:
                    raise
        try:
            yield catcher
        finally:
            controller.stop()

    def settings(self, **kwargs: Any) -> ServerSettings:
        return ServerSettings(host=self.host, port=self.port, tls="none", user="", password="", **kwargs)

    @property
    def forwards(self) -> list[Received]:
        """The forwards to managers among the messages (not acknowledgements, notices,
        reminders or reports): the bot's loop header says which kind each one is."""
        return [m for m in self.messages if re.search(rb"^X-Inboxbot: forwarded", m.raw, re.MULTILINE)]


