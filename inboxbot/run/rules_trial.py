"""A rules edit tried before it is applied: the period's mails decided under the rules in
force and under the edited ones, side by side, and what differs.

tools/whatif.py compares two rule sets over .eml files: each replays from an empty history
at today's time. Over the mailbox's last weeks that would be wrong twice: a pool's round
robin would restart from its first member and rules by working hours would judge every
mail at today's hour. So here each rule set replays the journal's rows in order with its
own SeededHistory (run/recheck.py: the journal's past before the period, then its own
replayed decisions), each mail at the time it arrived. The comparison is between the two
rule sets, not with the journal: a request reassigned since, or decided by last month's
rules, is not counted as moved by this edit. Shares count who would get each request
(whatif.owner_of: nobody for skipped mail).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from inboxbot.compose.labels import short_name
from inboxbot.compose.report_data import ChangedDecision
from inboxbot.model.decision import DUPLICATE_RULE, Decision
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.rules.model import Rules
from inboxbot.run.pipeline import Pipeline, Prepared
from inboxbot.run.recheck import SeededHistory
from inboxbot.store.interfaces import Store
from inboxbot.tools.whatif import owner_of

HISTORY_DAYS = 31  # of the journal's past seeded before the period, beside a pool's window


@dataclass(frozen=True, slots=True)
class Trial:
    """What the edited rules would have done with the period's mail."""

    available: bool  # False: no mail could be had; `note` says why
    note: str
    checked: int  # mails decided under both rule sets
    missing: int  # journal rows whose mail was not found
    changes: tuple[ChangedDecision, ...]  # was_*: the rules in force; now_*: the edited ones
    before: Mapping[str, int] = field(default_factory=dict)  # manager id → requests under the rules in force
    after: Mapping[str, int] = field(default_factory=dict)  # … under the edited rules


def no_trial(note: str, *, missing: int = 0) -> Trial:
    return Trial(False, note, 0, missing, ())


def trial(store: Store, rows: Sequence[RequestRow], mails: Mapping[MessageKey, bytes], current: Pipeline,
          edited: Pipeline, *, source: str) -> Trial:  # fmt: skip
    """Decide each row's mail (`mails`, by the row's key) under both pipelines' rules, in
    journal order; repeated deliveries are left out, as the worker never decides them."""
    todo = [r for r in rows if r.key in mails and r.rule != DUPLICATE_RULE]
    missing = sum(1 for r in rows if r.key not in mails and r.rule != DUPLICATE_RULE)
    if not todo:
        return no_trial(f"{source}: ни одного письма периода не найдено", missing=missing)
    queues = (*current.rules.pools.values(), *edited.rules.pools.values(), *filter(None, (current.rules.pool, edited.rules.pool)))
    days = max([p.window_days for p in queues] + [HISTORY_DAYS])
    prior = store.queries.requests(todo[0].seen_at - timedelta(days=days + 1), todo[0].seen_at)
    raws = [mails[r.key] for r in todo]
    ready_now = current.prepare_many(raws)
    # Extraction reads a few department values; when the edit keeps them, the facts are the same.
    ready_new = ready_now if edited.params == current.params else edited.prepare_many(raws)
    sides = (_Side(store, current, prior), _Side(store, edited, prior))
    changes: list[ChangedDecision] = []
    for row, raw, now_ready, new_ready in zip(todo, raws, ready_now, ready_new, strict=True):
        was, will = sides[0].decide(row, raw, now_ready), sides[1].decide(row, raw, new_ready)
        if (owner_of(was), was.public_action) != (owner_of(will), will.public_action):
            changes.append(ChangedDecision(
                seen_at=row.seen_at, sender=row.client_address, subject=row.subject,
                was_owner=_who(current.rules, was), was_action=was.public_action, was_rule=was.rule,
                now_owner=_who(edited.rules, will), now_action=will.public_action, now_rule=will.rule,
                reason=will.summary,
            ))  # fmt: skip
    note = f"{source}: проверено писем — {len(todo)}" + (f", не найдено — {missing}" if missing else "")
    return Trial(True, note, len(todo), missing, tuple(changes), dict(sides[0].shares), dict(sides[1].shares))


class _Side:
    """One rule set's replay: its history and who it gave requests to."""

    def __init__(self, store: Store, pipeline: Pipeline, prior: Sequence[RequestRow]) -> None:
        self.store = store
        self.pipeline = pipeline
        self.history = SeededHistory(store.history, prior)
        self.shares: Counter[str] = Counter()

    def decide(self, row: RequestRow, raw: bytes, ready: Prepared) -> Decision:
        decision = self.pipeline.decide(ready, self.history, received_at=row.seen_at, ledger=self.store.ledger).decision
        self.history.record(row, raw, decision)
        owner = owner_of(decision)
        if owner:
            self.shares[owner] += 1
        return decision


def _who(rules: Rules, decision: Decision) -> str:
    owner = owner_of(decision)
    return short_name(rules, owner) if owner else ""
