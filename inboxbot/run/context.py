"""What every part of a poll shares: settings, the rules in force and their templates,
the journal, the clock and the stop signal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.templates import Templates
from inboxbot.config import Settings
from inboxbot.mail.message import Address
from inboxbot.rules.model import Manager, Rules
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


def recipient(manager: Manager, day: date | None = None, rules: Rules | None = None) -> Recipient:
    """A manager as a mail names them; with `day`, until when they are away (if they are)."""
    absence = rules.absence_on(manager.id, day) if rules is not None and day is not None else None
    # An absence that ends at a time of day has no last whole day to name: the mails say
    # «сейчас отсутствует» rather than a date that would read «до … включительно».
    return Recipient.of(manager, absence.end if absence and absence.end_time is None else None)
