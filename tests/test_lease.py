"""The mailbox lease of one process (run/lease.py) over a real store in memory, with the
process's monotonic clock in the test's hands."""

from __future__ import annotations

import logging

import pytest

from inboxbot.errors import StoreError
from inboxbot.run.lease import Lease
from inboxbot.store.memory_leases import MemoryLeases


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Unreachable(MemoryLeases):
    """The store out of reach after `down` is set."""

    down = False

    def take(self, name: str, holder: str, seconds: float, *, taking_over: str | None = None) -> bool:
        if self.down:
            raise StoreError("база PostgreSQL недоступна")
        return super().take(name, holder, seconds, taking_over=taking_over)


def running(pid: int) -> bool:
    return True  # both processes of the test are alive


def test_one_process_holds_a_mailbox_and_is_told_once_when_it_takes_it() -> None:
    leases, clock, taken = MemoryLeases(), Clock(), []
    first = Lease(leases, "sales", "w1", 30, on_taken=lambda: taken.append("w1"), clock=clock, pid=100,
                  alive=running)
    second = Lease(leases, "sales", "w1", 30, on_taken=lambda: taken.append("w1 again"), clock=clock, pid=200,
                   alive=running)
    assert first.renew() and first.renew() and first.holds()
    assert not second.renew() and not second.holds()  # the same worker id, another process: a standby
    assert taken == ["w1"]
    first.stop()  # a clean stop gives it up
    assert not first.holds() and second.renew() and taken == ["w1", "w1 again"]


def test_a_restart_takes_its_dead_predecessors_lease_at_once_and_nobody_elses() -> None:
    leases, clock, gone = MemoryLeases(), Clock(), {100}

    def alive(pid: int) -> bool:
        return pid not in gone

    killed = Lease(leases, "sales", "w1", 3600, clock=clock, pid=100, alive=alive)
    assert killed.renew()  # then kill -9: nothing gives the lease up
    other_machine = Lease(leases, "sales", "w2", 3600, clock=clock, pid=200, alive=alive)
    assert not other_machine.renew()  # another worker id: it waits for the hour to lapse
    restarted = Lease(leases, "sales", "w1", 3600, clock=clock, pid=300, alive=alive)
    assert restarted.renew() and restarted.holds() and leases.holder("sales") == restarted.holder
    twin = Lease(leases, "sales", "w1", 3600, clock=clock, pid=400, alive=alive)
    assert not twin.renew()  # a second `run` of the same unit: the restarted one is alive
    assert restarted.renew()


def test_a_holder_that_cannot_renew_stops_holding_when_its_time_is_up() -> None:
    leases, clock = Unreachable(), Clock()
    lease = Lease(leases, "sales", "w1", 30, clock=clock)
    assert lease.renew()
    leases.down = True
    clock.now += 29
    assert lease.renew() and lease.holds()  # not renewed, still its time
    clock.now += 1.5
    assert not lease.renew() and not lease.holds()  # a standby may have it by now: this one stops
    leases.down = False
    assert lease.renew()  # nobody took it meanwhile: back


def test_a_standby_says_so_at_the_default_log_level(caplog: pytest.LogCaptureFixture) -> None:
    """A second `run` started on the same journal by mistake must not sit silent."""
    leases, clock = MemoryLeases(), Clock()
    holder = Lease(leases, "sales", "w1", 30, clock=clock, pid=100, alive=running)
    assert holder.renew()
    standby = Lease(leases, "sales", "w1", 30, clock=clock, pid=200, alive=running)
    with caplog.at_level(logging.WARNING, logger="inboxbot.run.lease"):
        standby.start()
    standby.stop()
    assert [r.levelno for r in caplog.records if "ждёт в резерве" in r.getMessage()] == [logging.WARNING]
