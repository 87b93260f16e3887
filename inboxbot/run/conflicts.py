"""Disputes over who owns a client, carried out: recorded once (the store's conflicts),
the owner told when their client wrote to a colleague, the ones the base and the ledger
hold by themselves swept in, and the head's verdict carried out: the client moved in the
ledger through run.handover, the verdict recorded with the change (`inboxbot conflicts
settle`, the web page «Споры»).
What is a dispute is decided in route/disputes.py."""

from __future__ import annotations

import logging
from datetime import datetime

from inboxbot.compose.conflict_notice import compose_conflict_notice
from inboxbot.errors import ActionError, ConfigError
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.conflicts import KEEP, OWNER, Conflict, label_keys
from inboxbot.model.decision import Decision
from inboxbot.model.handover import HEAD, Change
from inboxbot.model.ledger import ClientKey
from inboxbot.route.disputes import sweep
from inboxbot.rules.model import Rules
from inboxbot.run.context import RunContext, recipient
from inboxbot.run.handover import HandoverResult, assign, undo
from inboxbot.run.handover import move as handover_move
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


def settle(
    store: Store, rules: Rules, number: int, *, owner: str | None, keep: bool, why: str, by: str, now: datetime
) -> tuple[Conflict, Change | None]:
    """The head's verdict on dispute `number`: `keep` (things stay) or `owner` (the client is
    theirs: moved to them in the client ledger through run.handover, how = head, the
    verdict's why, announced like any change). Returns the settled dispute and the change
    made (None: keep, or the ledger gives the client to `owner` already).

    The ledger moves first, then the verdict is recorded with the change's id: a kill in
    between leaves the dispute open with the client already moved, and settling it again
    finds nothing to move. A move refused (a client of the client base, which the base
    decides; a client without a ledger identity) refuses the verdict too: ConfigError,
    nothing changed. So do an unknown number, a settled dispute, an unknown manager, and
    neither/both of owner and keep."""
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
    why = why.strip()
    change = None
    if owner is not None:
        moved = move_client(store, rules, known, owner, by, why, now)
        if moved.refusal is not None:
            raise ConfigError(f"спор № {number} не решён: {moved.refusal}")
        change = moved.change
    settled = store.conflicts.settle(number, OWNER if owner else KEEP, owner, why, by, now,
                                     change_id=change.id if change else None)  # fmt: skip
    assert settled is not None
    if (settled.verdict, settled.owner, settled.settled_by) != (OWNER if owner else KEEP, owner, by) or \
            (change is not None and settled.change_id != change.id):  # fmt: skip
        # Someone settled it between our look and our verdict: theirs stands, our move goes back.
        if change is not None:
            undo(store, rules, by, change.id, now)
        raise ConfigError(f"спор № {number} уже решён ({verdict_text(rules, settled)}) — решение не меняется")
    return settled, change


def move_client(store: Store, rules: Rules, conflict: Conflict, owner: str, actor: str, why: str,
                now: datetime) -> HandoverResult:  # fmt: skip
    """The dispute's client to `owner` in the ledger: its entries found by any of its
    identities moved; not in the ledger, written for `owner` when the client base does not
    decide it (run.handover.assign's refusals). Neither change nor refusal: the client is
    `owner`'s already (by the ledger, or by the base when only the base knows it)."""
    dispute = conflict.dispute
    keys = dispute.keys or label_keys(dispute.client)  # one recorded before disputes had keys: its label's
    reason = f"спор № {conflict.number}" + (f": {why}" if why else "")
    current = next((found for k in keys if (found := store.changes.entries(k))), ())
    if current:
        if current[0].owner == owner:
            return HandoverResult()
        return handover_move(store, rules, actor, current, keys, owner, now, how=HEAD, why=reason)
    key = next((k for k in keys if k.kind != "name"), None)
    if key is None:
        return HandoverResult(refusal=f"клиент спора ({dispute.client}) не назван ни ИНН, ни доменом, ни адресом — "
                                      "закрепить его в журнале нельзя; решите спор «оставить как есть» (--keep)")  # fmt: skip
    if dispute.kind != "base_twice" and _base_manager(rules, key) == owner:
        return HandoverResult()  # the base gives it to them already, and the base decides
    return assign(store, rules, actor, key.value, owner, now, why=reason, create=True)


def _base_manager(rules: Rules, key: ClientKey) -> str | None:
    if key.kind == "inn":
        client = rules.clients.by_inn(key.value)
        return client.manager if client is not None else None
    if key.kind == "domain":
        found = rules.clients.by_domain(key.value)
        return found[0].manager if len(found) == 1 else None
    return None


def verdict_text(rules: Rules, conflict: Conflict) -> str:
    """«клиент за Сидоров С. С.» / «оставить как есть», with why when given."""
    if conflict.verdict == OWNER and conflict.owner:
        text = f"клиент за {rules.manager_name(conflict.owner)}"
    else:
        text = "оставить как есть"
    return f"{text}: {conflict.why}" if conflict.why else text
