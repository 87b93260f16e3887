"""(ParsedMessage, Facts, Rules, History) → Decision with a trail. Pure: no I/O, no clock.

Each condition named in rules.toml is found by name in the catalog. A condition returns a
`Match` (the owner and why) or a `Miss` (why not), kept as the rule's step. Rules are tried
in order and the first match decides; every rule tried is kept in `Decision.trail`.
Whoever is chosen, the absence substitution runs last.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision, Step
from inboxbot.model.facts import Facts
from inboxbot.route.absence import substitute_absent
from inboxbot.route.conditions.catalog import CONDITIONS
from inboxbot.route.conditions.ledger import claim_of
from inboxbot.route.context import ClientLedger, History, Match, RecentRequests, Situation
from inboxbot.route.disputes import disputes_of
from inboxbot.rules.model import Rules, RuleSpec

NO_RULE = "no_rule"
FORWARDING = ("forward", "tag", "forward_and_tag")

def mail_moment(msg: ParsedMessage, received_at: datetime | None) -> tuple[datetime | None, str]:
    """When the mail counts as sent: its Date header, else when it was received."""
    if msg.date is not None:
        return msg.date, "Date"
    if received_at is not None:
        return received_at, "received"
    return None, ""


def decide(
    msg: ParsedMessage,
    facts: Facts,
    rules: Rules,
    history: History,
    *,
    received_at: datetime | None = None,
    ledger: ClientLedger | None = None,
    recent: RecentRequests | None = None,
) -> Decision:
    """The first matching rule decides; the absence substitution runs on its owner. A new
    client's first assignment carries the identities its forward writes to the `ledger`;
    `recent`: the senders' recent requests, for the `repeat` rule."""
    moment, source = mail_moment(msg, received_at)
    situation = Situation(msg, facts, rules, history, moment, source, received_at, ledger, recent)
    trail: list[Step] = []
    for spec in rules.rules:
        if not spec.enabled:
            trail.append(Step(spec.id, False, "правило выключено (enabled = false)"))
            continue
        result = CONDITIONS[spec.when].run(spec.options, situation)
        if not isinstance(result, Match):
            trail.append(Step(spec.id, False, result.detail))
            continue
        if result.owner is not None and result.owner not in rules.managers:
            trail.append(Step(spec.id, False, f"менеджер «{result.owner}» не описан в правилах"))
            continue
        trail.append(Step(spec.id, True, result.detail))
        return _finish(result, spec, situation, trail)
    reason = "ни одно правило не подошло — письмо оставлено на ручной разбор"
    trail.append(Step(NO_RULE, True, reason))
    return Decision(action="triage", owner=None, rule=NO_RULE, reasons=(*situation.notes, reason), trail=tuple(trail))


def _finish(match: Match, spec: RuleSpec, situation: Situation, trail: list[Step]) -> Decision:
    action = match.action or spec.action
    if action == "skip":
        return Decision(action="skip", owner=None, rule=spec.id, reasons=match.reasons, trail=tuple(trail))
    owner = match.owner if action != "triage" else None
    client = match.client
    if client is None and situation.identity.client is not None:
        client = situation.identity.client.ref()
    reasons = [*situation.notes, *match.reasons]
    decision = Decision(
        action=action,
        owner=owner,
        rule=spec.id,
        reasons=tuple(dict.fromkeys(reasons)),
        trail=tuple(trail),
        client=client,
        pool=match.pool,
        repeat_of=match.repeat_of,
    )
    decision = replace(
        decision, claim=claim_of(situation, spec.when, decision), disputes=disputes_of(situation, spec.when, decision)
    )
    if owner is None or action not in FORWARDING:
        return decision
    return substitute_absent(decision, situation, trail)


