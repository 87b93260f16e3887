"""What makes the tests' servers go away with the test process, however it ends.

Dovecot and PostgreSQL run in sessions of their own (a Ctrl+C in the terminal must not
reach them mid-test) and PostgreSQL is not even pytest's child: without this, a pytest
interrupted, stopped by `timeout` or killed leaves them running and their temporary
directories behind, for ever. Three nets, each for what the one before cannot catch:

* the `with` block: a normal end, an exception, pytest's own teardown after a Ctrl+C;
* atexit and SIGINT/SIGTERM handlers: the server is stopped before the process dies, then
  the signal goes on as it would have (KeyboardInterrupt, or death by SIGTERM);
* a watchdog process (servers_watchdog.py) that notices the end of pytest through a pipe
  and stops the server itself: SIGKILL, a crash of the interpreter, os._exit.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

WATCHDOG = Path(__file__).with_name("servers_watchdog.py")
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_stops: dict[int, Callable[[], None]] = {}
_tokens = itertools.count(1)
_previous: dict[int, Any] = {}


def _stop_all() -> None:
    while _stops:
        _, stop = _stops.popitem()  # the last started first, as `with` blocks unwind
        try:
            stop()
        except Exception:  # one server's failure must not keep the others running
            traceback.print_exc()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _stop_all()
    previous = _previous[signum]
    if callable(previous):
        previous(signum, frame)  # SIGINT: Python's KeyboardInterrupt, so pytest reports the interruption
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of the signal as before: the exit status says so


def _install_handlers() -> None:
    if _previous or threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        _previous[signum] = signal.getsignal(signum)
        signal.signal(signum, _on_signal)
    atexit.register(_stop_all)


class Lifeline:
    """One server's watchdog: orders are written to it as the server comes up."""

    def __init__(self) -> None:
        read, self._pipe = os.pipe()  # not inheritable: the servers must not hold pytest's end
        self._watchdog = subprocess.Popen([sys.executable, str(WATCHDOG), str(read)], pass_fds=(read,),
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(read)

    def _order(self, line: str) -> None:
        if "\n" in line:
            raise ValueError(f"a watchdog order is one line: {line!r}")
        os.write(self._pipe, (line + "\n").encode())

    def watch_pidfile(self, path: Path, signum: int) -> None:
        """If pytest dies: `signum` to the pid `path` holds at that moment, then SIGKILL to its group."""
        self._order(f"pidfile {int(signum)} {path}")

    def remove(self, directory: Path) -> None:
        """If pytest dies: delete `directory` once the watched processes are gone."""
        self._order(f"rmtree {directory}")

    def release(self) -> None:
        """The server is stopped and its directory deleted: the watchdog exits doing nothing."""
        with contextlib.suppress(BrokenPipeError):
            self._order("done")
        os.close(self._pipe)
        self._watchdog.wait()


@contextlib.contextmanager
def lifeline(stop: Callable[[], None]) -> Iterator[Lifeline]:
    """Run `stop` (idempotent: stop the server, delete its directory) when the block ends,
    at exit or on SIGINT/SIGTERM, whichever comes first; the watchdog yielded does the
    same if pytest is killed."""
    _install_handlers()
    line = Lifeline()
    token = next(_tokens)
    _stops[token] = stop
    try:
        yield line
    finally:
        try:
            pending = _stops.pop(token, None)  # None: a signal handler has stopped it already
            if pending is not None:
                pending()
        finally:
            line.release()
