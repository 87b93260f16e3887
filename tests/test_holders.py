"""The holder of a claim or a lease (run/holders.py): one parser for both forms, and the
rule of a restart's takeover — only this worker's own dead earlier process, at once."""

from __future__ import annotations

import os
import subprocess
import sys

from inboxbot.run.holders import Holder, parse_holder, pid_alive, takes_over


def test_a_claims_holder_is_the_worker_id_and_the_pid_after_its_last_separator() -> None:
    assert parse_holder("sales-1#4242") == Holder("sales-1", 4242)
    assert parse_holder("dept#2#17") == Holder("dept#2", 17)  # a worker id may hold the separator
    assert parse_holder("sales-1") == Holder("sales-1", None)  # a claim of an older version: no process
    assert parse_holder("sales#x1") == Holder("sales#x1", None)
    assert parse_holder("sales#١٢") == Holder("sales#١٢", None)  # Arabic-Indic digits are no pid
    assert str(Holder("dept#2", 17)) == "dept#2#17" and parse_holder(str(Holder("h", 5))) == Holder("h", 5)


def test_a_leases_holder_has_the_start_of_the_process_after_the_pid() -> None:
    assert parse_holder("sales-1#4242-0a1b2c3d") == Holder("sales-1", 4242, "0a1b2c3d")
    assert parse_holder("a-b#c#17-ff") == Holder("a-b#c", 17, "ff")  # dashes and separators in the worker id
    assert str(Holder("dept#2", 17, "ab12")) == "dept#2#17-ab12"
    assert parse_holder(str(Holder("h", 5, "x9"))) == Holder("h", 5, "x9")
    assert parse_holder("sales#17-") == Holder("sales#17-", None)  # no start after the dash: no pid either
    assert parse_holder("sales#17-a b") == Holder("sales#17-a b", None)
    assert parse_holder("sales#-ab") == Holder("sales#-ab", None)


def test_only_this_workers_dead_earlier_incarnation_is_taken_over() -> None:
    me = Holder("sales-1", 300)
    dead, alive = (lambda pid: False), (lambda pid: True)
    assert takes_over("sales-1#200", me, dead)  # killed, restarted: at once
    assert not takes_over("sales-1#200", me, alive)  # `run --once` beside a serving `run`
    assert not takes_over("sales-2#200", me, dead)  # another machine's: its pid means nothing here
    assert not takes_over("sales-1", me, dead)  # a pre-upgrade claim: no process to check, it lapses
    assert not takes_over("sales-1#300", me, dead)  # this process's own claim: the store renews it
    checked: list[int] = []
    takes_over("sales-1#200", me, lambda pid: checked.append(pid) or True)
    assert checked == [200]


def test_a_lease_is_taken_over_from_a_dead_start_of_this_worker_even_under_this_pid() -> None:
    me = Holder("sales-1", 300, "new1")
    dead, alive = (lambda pid: False), (lambda pid: True)
    assert takes_over("sales-1#200-old1", me, dead)  # a kill -9, systemd started it again
    assert not takes_over("sales-1#200-old1", me, alive)  # a second `run` of the same unit, alive
    assert not takes_over("sales-2#200-old1", me, dead)  # another machine's lease lapses first
    assert not takes_over("sales-1#300-new1", me, dead)  # its own: a renewal
    # The same pid, another start: a container restarted gives its one process the same pid;
    # that pid is this process now, so the earlier start is gone, whatever `alive` says.
    assert takes_over("sales-1#300-old1", me, alive)


def test_a_process_is_alive_until_it_exits_even_before_its_parent_reaps_it() -> None:
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE)
    assert pid_alive(child.pid)
    assert child.stdin is not None
    child.stdin.close()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)
