"""The mailbox lease of one process (run/lease.py) over a real store in memory, with the
process's monotonic clock in the test's hands."""

from __future__ import annotations

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

    def take(self, name: str, holder: str, seconds: float) -> bool:
        if self.down:
            raise StoreError("база PostgreSQL недоступна")
        return super().take(name, holder, seconds)


def test_one_process_holds_a_mailbox_and_is_told_once_when_it_takes_it() -> None:
    leases, clock, taken = MemoryLeases(), Clock(), []
    first = Lease(leases, "sales", "w1", 30, on_taken=lambda: taken.append("w1"), clock=clock)
    second = Lease(leases, "sales", "w1", 30, on_taken=lambda: taken.append("w1 again"), clock=clock)
    assert first.renew() and first.renew() and first.holds()
    assert not second.renew() and not second.holds()  # the same worker id, another process: a standby
    assert taken == ["w1"]
    first.stop()  # a clean stop gives it up
    assert not first.holds() and second.renew() and taken == ["w1", "w1 again"]


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
