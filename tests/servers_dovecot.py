"""A throwaway Dovecot of the tests' own (IMAP on loopback): what protocol code meets in production."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers_dovecot_conf import DovecotOptions, Identity, dovecot_conf, owner_rights, self_signed_cert, users_file
from servers_lifeline import lifeline

from inboxbot.config import ServerSettings
from inboxbot.tools.demo import free_port

DOVECOT_BIN = Path(os.environ.get("DOVECOT_BIN", "/usr/sbin/dovecot"))
START_TIMEOUT = 20.0  # seconds for a greeting; a fixture limit, not a test assertion

POOL_SIZE = 100
_accounts = itertools.count(1)


def _new_account() -> tuple[str, str]:
    return f"t{os.getpid()}-{next(_accounts)}@example.test", "pw-" + secrets.token_hex(6)


def dovecot_missing() -> str | None:
    """Why Dovecot cannot run here, or None."""
    if not (DOVECOT_BIN.exists() or shutil.which("dovecot")):
        return "dovecot is not installed: apt-get install -y dovecot-imapd (or `make dovecot`)"
    return None


def _greeting(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        return sock.recv(64).startswith(b"* OK")
    return False


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        return True
    return False


@dataclass
class Dovecot:
    """A throwaway Dovecot of the tests' own: a generated dovecot.conf in a temporary
    directory, `dovecot -F` as a child process (in its own process group, so a stop takes
    all its processes and nothing else). Users are added while it runs: its passwd-file
    is re-read whenever it changes, so every test can have a fresh, empty account."""

    dir: Path
    host: str
    port: int
    user: str
    password: str
    imaps_port: int | None = None
    _pool: list[tuple[str, str]] = field(default_factory=list, repr=False)
    unicode_account: tuple[str, str] = ("", "")  # (user, password) with a non-ASCII password
    options: DovecotOptions = field(default_factory=DovecotOptions)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    @contextlib.contextmanager
    def running(cls, *, tls: bool = False, **options: Any) -> Iterator[Dovecot]:
        """Start one; `options` are DovecotOptions fields (prefix, separator, keywords…)."""
        missing = dovecot_missing()
        if missing:
            raise RuntimeError(missing)
        opts = DovecotOptions(tls=tls, **options)
        # Not pytest's tmp_path: as root the services run as `nobody`, which must be able
        # to traverse every parent directory; mkdtemp under /tmp works.
        directory = Path(tempfile.mkdtemp(prefix="inboxbot-dovecot-"))
        server = cls(directory, "127.0.0.1", 0, "sales@example.test", "s3cret-" + secrets.token_hex(4),
                     free_port() if tls else None, options=opts)
        server._pool = [_new_account() for _ in range(POOL_SIZE)]
        server.unicode_account = ("unicode@example.test", "пароль-Ё-" + secrets.token_hex(4))

        def stop_and_remove() -> None:
            try:
                server.stop()
            finally:
                shutil.rmtree(directory, ignore_errors=True)

        with lifeline(stop_and_remove) as line:
            line.remove(directory)
            # The master's pid file names the process group (its own session) of every run.
            line.watch_pidfile(directory / "run" / "master.pid", signal.SIGKILL)
            server._prepare([(server.user, server.password), *server._pool, server.unicode_account])
            server._start_on_a_free_port()
            yield server

    def _prepare(self, accounts: list[tuple[str, str]]) -> None:
        who = Identity.current()
        for sub in ("mail", "run", "state"):
            (self.dir / sub).mkdir(exist_ok=True)
        self._write_users(users_file(accounts))
        if self.options.tls:
            self_signed_cert(self.dir)
        if os.geteuid() == 0:
            self.dir.chmod(0o711)  # `nobody` must reach mail/ and the passwd-file
            for sub in ("mail", "state"):
                os.chown(self.dir / sub, who.uid, who.gid)
        (self.dir / "global-acl").write_text(f"* owner {owner_rights(self.options)}\n")
        (self.dir / "global-acl").chmod(0o644)

    def _start_on_a_free_port(self) -> None:
        for attempt in range(5):  # a port picked free can be taken before Dovecot binds it
            self.port = free_port()
            try:
                self.start()
                return
            except RuntimeError:
                if attempt == 4 or "in use" not in self.log():
                    raise

    def _write_users(self, text: str) -> None:
        users = self.dir / "users"
        tmp = users.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o644)
        os.replace(tmp, users)  # atomic: the auth process never reads half a file

    def log(self) -> str:
        """Dovecot's log and stderr so far (for failure messages)."""
        return "".join(p.read_text(errors="replace") for p in (self.dir / "dovecot.log", self.dir / "dovecot.stderr")
                       if p.exists())

    def start(self) -> None:
        """Start the server (again, after `stop`): same port, same accounts, same mail."""
        conf = self.dir / "dovecot.conf"
        conf.write_text(dovecot_conf(self.dir, self.port, self.imaps_port or 0, Identity.current(), self.options))
        with contextlib.suppress(FileNotFoundError):
            (self.dir / "run" / "master.pid").unlink()  # left by a killed master
        binary = str(DOVECOT_BIN) if DOVECOT_BIN.exists() else shutil.which("dovecot") or "dovecot"
        with (self.dir / "dovecot.stderr").open("ab") as stderr:
            self._proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdin=subprocess.DEVNULL,
                                          stdout=stderr, stderr=stderr, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if _greeting(self.port) and (not self.imaps_port or _listening(self.imaps_port)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not start on 127.0.0.1:{self.port}:\n{self.log()[-3000:]}")

    def stop(self, *, fast: bool = True) -> None:
        """Stop the server, keeping its mail (fast: SIGKILL to all its processes, as in a
        crash; else a clean shutdown). Connected clients lose their connection; new ones
        are refused."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        if fast:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # its own group: the master and its children
            proc.wait()
        else:
            proc.terminate()
            try:
                proc.wait(timeout=START_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # A killed master leaves its pid file: the watchdog must not signal the pid once reused.
        with contextlib.suppress(FileNotFoundError):
            (self.dir / "run" / "master.pid").unlink()

    @property
    def pid(self) -> int:
        """The master's pid, which is also its process group's: every Dovecot process of this server."""
        assert self._proc is not None, "Dovecot is not running"
        return self._proc.pid

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
            self._write_users((self.dir / "users").read_text() + users_file(self._pool))
            time.sleep(1.1)
        return self._pool.pop(0)

