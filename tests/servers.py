"""Real servers on loopback for the tests: Dovecot (IMAP), aiosmtpd (SMTP), pymap (IMAP).

No mocks: protocol code is tested against what it will meet in production (Dovecot)
and against the odd one out (pymap, which drops custom keywords).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from inboxbot.config import ServerSettings
from inboxbot.demo import free_port, pymap_server, wait_for_port

DOVECOT_SCRIPT = Path(__file__).resolve().parents[2] / "shared/tools/dovecot-test-server"
DOVECOT_BIN = Path(os.environ.get("DOVECOT_BIN", "/usr/sbin/dovecot"))


POOL_SIZE = 100
_accounts = itertools.count(1)


def _new_account() -> tuple[str, str]:
    return f"t{os.getpid()}-{next(_accounts)}@example.test", "pw-" + secrets.token_hex(6)


def dovecot_missing() -> str | None:
    """Why Dovecot cannot run here, or None."""
    if not DOVECOT_SCRIPT.exists():
        return f"{DOVECOT_SCRIPT} not found"
    if not (DOVECOT_BIN.exists() or shutil.which("dovecot")):
        return "dovecot is not installed: apt-get install -y dovecot-imapd (or `make dovecot`)"
    return None


@dataclass
class Dovecot:
    """A throwaway Dovecot. Users are added while it runs: its passwd-file is re-read
    whenever it changes, so every test can have a fresh, empty account."""

    dir: Path
    host: str
    port: int
    user: str
    password: str
    imaps_port: int | None = None
    _pool: list[tuple[str, str]] = field(default_factory=list, repr=False)
    unicode_account: tuple[str, str] = ("", "")  # (user, password) with a non-ASCII password
    _env: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    @contextlib.contextmanager
    def running(cls, *, tls: bool = False) -> Iterator[Dovecot]:
        missing = dovecot_missing()
        if missing:
            raise RuntimeError(missing)
        # Not pytest's tmp_path: as root the script drops to `nobody`, which must be able
        # to traverse every parent directory; mkdtemp under /tmp works.
        directory = Path(tempfile.mkdtemp(prefix="inboxbot-dovecot-"))
        user, password = "sales@example.test", "s3cret-" + secrets.token_hex(4)
        env = dict(os.environ)
        imaps_port = None
        if tls:
            imaps_port = free_port()
            env.update(DOVECOT_TEST_TLS="1", DOVECOT_TEST_IMAPS_PORT=str(imaps_port))
        # Dovecot delays a failed login by 2 s and, through anvil, every later login from
        # the same IP by up to 15 s; tests of wrong passwords must not slow the rest down.
        extra = directory / "extra.conf"
        extra.write_text(
            "auth_failure_delay = 0\n"
            "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n"
        )
        env["DOVECOT_TEST_EXTRA_CONF"] = str(extra)
        pool = [_new_account() for _ in range(POOL_SIZE)]
        unicode_account = ("unicode@example.test", "пароль-Ё-" + secrets.token_hex(4))
        proc = subprocess.run(
            [str(DOVECOT_SCRIPT), "start", str(directory), "auto", f"{user}:{password}",
             *(f"{u}:{p}" for u, p in [*pool, unicode_account])],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot-test-server failed:\n{proc.stdout}\n{proc.stderr}")
        fields = dict(part.split("=", 1) for part in proc.stdout.split())
        server = cls(directory, "127.0.0.1", int(fields["DOVECOT_PORT"]), user, password, imaps_port)
        server._pool = pool
        server.unicode_account = unicode_account
        server._env = env
        try:
            if imaps_port:
                wait_for_port(imaps_port)
            yield server
        finally:
            subprocess.run([str(DOVECOT_SCRIPT), "stop", str(directory), "--fast"], capture_output=True, timeout=60, check=False)
            shutil.rmtree(directory, ignore_errors=True)

    def stop(self, *, fast: bool = True) -> None:
        """Stop the server, keeping its mail (fast: SIGKILL, as in a crash; else a clean
        shutdown). Connected clients lose their connection; new ones are refused."""
        args = [str(DOVECOT_SCRIPT), "stop", str(self.dir), *(["--fast"] if fast else [])]
        subprocess.run(args, capture_output=True, timeout=60, check=True)

    def start(self) -> None:
        """Start a stopped server again: same port, same accounts, same mail."""
        users = [line.split(":", 1)[0] + ":" + line.split(":", 2)[1].removeprefix("{PLAIN}")
                 for line in (self.dir / "users").read_text().splitlines() if line]
        proc = subprocess.run([str(DOVECOT_SCRIPT), "start", str(self.dir), str(self.port), *users],
                              capture_output=True, text=True, env=self._env, timeout=60, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot-test-server did not restart:\n{proc.stdout}\n{proc.stderr}")

    @property
    def cert_file(self) -> Path:
        """The self-signed certificate (CN=localhost, SAN 127.0.0.1) when started with tls."""
        return self.dir / "tls" / "cert.pem"

    def settings(self, tls: str = "none", *, user: str | None = None, password: str | None = None,
                 **kwargs: Any) -> ServerSettings:
        port = self.imaps_port if tls == "ssl" and self.imaps_port else self.port
        return ServerSettings(
            host=self.host, port=port, tls=tls, user=user or self.user,
            password=self.password if password is None else password, timeout=10.0, **kwargs,
        )

    def new_user(self) -> tuple[str, str]:
        """A fresh account with an empty INBOX; returns (user, password).

        Accounts come from a pool created at start: Dovecot re-reads its passwd-file at
        most once a second, so a user added on the fly may be refused for up to a second."""
        if not self._pool:
            self._pool = [_new_account() for _ in range(POOL_SIZE)]
            users = self.dir / "users"
            text = users.read_text() + "".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self._pool)
            tmp = users.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.chmod(0o644)
            os.replace(tmp, users)  # atomic: the auth process never reads half a file
            time.sleep(1.1)
        return self._pool.pop(0)


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


class TcpProxy:
    """A loopback TCP relay to `target_port` whose connections a test can cut: the
    network failures a real server rarely produces on demand (a reset in the middle of
    a FETCH response, a connection lost around a STORE).

    `client_hook(data)` sees each chunk the client sends, `server_hook(data)` each chunk
    the server answers, before it is passed on. A hook returns the bytes to pass on and
    whether to cut the connection afterwards (both directions, like a dropped link);
    it may also act on the world first (delete a message, stop the server)."""

    Hook = Any  # Callable[[bytes], tuple[bytes, bool]]

    def __init__(self, target_port: int, *, client_hook: Hook = None, server_hook: Hook = None) -> None:
        import threading

        self.target_port = target_port
        self.client_hook = client_hook
        self.server_hook = server_hook
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            pair = (client, server)
            threading.Thread(target=self._pump, args=(client, server, "client", pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "server", pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, side: str, pair: tuple[socket.socket, ...]) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            hook = self.client_hook if side == "client" else self.server_hook
            cut = False
            if hook is not None:
                data, cut = hook(data)
            try:
                if data:
                    dst.sendall(data)
            except OSError:
                break
            if cut:
                self.cuts += 1
                break
        for sock in pair:  # one side gone: the link is gone
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
