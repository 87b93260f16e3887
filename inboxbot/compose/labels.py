"""What the report calls rules, conditions, pools and managers, for a reader who does
not know the ids of rules.toml. Pure."""

from __future__ import annotations

from inboxbot.model.decision import DUPLICATE_RULE, QUARANTINE_RULE
from inboxbot.route.absence import ABSENCE_RULE
from inboxbot.route.decide import NO_RULE
from inboxbot.rules.model import Rules

# What each condition of rules.toml means, for a reader who does not know the ids.
CONDITION_LABELS: dict[str, str] = {
    "not_a_request": "не заявка",
    "thread": "продолжение переписки",
    "addressed": "адресовано менеджеру",
    "vip": "VIP-клиент",
    "public_sector": "госзаказчик",
    "client_inn": "клиент из базы по ИНН",
    "client_domain": "клиент из базы по домену",
    "client_name": "клиент из базы по названию",
    "ledger": "клиент закреплён за менеджером",
    "group": "холдинг",
    "segment": "отрасль",
    "territory": "территория",
    "pool": "очередь",
    "fallback": "по умолчанию",
}
SPECIAL_RULES: dict[str, str] = {
    QUARANTINE_RULE: "письмо не разобрано",
    DUPLICATE_RULE: "повторная доставка",
    NO_RULE: "ни одно правило не подошло",
    ABSENCE_RULE: "замена на время отсутствия",
}
POOL_METHODS: dict[str, str] = {
    "round_robin": "по кругу",
    "weighted": "по весам",
    "least_loaded": "наименее загруженному",
}


def short_name(rules: Rules, manager_id: str | None) -> str:
    """«Петров Д. С.» for «Петров Дмитрий Сергеевич»; the id for a manager no longer in
    the rules; «—» for nobody."""
    if not manager_id:
        return "—"
    manager = rules.managers.get(manager_id)
    return initials(manager.name) if manager is not None else manager_id


def initials(full_name: str) -> str:
    """«Петров Д. С.» for «Петров Дмитрий Сергеевич»."""
    surname, *rest = full_name.split() or [""]
    return " ".join([surname, *(f"{word[0]}." for word in rest[:2])])



def rule_label(rules: Rules, rule_id: str) -> str:
    spec = next((s for s in rules.rules if s.id == rule_id), None)
    return condition_label(rule_id, spec.when if spec is not None else None)


def condition_label(rule_id: str, when: str | None) -> str:
    """What a rule means, by its condition (`when`: None for a rule no longer in the rules)."""
    if rule_id in SPECIAL_RULES:
        return SPECIAL_RULES[rule_id]
    if when is None:
        return "правила уже нет"
    return CONDITION_LABELS.get(when, when)


