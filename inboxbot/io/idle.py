"""The IDLE watcher: a second IMAP connection waits in IDLE (RFC 2177) on the shared
folder and says when new mail arrives, so that the poll runs at once instead of at its
next interval. It only tells; the poll (on its own connection) does all the work.

Servers drop IDLE silently (a NAT forgets the idle link, a proxy times it out), and
imapclient's `idle_check` cannot tell: on a socket at EOF it returns an empty list at
once, every time (its source: an "EOF" abort ends the read loop quietly), and without a
timeout it blocks for ever on a link that is gone (imapclient issues #449, #565). So:
- `idle_check` always has a timeout, and an empty answer that came back before it is
  taken for what it mostly is, a closed socket: IDLE is ended with DONE, whose answer
  (read with the connection's socket timeout) proves the link or raises;
- IDLE is re-issued every `renew_seconds`, well under RFC 2177's 29 minutes: the DONE
  round trip is the check a silent drop cannot pass;
- TCP keep-alive probes the link while IDLE sends nothing.
A lost connection is reopened with backoff (told once at WARNING, then at DEBUG); after a
reconnect `on_news` is called, for whatever arrived while no one was watching. A server
without IDLE, or one refusing the command, ends the watcher: the interval poll is then
the only check, as it always is the full one.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError
from inboxbot.io.imaperrors import clean, guard, server_answer
from inboxbot.io.imaplogin import connect

log = logging.getLogger(__name__)

# The untagged responses that mean "a mail came": EXISTS (the folder grew), RECENT.
NEWS = frozenset({b"EXISTS", b"RECENT"})
# A lost link: the socket, TLS, protocol (imaplib's abort) and imapclient's parser.
LOST = (FetchError, imaplib.IMAP4.abort, OSError, EOFError, ValueError)
# Linux TCP keep-alive: first probe after a minute of silence, 4 probes 15 s apart.
KEEPALIVE = (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4))


@dataclass(frozen=True, slots=True)
class IdleTiming:
    """How the watcher waits. `check_seconds` bounds one `idle_check`, so a stop is seen
    that soon (news comes back at once, whatever it is)."""

    renew_seconds: float = 10 * 60  # RFC 2177: re-issue at least every 29 minutes
    check_seconds: float = 1.0
    first_retry_seconds: float = 5.0
    max_retry_seconds: float = 5 * 60

    def retry_seconds(self, failures: int) -> float:
        return float(min(self.max_retry_seconds, self.first_retry_seconds * 2 ** min(failures - 1, 10)))


class IdleRefused(Exception):
    """The server has no IDLE, or refused it: watching is over, polling goes on."""


class IdleWatcher:
    """Watches `folder` in a thread of its own (`start`, `stop`); calls `on_news()` from
    that thread when mail arrives. `poll_seconds` only goes into the log lines."""

    def __init__(self, settings: ServerSettings, folder: str, on_news: Callable[[], None], *,
                 poll_seconds: int, timing: IdleTiming | None = None) -> None:
        self.settings = settings
        self.folder = folder
        self.on_news = on_news
        self.poll_seconds = poll_seconds
        self.timing = timing or IdleTiming()
        self.sessions = 0  # connections that reached IDLE, reconnects included
        self.refused: str | None = None  # why the server cannot IDLE, once known
        self.idling = threading.Event()  # set while an IDLE command is running
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: IMAPClient | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="inboxbot-idle", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Leave IDLE, log out and end the thread (within about `check_seconds`, or the
        socket timeout on a link that hangs)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.timeout + 2 * self.timing.check_seconds)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def connection(self) -> IMAPClient | None:
        """The connection in IDLE, if any: for diagnostics and tests that cut it."""
        return self._client

    # -- the thread ------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._session(failures)
                return  # stopped
            except IdleRefused as exc:
                self.refused = str(exc)
                log.warning("%s: новые письма — при опросе каждые %d с", exc, self.poll_seconds)
                return
            except LOST as exc:
                if self._stop.is_set():
                    return
                failures = 1 if self._proved else failures + 1
                delay = self.timing.retry_seconds(failures)
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "ожидание новых писем (IDLE) прервано: %s; переподключение через %.0f с, "
                        "пока — опрос каждые %d с", _text(self.settings, exc), delay, self.poll_seconds)
                self._stop.wait(delay)

    _proved = False  # the current session has shown its link works (a renewal or news)

    def _session(self, failures: int) -> None:
        self._proved = False
        with guard(self.settings, "подключении для IDLE"):
            client = connect(self.settings)
        try:
            if not client.has_capability("IDLE"):
                raise IdleRefused(f"IMAP-сервер {self.settings.host} не поддерживает IDLE")
            with guard(self.settings, "открытии папки для IDLE"):
                client.select_folder(self.folder, readonly=True)
            _keep_alive(client.socket())
            self._client = client
            self.sessions += 1
            if failures:
                log.info("ожидание новых писем (IDLE) восстановлено")
            if self.sessions > 1:
                self.on_news()  # mail may have come while no one was watching
            while not self._stop.is_set():
                self._idle_once(client)
        finally:
            self.idling.clear()
            self._client = None
            _close(client)

    def _idle_once(self, client: IMAPClient) -> None:
        """One IDLE command, until a stop, the renewal time or a suspected dead link."""
        try:
            client.idle()
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # a tagged NO/BAD: the server will not IDLE
            raise IdleRefused(f"IMAP-сервер {self.settings.host} отказал в IDLE ({server_answer(exc)})") from None
        self.idling.set()
        timing = self.timing
        deadline = time.monotonic() + timing.renew_seconds
        while not self._stop.is_set() and (now := time.monotonic()) < deadline:
            wait = min(timing.check_seconds, deadline - now)
            responses = client.idle_check(timeout=wait)
            if _has_news(responses):
                self._proved = True
                self.on_news()
            elif not responses and time.monotonic() - now < wait / 2:
                break  # readable, yet no line: imapclient swallowed an EOF; DONE tells
        self.idling.clear()
        _, responses = client.idle_done()  # raises on a dead link (socket timeout, EOF)
        self._proved = True
        if _has_news(responses):
            self.on_news()


def _has_news(responses: list[Any]) -> bool:
    return any(isinstance(r, tuple) and len(r) >= 2 and r[1] in NEWS for r in responses)


def _keep_alive(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in KEEPALIVE:
            if hasattr(socket, name):  # Linux; elsewhere the system's defaults
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


def _close(client: IMAPClient) -> None:
    """LOGOUT (never CLOSE: nothing is expunged, and the folder is read-only anyway), or
    just the socket when the link is gone."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


def _text(settings: ServerSettings, exc: BaseException) -> str:
    return clean(settings, str(exc) if isinstance(exc, FetchError) else f"{type(exc).__name__}: {exc}")
