"""How `inboxbot replay`, `explain` and `replay --compare` show decisions: one JSON record
per mail, or Russian lines for a person; the command line only prints them."""

from __future__ import annotations

from collections.abc import Mapping

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import PUBLIC_ACTION_WORDS, Decision
from inboxbot.model.facts import Facts
from inboxbot.route.describe import describe_company, describe_region
from inboxbot.rules.model import Rules
from inboxbot.tools.whatif import Change, Comparison, owner_of


def decision_record(
    label: str, msg: ParsedMessage, facts: Facts, decision: Decision, rules: Rules, *, trail: bool
) -> dict[str, object]:
    """The JSON record of one replayed mail (`replay --json`; with the trail for `explain`)."""
    record: dict[str, object] = {
        "file": label,
        "message_id": msg.message_id,
        "subject": msg.subject,
        "from": msg.sender.email if msg.sender else None,
        "action": decision.public_action,
        "owner": decision.owner,
        "rule": decision.rule,
        "base_rule": decision.base_rule,
        "base_owner": decision.base_owner,
        "reasons": list(decision.reasons),
        "company": describe_company(facts, decision, rules),
        "region": describe_region(facts, decision, rules),
    }
    if trail:
        record["trail"] = [{"rule": s.rule, "matched": s.matched, "detail": s.detail} for s in decision.trail]
    return record


def decision_lines(label: str, subject: str, decision: Decision, rules: Rules, *, trail: bool) -> list[str]:
    """One replayed mail for a person: action, owner, rule, reasons (and every rule checked)."""
    owner = decision.owner
    name = rules.managers[owner].name if owner is not None and owner in rules.managers else (owner or "—")
    lines = [f"{label}: {PUBLIC_ACTION_WORDS[decision.public_action]} → {name} [{decision.rule}]", f"  тема: {subject}"]
    lines.extend(f"  • {reason}" for reason in decision.reasons)
    if trail:
        lines.append("  проверенные правила:")
        lines.extend(f"    {'✓' if step.matched else '·'} {step.rule}: {step.detail}" for step in decision.trail)
    return lines


def comparison_records(result: Comparison) -> list[dict[str, object]]:
    """`replay --compare --json`: one record per changed decision, then the totals."""
    records: list[dict[str, object]] = [_change_record(change) for change in result.changes]
    records.append({"total": result.total, "changed": len(result.changes),
                    "shares_before": result.shares_before, "shares_after": result.shares_after})
    return records


def _change_record(change: Change) -> dict[str, object]:
    return {
        "file": change.label, "subject": change.subject,
        "before": {"owner": owner_of(change.before), "action": change.before.public_action,
                   "rule": change.before.rule, "reasons": list(change.before.reasons)},
        "after": {"owner": owner_of(change.after), "action": change.after.public_action,
                  "rule": change.after.rule, "reasons": list(change.after.reasons)},
    }


def comparison_lines(result: Comparison, old_rules: Rules, new_rules: Rules) -> list[str]:
    """`replay --compare` for a person: each changed decision, then the shares before and after."""
    names = {**{m.id: m.name for m in old_rules.managers.values()}, **{m.id: m.name for m in new_rules.managers.values()}}

    def who(decision: Decision) -> str:
        owner = owner_of(decision)
        return names.get(owner, owner) if owner else "не пересылать"

    lines = [f"Писем: {result.total}; решение изменится у {len(result.changes)}."]
    for change in result.changes:
        lines.append(f"{change.label}: {who(change.before)} [{change.before.rule}] → {who(change.after)} [{change.after.rule}]")
        lines.append(f"  тема: {change.subject}")
        lines.extend(f"  • {reason}" for reason in change.after.reasons)
    lines.append("\nДоля по менеджерам (было → станет):")
    lines.extend(
        f"  {names.get(owner, owner)}: {result.shares_before.get(owner, 0)} → {result.shares_after.get(owner, 0)}"
        for owner in sorted(set(result.shares_before) | set(result.shares_after))
    )
    return lines


def shares_line(shares: Mapping[str, int]) -> str:
    """The closing line of `replay`: how many mails each manager got."""
    return "\nДоля по менеджерам: " + ", ".join(f"{k} {v}" for k, v in sorted(shares.items()))
