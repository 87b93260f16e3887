"""all / any: conditions combined in one [[rule]] («госзаказчик И Москва», «аптеки → очередь
«pharma»»). Each part is a condition with its own options, validated like a rule's.

all: every part must match, in order; the owner is the rule's `owner`, else the one the
last part that names someone chose (a pool, a territory…). Parts without an owner (a
segment or public_sector written without one) are filters. any: the first part that
matches decides; the rule's `owner`, when given, takes its mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import who
from inboxbot.rules.options import ConditionOptions, option

MODES = ("all", "any")


@dataclass(frozen=True, slots=True)
class Part:
    """One condition inside all/any: its name and its own typed options."""

    when: str
    options: ConditionOptions
    line: int = 0


@dataclass(frozen=True, slots=True)
class CombinedOptions(ConditionOptions):
    conditions: tuple[Part, ...] = option(
        (), "conditions", required=True,
        what="условия в квадратных скобках, каждое — { when = \"…\", параметры условия }",
    )  # fmt: skip
    owner: str | None = option(None, "manager", what="кому отдавать (без owner — кого выбрало последнее условие)")

    def problem(self) -> str | None:
        if len(self.conditions) < 2:
            return "в conditions нужно хотя бы два условия, например conditions = [{ when = \"public_sector\" }, { when = \"region\", regions = [\"77\"] }]"
        return None


Run = Callable[[Part, Situation], "Match | Miss"]


def all_of(options: CombinedOptions, s: Situation, run: Run) -> Match | Miss:
    matches: list[tuple[Part, Match]] = []
    for part in options.conditions:
        result = run(part, s)
        if not isinstance(result, Match):
            return Miss(f"не выполнено условие «{part.when}»: {result.detail}")
        matches.append((part, result))
    deciding = next((m for _, m in reversed(matches) if m.owner is not None or m.action in ("triage", "skip")), None)
    owner = options.owner or (deciding.owner if deciding else None)
    if owner is None and (deciding is None or deciding.action is None):
        return Miss("все условия выполнены, но ни одно не выбрало менеджера (укажите owner у правила)")
    reasons: list[str] = []
    for _, m in matches:
        reasons.extend(m.reasons if m.owner is not None or m is deciding else (m.detail,))
    if options.owner:
        reasons.append(f"все условия выполнены → {who(s.rules, owner)}")
    return Match(
        owner=owner,
        detail=" и ".join(f"{p.when}: {m.detail}" for p, m in matches),
        reasons=tuple(dict.fromkeys(reasons)),
        action=None if options.owner else (deciding.action if deciding else None),
        client=next((m.client for _, m in matches if m.client is not None), None),
        pool=None if options.owner else (deciding.pool if deciding else None),
    )


def any_of(options: CombinedOptions, s: Situation, run: Run) -> Match | Miss:
    misses: list[str] = []
    for part in options.conditions:
        result = run(part, s)
        if isinstance(result, Match) and (result.owner is not None or options.owner or result.action):
            if options.owner:
                reasons = (*(result.reasons if result.owner else (result.detail,)), f"→ {who(s.rules, options.owner)}")
                return Match(options.owner, f"{part.when}: {result.detail}", reasons, client=result.client)
            return replace(result, detail=f"{part.when}: {result.detail}")
        misses.append(f"{part.when}: {result.detail}" if isinstance(result, Miss) else f"{part.when}: не назван менеджер")
    return Miss("ни одно из условий не выполнено (" + "; ".join(misses) + ")")
