"""A throwaway PostgreSQL of the tests' own (the shared store's backend)."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from servers_lifeline import lifeline

from inboxbot.tools.demo import free_port

START_TIMEOUT = 20  # seconds for pg_ctl to see the server up; a fixture limit, not a test assertion
POSTGRES_ROOT = Path(os.environ.get("POSTGRES_LIB", "/usr/lib/postgresql"))
# initdb and postgres refuse to run as root: as root, the server runs as this account.
POSTGRES_RUN_AS = os.environ.get("POSTGRES_TEST_RUN_AS", "postgres")


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/N/bin)."""
    found = [d / "bin" for d in POSTGRES_ROOT.glob("*") if (d / "bin" / "initdb").exists()]
    return max(found, key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0, default=None)


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot run here, or None."""
    if postgres_bin() is None:
        return f"PostgreSQL is not installed (no {POSTGRES_ROOT}/*/bin/initdb): apt-get install -y postgresql (or `make postgresql`)"
    return None


@dataclass
class Postgres:
    """A throwaway PostgreSQL of the tests' own: initdb in a temporary directory, the
    server on a free loopback port with its socket in that directory (no systemd, no
    system cluster touched), stopped and deleted at the end.

    Local (socket) connections are trusted; TCP ones, which the store uses, need the
    password, so the tests go through real credentials in the URL. fsync is off: a test
    server's data is thrown away, and durability is PostgreSQL's, not under test here."""

    dir: Path
    bin: Path
    port: int = 0
    user: str = "inboxbot"
    password: str = field(default_factory=lambda: "pg-" + secrets.token_hex(6), repr=False)
    _databases: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[Postgres]:
        binary = postgres_bin()
        if binary is None:
            raise RuntimeError(postgres_missing())
        server = cls(Path(tempfile.mkdtemp(prefix="inboxbot-postgres-")), binary)

        def stop_and_remove() -> None:
            try:
                server.stop()
            finally:
                shutil.rmtree(server.dir, ignore_errors=True)

        with lifeline(stop_and_remove) as line:
            line.remove(server.dir)
            # pg_ctl's postmaster is nobody's child: its pid file is how the watchdog finds it.
            # SIGQUIT is `pg_ctl stop -m immediate`: the postmaster takes its backends with it.
            line.watch_pidfile(server.dir / "data" / "postmaster.pid", signal.SIGQUIT)
            server._initdb()
            for attempt in range(5):  # a port picked free can be taken before the server binds it
                server.port = free_port()
                try:
                    server._start()
                    break
                except subprocess.CalledProcessError:
                    if attempt == 4 or "in use" not in server.log():
                        raise RuntimeError(f"PostgreSQL did not start:\n{server.log()[-3000:]}") from None
            yield server

    def _initdb(self) -> None:
        if os.geteuid() == 0:
            import pwd

            account = pwd.getpwnam(POSTGRES_RUN_AS)
            os.chown(self.dir, account.pw_uid, account.pw_gid)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", self.user, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        as_root = os.geteuid() == 0
        subprocess.run([str(self.bin / tool), *args], check=True, capture_output=True, cwd=self.dir,
                       user=POSTGRES_RUN_AS if as_root else None, group=None)

    def _start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w",
                  "-t", str(int(START_TIMEOUT)), "-o", options, "start")

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def log(self) -> str:
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        """The store's URL of `database`, credentials included, as INBOXBOT_STORE holds it."""
        return f"postgresql://{self.user}:{self.password if password is None else password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its name."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._databases)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}".encode())
        return name


