"""The mail of ledger changes: each change's notice to the head and both managers, sent
after the change was kept (store.changes.unannounced) and noted sent after it went.

Several processes announce: the worker after each poll, `inboxbot clients assign`, the web
page. Each claims a notice's row before sending it (store.changes.claim_announcement, a
conditional UPDATE, as the runner claims a mail before its forward), so of two at once
exactly one sends. The claim lapses after CLAIM_SECONDS: a sender killed between its claim
and its note leaves the notice to the next one then (sent again under the same Message-ID,
compose/handover.py derives it from the change, which mail clients collapse). An SMTP
server down raises: the notice waits for the next poll, the change itself stays made.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.handover import MovedRequest, compose_handover_notice, handover_view
from inboxbot.compose.templates import Templates
from inboxbot.errors import ActionError
from inboxbot.mail.message import Address
from inboxbot.model.handover import Change
from inboxbot.rules.model import Rules
from inboxbot.run.handover import actor_name
from inboxbot.run.outbox import Sender
from inboxbot.store.interfaces import Store

log = logging.getLogger(__name__)

# Long enough for one SMTP conversation and its retry; short enough that a notice whose
# sender died goes within the next polls.
CLAIM_SECONDS = 300.0


def change_context(rules: Rules, bot_address: str, head: Recipient) -> ForwardContext:
    dept = rules.department
    return ForwardContext(dept.name, Address(dept.name, bot_address or dept.bot_address), dept.loop_headers, head)


class Announcer:
    def __init__(self, store: Store, rules: Callable[[], Rules], templates: Callable[[], Templates], bot_address: str,
                 clock: Callable[[], datetime], *, claim_seconds: float = CLAIM_SECONDS) -> None:  # fmt: skip
        self.store = store
        self.rules = rules  # the ones in force (a reload replaces them)
        self.templates = templates
        self.bot_address = bot_address
        self.clock = clock
        self.claim_seconds = claim_seconds
        # One per sender, never shared: the worker and the CLI on one host must not both
        # count as the claim's holder.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def pending(self) -> bool:
        return bool(self.store.changes.unannounced())

    def announce(self, smtp: Sender) -> int:
        """Send the notice of every change not announced yet; returns how many went."""
        sent = 0
        for change in self.store.changes.unannounced():
            if not self.store.changes.claim_announcement(change.id, self.holder, self.claim_seconds):
                continue  # another process sends it (or sent it a moment ago)
            if self._announce(smtp, change):
                sent += 1
            self.store.changes.mark_announced(change.id, self.clock())
        return sent

    def _announce(self, smtp: Sender, change: Change) -> bool:
        rules = self.rules()
        people = {m.id: Recipient.of(m) for m in rules.managers.values()}
        head = people.get(rules.department.head)
        if head is None:
            return False
        owner, previous = people.get(change.owner or ""), people.get(change.previous or "")
        recipients = list({r.email.lower(): r for r in (head, previous, owner) if r is not None}.values())
        open_rows = {r.id: r for r in self.store.requests.awaiting_answer()}
        moved = [MovedRequest(open_rows[i].subject, open_rows[i].sent_at) for i in change.requests if i in open_rows]
        ctx = change_context(rules, self.bot_address, head)
        view = handover_view(change, owner, previous, actor_name(rules, change.by), moved, ctx)
        mail = compose_handover_notice(change, recipients, view, ctx, self.templates(), now=self.clock())
        try:
            smtp.send(mail, [r.email for r in recipients])
        except ActionError as exc:
            if not exc.permanent:
                raise  # the server is down: the notice goes with the next poll
            log.error("уведомление об изменении №%d не принято сервером: %s", change.id, exc)
            return False
        log.info("изменение №%d (%s → %s): уведомление отправлено %s", change.id, change.previous or "—",
                 change.owner or "—", ", ".join(r.email for r in recipients))  # fmt: skip
        return True
