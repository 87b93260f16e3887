"""The servers a test run starts go away with it, however it ends (tests/servers_lifeline.py).

Each test runs a pytest of its own over a test that takes the Dovecot, PostgreSQL and
pymap fixtures and waits, kills that pytest as a user or a tool would (Ctrl+C, `timeout`'s
SIGTERM, SIGKILL), then looks for what is left: any process of the run's servers, the
watchdogs, their temporary directories.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.servers

TESTS = Path(__file__).parent
GONE_WITHIN = 60.0  # seconds the watchdogs have after a SIGKILL; a limit, not an assertion on speed

HOLDING_TEST = '''
import json, os, time
from pathlib import Path


def test_hold(dovecot, postgres, pymap_server):
    pids = [int((dovecot.dir / "run" / "master.pid").read_text()),
            int((postgres.dir / "data" / "postmaster.pid").read_text().split()[0])]
    held = Path(os.environ["HELD"])
    held.with_suffix(".tmp").write_text(json.dumps({"dirs": [str(dovecot.dir), str(postgres.dir)], "pids": pids}))
    held.with_suffix(".tmp").rename(held)
    while True:  # until killed from outside
        time.sleep(0.05)
'''


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a process, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[1]), fields[0].decode(), int(fields[19])


def _processes() -> dict[int, tuple[int, str, int]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def _tree(roots: list[int]) -> set[tuple[int, int]]:
    """(pid, start time) of `roots` and all their descendants, zombies left out."""
    processes = _processes()
    tree, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in processes and processes[pid][1] != "Z" and (pid, processes[pid][2]) not in tree:
            tree.add((pid, processes[pid][2]))
            todo += [child for child, (parent, _, _) in processes.items() if parent == pid]
    return tree


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _still_there(tree: set[tuple[int, int]], dirs: list[str]) -> list[str]:
    """What is left of a run: its processes (the same pid and start time, not a zombie),
    any process naming one of its directories, the directories themselves."""
    left = []
    for pid, (_, state, start) in _processes().items():
        if state == "Z":
            continue
        if (pid, start) in tree or any(d in _cmdline(pid) for d in dirs):
            left.append(f"process {pid}")
    return left + [f"directory {d}" for d in dirs if Path(d).exists()]


@contextlib.contextmanager
def _holding_servers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, list[Any]]]]:
    """A pytest of its own holding a Dovecot, a PostgreSQL and a pymap, and what it says of them."""
    (tmp_path / "test_hold.py").write_text(HOLDING_TEST)
    held, output = tmp_path / "held.json", tmp_path / "output.txt"
    env = {**os.environ, "HELD": str(held), "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    with output.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                                 "--rootdir", str(tmp_path), str(tmp_path / "test_hold.py")],
                                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    try:
        while not held.exists():
            if proc.poll() is not None:
                pytest.fail(f"the holding pytest ended ({proc.returncode}) before its servers were up:\n"
                            + output.read_text(errors="replace"))
            time.sleep(0.05)
        yield proc, json.loads(held.read_text())
    finally:
        if proc.poll() is None:  # a failed assertion before the kill: not one more run left behind
            proc.terminate()
            proc.wait()


def _wait_gone(tree: set[tuple[int, int]], dirs: list[str]) -> list[str]:
    """What is left of a run once the processes that end on their own have had their time."""
    deadline = time.monotonic() + GONE_WITHIN
    while (left := _still_there(tree, dirs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _on_their_own(tree: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The processes that see pytest's end through a pipe: the watchdogs, pymap."""
    return {(pid, start) for pid, start in tree if "servers_watchdog.py" in _cmdline(pid) or "pymap" in _cmdline(pid)}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_stops_its_servers_before_it_exits(tmp_path: Path, signum: int) -> None:
    with _holding_servers(tmp_path) as (proc, held):
        tree = _tree([proc.pid, *held["pids"]])
        on_their_own = _on_their_own(tree)
        proc.send_signal(signum)
        code = proc.wait()
    # The signal handlers stopped Dovecot and PostgreSQL before pytest went: nothing to wait for.
    assert _still_there(tree - on_their_own, held["dirs"]) == []
    assert _wait_gone(tree, held["dirs"]) == []
    assert len(tree - on_their_own) > 5, tree  # pytest, Dovecot's master and services, the postmaster
    assert len(on_their_own) == 3, tree  # a watchdog for Dovecot, one for PostgreSQL; pymap
    # Ctrl+C: pytest's «interrupted» exit; SIGTERM: death by the signal, as without the handlers.
    assert code == (pytest.ExitCode.INTERRUPTED if signum == signal.SIGINT else -signal.SIGTERM)


def test_a_killed_run_leaves_its_servers_to_the_watchdogs(tmp_path: Path) -> None:
    with _holding_servers(tmp_path) as (proc, held):
        tree = _tree([proc.pid, *held["pids"]])
        on_their_own = _on_their_own(tree)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    # The watchdogs are in `tree`: it is empty once they have stopped the servers and exited.
    assert _wait_gone(tree, held["dirs"]) == []
    assert len(tree) > 5 and len(on_their_own) == 3, tree
