"""`inboxbot status` in Russian: the journal summary with states and actions in words,
managers by name and rules by what they mean."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# How `status` names journal states and actions (the journal stores the English ids).
STATE_NAMES = {"decided": "решено, ещё не отправлено", "forwarded": "переслано, ещё не помечено в ящике",
               "marked": "обработано"}
ACTION_NAMES = {"forward": "переслать", "forward_and_tag": "переслать и пометить", "tag": "только пометить",
                "skip": "не заявка", "triage": "на ручной разбор"}


def status_lines(summary: dict[str, Any], names: Any, path: str) -> list[str]:
    """The journal summary in Russian: states and actions in words, managers by name and
    rules by what they mean (rules.read_names; ids for what the rules no longer name)."""
    from inboxbot.compose.labels import SPECIAL_RULES, condition_label, initials

    def counted(items: dict[Any, int], name: Callable[[Any], str]) -> str:
        ordered = sorted(((name(key), count) for key, count in items.items()), key=lambda nc: (-nc[1], nc[0]))
        return ", ".join(f"{label} — {count}" for label, count in ordered) or "—"

    def manager(key: Any) -> str:
        full = names.managers.get(str(key))
        return initials(full) if full else str(key)

    def rule(key: Any) -> str:
        if key is None:
            return "без правила"
        when = names.conditions.get(str(key))
        return f"{condition_label(str(key), when)} ({key})" if when or key in SPECIAL_RULES else str(key)

    lines = [
        f"Журнал: {path}",
        f"Всего писем: {summary['total']}",
        f"Состояние: {counted(summary['states'], lambda k: STATE_NAMES.get(str(k), str(k)))}",
        f"Решение: {counted(summary['actions'], lambda k: ACTION_NAMES.get(str(k), str(k)))}",
        f"Менеджеры: {counted(summary['owners'], manager)}",
        f"Правила: {counted(summary['rules'], rule)}",
    ]
    failing: Iterable[dict[str, Any]] = summary["failing"]
    failing = list(failing)
    if failing:
        lines.append(f"Ошибки при обработке (последние {len(failing)}):")
        for row in failing:
            lines.append(f"  ! письмо {row['uid']} «{row['subject']}»: {row['error']} (попыток: {row['attempts']})")
    lines.append("Заявки без ответа и письма на ручном разборе: inboxbot status --list")
    return lines
