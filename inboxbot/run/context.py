"""What every part of a poll shares: settings, the rules in force and their templates,
the journal, the clock and the stop signal; the rules with the days away the head
reported by mail («сегодня нет: Петров», kept in store.presence, not in rules.toml)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.templates import Templates
from inboxbot.config import Settings
from inboxbot.mail.message import Address
from inboxbot.model.presence import in_force
from inboxbot.rules.model import Absence, Manager, Rules
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.interfaces import Store


@dataclass(slots=True)
class RunContext:
    """Mutable on purpose: a rules reload swaps the templates for every part at once."""

    settings: Settings
    holder: RulesHolder
    store: Store
    # The time of day matters to follow-ups and reports (working hours, report days);
    # tests pass their own clock.
    clock: Callable[[], datetime]
    # Compiled once per rule set: compiling the templates costs more than routing a mail.
    templates: Templates
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def rules(self) -> Rules:
        return self.holder.rules

    def rules_at(self, moment: datetime) -> Rules:
        """The rules in force with the days away recorded by mail around `moment`."""
        return with_recorded(self.store, self.rules, moment)

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def forward_context(self, owner: Recipient, base: Recipient | None = None) -> ForwardContext:
        dept = self.rules.department
        return ForwardContext(
            department=dept.name,
            bot_address=Address(dept.name, self.settings.bot_address or dept.bot_address),
            loop_headers=dept.loop_headers,
            owner=owner,
            base_owner=base,
            shared_address=self.shared_address(),
        )

    def shared_address(self) -> str:
        """The address colleagues copy in their answers (the bot sees the copy there)."""
        rules = self.rules
        if rules.acknowledge is not None and rules.acknowledge.sender:
            return rules.acknowledge.sender
        return rules.department.shared_addresses[0] if rules.department.shared_addresses else ""


# How far back a recorded day still matters: mail of a past day may be polled late.
LOOK_BACK_DAYS = 7


def recorded_absences(store: Store, rules: Rules, today: date) -> tuple[Absence, ...]:
    """The days away the head reported by mail around `today`, as one-day absences."""
    found = in_force(store.presence.on(today - timedelta(days=LOOK_BACK_DAYS), today + timedelta(days=1)))
    return tuple(Absence(a.manager, a.day, a.day, a.backup, a.reason) for a in found if a.manager in rules.managers)


def with_recorded(store: Store, rules: Rules, now: datetime) -> Rules:
    """`rules` with the days away the head reported by mail around `now` among its absences."""
    recorded = recorded_absences(store, rules, now.astimezone(rules.department.timezone).date())
    return dataclasses.replace(rules, absences=(*rules.absences, *recorded)) if recorded else rules


def recipient(manager: Manager, moment: datetime | None = None, rules: Rules | None = None) -> Recipient:
    """A manager as a mail names them; with `moment` and `rules` (with the recorded days
    away: RunContext.rules_at), until when they are away at that moment (if they are)."""
    absence = rules.absence_at(manager.id, moment) if rules is not None and moment is not None else None
    if absence is None or rules is None or moment is None:
        return Recipient.of(manager)
    if absence.end_time is None:
        return Recipient.of(manager, absence.end)  # the last whole day: «до 17 июня включительно»
    # Back at a time of day: «до 18:00» the same day, «до 17.06 12:00» a later one.
    local = moment.astimezone(rules.department.timezone)
    back = absence.ends
    return Recipient.of(manager, back_at=f"{back:%H:%M}" if back.date() == local.date() else f"{back:%d.%m %H:%M}")
