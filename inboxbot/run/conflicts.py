"""Disputes over who owns a client, carried out: recorded once (the store's conflicts),
the owner told when their client wrote to a colleague, the ones the base and the ledger
hold by themselves swept in, and the head's verdict recorded (`inboxbot conflicts settle`).
What is a dispute is decided in route/disputes.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from inboxbot.compose.conflict_notice import compose_conflict_notice
from inboxbot.errors import ActionError, ConfigError
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.conflicts import KEEP, OWNER, Conflict
from inboxbot.model.decision import Decision
from inboxbot.route.disputes import sweep
from inboxbot.rules.model import Rules
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.outbox import Sender
from inboxbot.store.interfaces import Store

log = logging.getLogger(__name__)


class DisputeDesk:
    """The worker's side: a forwarded decision's disputes recorded, the owner told once."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def raise_all(self, smtp: Sender, msg: ParsedMessage, decision: Decision) -> None:
        now = self.ctx.clock()
        for dispute in decision.disputes:
            conflict = self.store.conflicts.raise_conflict(dispute, now)
            if not conflict.open or conflict.notified or dispute.kind != "addressed":
                continue  # settled (not raised again), told already, or nobody to tell
            log.info("спор № %s: %s — %s", conflict.number, dispute.client, dispute.detail)
            self._tell_owner(smtp, msg, decision, conflict)
            self.store.conflicts.mark_notified(conflict.number, now)

    def _tell_owner(self, smtp: Sender, msg: ParsedMessage, decision: Decision, conflict: Conflict) -> None:
        rules = self.ctx.rules
        got, owner = (rules.managers.get(m) for m in conflict.dispute.owners[:2])
        if got is None or owner is None:
            return
        notice = compose_conflict_notice(msg, decision, conflict, self.ctx.forward_context(recipient(got)),
                                         recipient(owner), now=self.ctx.clock())  # fmt: skip
        try:
            smtp.send(notice, [owner.email])
        except ActionError as exc:
            if not (exc.permanent or exc.about_message):
                raise  # the server fails as a whole: the poll is retried, the notice with it
            log.error("спор № %s: уведомление для %s не отправлено: %s", conflict.number, owner.email, exc)


def sweep_base(store: Store, rules: Rules, now: datetime) -> list[Conflict]:
    """Record the disputes the client base and the ledger hold by themselves (an INN under
    two managers, the ledger against the base); returns the open ones among them."""
    found = [store.conflicts.raise_conflict(d, now) for d in sweep(rules, store.ledger.entries())]
    return [c for c in found if c.open]


@dataclass(frozen=True, slots=True)
class LedgerMove:
    """What a verdict naming an owner asks of the client ledger: `client` to `owner`."""

    client: str
    owner: str


def settle(
    store: Store, rules: Rules, number: int, *, owner: str | None, keep: bool, why: str, by: str, now: datetime
) -> tuple[Conflict, LedgerMove | None]:
    """The head's verdict on dispute `number`: `keep` (things stay) or `owner` (the client is
    theirs). Raises ConfigError, changing nothing, for an unknown number, a settled
    dispute, an unknown manager, or neither/both of owner and keep."""
    if keep == (owner is not None):
        raise ConfigError("укажите одно из двух: --owner МЕНЕДЖЕР (клиент за ним) или --keep (оставить как есть)")
    if owner is not None and owner not in rules.managers:
        raise ConfigError(f"менеджера «{owner}» нет в правилах. Допустимые: {', '.join(rules.managers)}")
    known = store.conflicts.get(number)
    if known is None:
        numbers = ", ".join(str(c.number) for c in store.conflicts.listing()) or "открытых споров нет"
        raise ConfigError(f"спора № {number} нет. Открытые: {numbers}")
    if not known.open:
        raise ConfigError(f"спор № {number} уже решён ({verdict_text(rules, known)}) — решение не меняется")
    settled = store.conflicts.settle(number, OWNER if owner else KEEP, owner, why.strip(), by, now)
    assert settled is not None
    if owner is not None and settled.verdict == OWNER and settled.owner == owner:
        # THE CALL SITE for the client ledger's change service (issue 14, hand-overs and
        # the head's «передать»): the reviewer wires `move` to it after merging; until then
        # the verdict is recorded and listed, and the caller shows the move it asks for.
        return settled, LedgerMove(settled.dispute.client, owner)
    return settled, None


def verdict_text(rules: Rules, conflict: Conflict) -> str:
    """«клиент за Сидоров С. С.» / «оставить как есть», with why when given."""
    if conflict.verdict == OWNER and conflict.owner:
        text = f"клиент за {rules.manager_name(conflict.owner)}"
    else:
        text = "оставить как есть"
    return f"{text}: {conflict.why}" if conflict.why else text
