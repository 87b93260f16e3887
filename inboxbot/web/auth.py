"""Who is logging in: a manager of rules.toml, by their address, checked against a local
password (passwords.py) or the company's IMAP server (the same accounts the managers
read their mail with: a LOGIN over TLS as the worker's own connection is configured);
and the throttle that refuses an address or a client IP after too many failures."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError
from inboxbot.rules.model import Manager
from inboxbot.web.passwords import PasswordFile

log = logging.getLogger(__name__)


MAX_KEYS = 10_000


class Throttle:
    """Failed attempts per key (an address, an IP) within a sliding window; a key with
    `limit` failures in the window is refused until the oldest of them leaves it."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit, self.window = limit, window
        self.lock = threading.Lock()
        self.failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self.failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked_until(self, keys: tuple[str, ...], now: datetime) -> datetime | None:
        """When the first of `keys` that is refused may try again; None when none is."""
        with self.lock:
            ends = [t[0] + self.window for t in (self._recent(k, now) for k in keys) if len(t) >= self.limit]
        return max(ends) if ends else None

    def fail(self, keys: tuple[str, ...], now: datetime) -> None:
        with self.lock:
            if len(self.failures) > MAX_KEYS:  # a flood of made-up addresses must not fill the memory
                for stale in [k for k in self.failures if not self._recent(k, now)]:
                    del self.failures[stale]
            for key in keys:
                self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A login's outcome: the manager (None: refused), how it was checked, and why not."""

    manager: Manager | None
    how: str = ""  # "local" | "imap"
    problem: str = ""  # Russian, for the login page (the IMAP server down, …)


WRONG = "Неверный адрес или пароль."


class Authenticator:
    def __init__(self, ways: tuple[str, ...], passwords: PasswordFile, imap: ServerSettings | None) -> None:
        self.ways, self.passwords, self.imap = ways, passwords, imap

    def check(self, managers: Mapping[str, Manager], address: str, password: str) -> Verdict:
        """The manager whose address is `address`, when `password` is theirs: locally
        first (where they have a local password), else at the IMAP server."""
        address = address.strip().lower()
        manager = next((m for m in managers.values() if m.email.lower() == address), None)
        if manager is None or not password:
            self.passwords.verify(address, password)  # the same time as a real check
            return Verdict(None, problem=WRONG)
        if "local" in self.ways and self.passwords.has(address):
            return Verdict(manager, "local") if self.passwords.verify(address, password) else Verdict(None, problem=WRONG)
        if "imap" in self.ways and self.imap is not None:
            return self._imap(manager, address, password)
        return Verdict(None, problem=WRONG)

    def _imap(self, manager: Manager, address: str, password: str) -> Verdict:
        from inboxbot.io.imaplogin import connect

        assert self.imap is not None
        server = dataclasses.replace(self.imap, user=address, password=password, timeout=15.0)
        try:
            client = connect(server)
        except FetchError:
            return Verdict(None, problem=WRONG)
        except OSError as exc:
            log.warning("вход в веб-страницы: IMAP-сервер %s недоступен: %s", server.host, exc)
            return Verdict(None, problem=f"Почтовый сервер {server.host} не отвечает, вход по паролю почты "
                                         f"сейчас невозможен. Попробуйте позже.")  # fmt: skip
        try:
            client.logout()
        except Exception as exc:  # the login succeeded; a failed goodbye changes nothing
            log.debug("IMAP logout after a web login: %s", exc)
        return Verdict(manager, "imap")
