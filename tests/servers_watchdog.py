"""The watchdog of one test server: a process of its own that outlives a killed pytest.

Started by servers_lifeline.py in a session of its own (a Ctrl+C in the terminal does not
reach it) with the read end of a pipe whose only write end pytest holds. It reads orders,
one per line:

  pidfile SIGNUM PATH   the server whose pid PATH holds when pytest goes (read then, so a
                        server stopped and started again is followed)
  rmtree PATH           the server's temporary directory
  done                  pytest stopped the server itself: nothing left to do

The end of the pipe without `done` means pytest is gone, whatever killed it (SIGKILL
included: the kernel closes a dead process's pipes). Then every watched process gets its
signal, its process group SIGKILL once it is gone (a Dovecot master's children), and the
directories are deleted. Standard library only: it runs before anything is imported.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time

GRACE = 10.0  # seconds a server has to exit on its signal before its group gets SIGKILL


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not: nothing of it is left but its exit code)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _read_pid(path: str) -> int | None:
    with contextlib.suppress(OSError, ValueError), open(path) as pidfile:
        return int(pidfile.readline())
    return None


def _end(pid: int, signum: int) -> None:
    """`signum` to `pid`, then SIGKILL to its process group once it is gone or late."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
    deadline = time.monotonic() + GRACE
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _clean(orders: list[tuple[str, str, str]]) -> None:
    for kind, signum, target in reversed(orders):  # the last started first, as contexts unwind
        pid = _read_pid(target) if kind == "pidfile" else None
        if pid is not None and pid > 1 and _alive(pid):
            _end(pid, int(signum))
    for kind, _, target in orders:
        if kind == "rmtree":
            shutil.rmtree(target, ignore_errors=True)


def main(fd: int) -> None:
    orders: list[tuple[str, str, str]] = []
    with os.fdopen(fd, "rb") as pipe:
        for raw in pipe:
            line = raw.decode().rstrip("\n")
            if line == "done":
                return
            if line.startswith("rmtree "):
                orders.append(("rmtree", "0", line.removeprefix("rmtree ")))
            else:
                kind, signum, target = line.split(" ", 2)
                orders.append((kind, signum, target))
    _clean(orders)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its work starts when pytest's ends
    main(int(sys.argv[1]))
