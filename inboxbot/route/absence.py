"""The absence substitution: the chosen manager is away, so the backup (or the head) gets
the mail and the manager is told."""

from __future__ import annotations

from dataclasses import replace

from inboxbot.model.decision import Decision, Step
from inboxbot.route.context import Situation
from inboxbot.route.reasons import who
from inboxbot.rules.model import Absence, Rules, absence_chain

ABSENCE_RULE = "absence_backup"

def substitute_absent(decision: Decision, situation: Situation, trail: list[Step]) -> Decision:
    rules = situation.rules
    day = situation.day
    owner = decision.owner
    if day is None or owner is None:
        return decision
    moment = situation.moment.astimezone(rules.department.timezone) if situation.moment else None
    substitute, chain = absence_chain(rules, owner, moment or day)
    if not chain:
        return decision
    reasons = list(decision.reasons)
    for absence in chain:
        reasons.append(_absence_reason(rules, absence))
    if substitute == rules.department.head and (not chain or chain[-1].backup != substitute):
        reasons.append(f"заместители тоже отсутствуют → руководитель {who(rules, substitute)}")
    timed = moment is not None and any(a.start_time or a.end_time for a in chain)
    when = (f"время письма {moment:%d.%m.%Y %H:%M}" if timed and moment else f"дата письма {day:%d.%m.%Y}") + (" по заголовку Date" if situation.moment_source == "Date" else " по времени получения")
    detail = f"{owner} отсутствует ({when}) → {substitute}"
    trail.append(Step(ABSENCE_RULE, True, detail))
    return replace(
        decision,
        owner=substitute,
        rule=ABSENCE_RULE,
        base_rule=decision.rule,
        base_owner=owner,
        reasons=tuple(reasons),
        trail=tuple(trail),
        notify=(owner,),
    )


def _absence_reason(rules: Rules, absence: Absence) -> str:
    return (
        f"{who(rules, absence.manager)} {absence.reason} {absence.span}"
        f" → заместитель {who(rules, absence.backup)}"
    )


