"""How well routing matches a labelled folder: the action, the owner and the rule of each
mail's decision against `expected_action`, `expected_owner` and `rule` (+ `base_rule`).

* action: the decision's public action (forward | tag | skip) equals `expected_action`;
* owner: scored for mails the label forwards and whose label names `expected_owner`;
  "pool" is right when the decision went to the pool and its owner is a pool member;
* rule: the decision's rule equals the label's `rule` (and `base_rule` when the label has
  one: an absence keeps the rule that chose the absent manager).

Per rule the mails are grouped by the label's rule: `right` counts mails whose action and
owner are both right, `rule_right` those decided by the expected rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inboxbot.model.decision import Decision
from inboxbot.rules.model import Rules
from inboxbot.tools.labels import Label

ROUTE_FIELDS = ("action", "owner", "rule")


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    """One routing field of one mail; `expected`/`found` as text ("forward", "petrov", …)."""

    file: str
    field: str
    expected: str | None
    found: str | None
    ok: bool


@dataclass
class Tally:
    """Right out of n, for one routing field or one expected rule."""

    n: int = 0
    right: int = 0
    rule_right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else 1.0

    def as_dict(self, *, with_rule: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.n, "right": self.right, "accuracy": round(self.accuracy, 4)}
        if with_rule:
            data["rule_right"] = self.rule_right
        return data


def owner_right(decision: Decision, expected: str | None, rules: Rules) -> bool:
    """The decision's owner is the label's (a pool label: any pool member, via the pool)."""
    if expected == "pool":
        queue = rules.pools.get(decision.pool) if decision.pool else None
        return queue is not None and decision.owner in queue.members
    return decision.owner == expected


def route_outcomes(label: Label, decision: Decision, rules: Rules) -> list[RouteOutcome]:
    """The routing outcomes the label allows to score (module docstring)."""
    outcomes: list[RouteOutcome] = []
    if label.action_labelled:
        outcomes.append(RouteOutcome(label.file, "action", label.action, decision.public_action, decision.public_action == label.action))
    if label.owner_labelled and label.action != "skip":
        found = decision.owner if decision.public_action != "skip" else None
        outcomes.append(RouteOutcome(label.file, "owner", label.owner, found, owner_right(decision, label.owner, rules)))
    if label.rule is not None:
        want, got = label.rule, decision.rule
        ok = got == want and (label.base_rule is None or decision.base_rule == label.base_rule)
        if label.base_rule is not None:
            want, got = f"{want}/{label.base_rule}", f"{got}/{decision.base_rule or '—'}"
        outcomes.append(RouteOutcome(label.file, "rule", want, got, ok))
    return outcomes


def tally_rule(tallies: dict[str, Tally], label: Label, outcomes: list[RouteOutcome]) -> None:
    """Count one mail under its expected rule (labels without a rule are not grouped)."""
    if label.rule is None:
        return
    tally = tallies.setdefault(label.rule, Tally())
    tally.n += 1
    tally.right += all(o.ok for o in outcomes if o.field in ("action", "owner"))
    tally.rule_right += all(o.ok for o in outcomes if o.field == "rule")


def trail_lines(decision: Decision, label: Label) -> list[str]:
    """The short trail of a miss: the rule that decided, and why the expected one did not."""
    lines = [f"{'✓' if s.matched else '·'} {s.rule}: {s.detail}" for s in decision.trail if s.matched and s.rule == decision.rule]
    if label.rule is not None and label.rule != decision.rule:
        lines += [f"· {s.rule}: {s.detail}" for s in decision.trail if s.rule == label.rule]
    return lines
