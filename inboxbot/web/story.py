"""A request's whole story, in the order it happened: arrival, the decision with its
reasons, the forward, the acknowledgement, reminders, escalation or hand-over, the
answer, the ledger changes that moved its client or its thread, and what was done to it
through the web pages. Pure: built from what the store keeps (the row, its stored
decision, the ledger's history, the audit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inboxbot.model.handover import KEPT, UNDO, Change
from inboxbot.model.ledger import ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.rules.model import Rules
from inboxbot.store.interfaces import AuditEntry
from inboxbot.web.view import ACTION_WORDS, AUDIT_WORDS, HOW_ANSWERED, manager_name


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime | None
    title: str
    lines: tuple[str, ...] = ()
    tone: str = ""  # css class: ok, warn, bad, muted


@dataclass(frozen=True, slots=True)
class TrailStep:
    rule: str
    matched: bool
    detail: str


def trail_of(payload: dict[str, object] | None) -> tuple[TrailStep, ...]:
    """The decision's trail (every rule tried, matched or not) from the stored decision."""
    decision = payload.get("decision") if payload else None
    steps = decision.get("trail") if isinstance(decision, dict) else None
    if not isinstance(steps, list):
        return ()
    return tuple(TrailStep(str(s.get("rule", "")), bool(s.get("matched")), str(s.get("detail", "")))
                 for s in steps if isinstance(s, dict))  # fmt: skip


def client_keys(row: RequestRow, payload: dict[str, object] | None) -> tuple[ClientKey, ...]:
    """The identities the request's client is known by in the ledger: what its decision
    claimed, its INN, its address."""
    keys: list[ClientKey] = []
    decision = payload.get("decision") if payload else None
    claim = decision.get("claim") if isinstance(decision, dict) else None
    for pair in claim if isinstance(claim, list) else ():
        if isinstance(pair, list) and len(pair) == 2:
            keys.append(ClientKey(str(pair[0]), str(pair[1])))
    if row.inn:
        keys.append(ClientKey("inn", "".join(c for c in row.inn if c.isdigit())))
    if row.client_address:
        keys.append(ClientKey("address", row.client_address.lower()))
    return tuple(dict.fromkeys(keys))


def forwarded_by_colleague(row: RequestRow) -> bool:
    """Whether a colleague forwarded the client's mail (the client is not the sender)."""
    return bool(row.client) and row.client.lower() != row.sender.lower()


def change_event(change: Change, rules: Rules) -> Event:
    """A ledger change in the story: to whom, from whom, how, who decided, why."""
    owner = manager_name(rules, change.owner) or "никто"
    if change.how == UNDO:
        title = f"Изменение №{change.undoes} отменено: клиент снова у {owner}"
    elif change.how == KEPT:
        title = f"Основной менеджер вернулся, заявка осталась у замещавшего: {owner}"
    else:
        title = f"{'Заявка передана' if change.threads_only else 'Клиент передан'}: {owner}"
    lines = [f"Было: {manager_name(rules, change.previous) or 'никто'}", f"Как: {change.describe_how()}",
             f"Решил(а): {manager_name(rules, change.by)}"]  # fmt: skip
    if change.why:
        lines.append(f"Почему: {change.why}")
    lines.append(f"Изменение №{change.id}")
    return Event(change.at, title, tuple(lines), "warn")


def story(row: RequestRow, rules: Rules, changes: list[Change], audit: list[AuditEntry]) -> list[Event]:
    """The events of `row`, oldest first (those without a time keep their place)."""

    def name(manager_id: str | None) -> str:
        return manager_name(rules, manager_id) or "—"

    events = [Event(row.seen_at, "Письмо пришло в общий ящик", (
        f"От: {row.client_address}" + (f" (переслал коллега {row.sender})" if forwarded_by_colleague(row) else ""),
        f"Тема: {row.subject or '(без темы)'}", f"Папка: {row.key.folder}",
    ))]  # fmt: skip
    decided = [f"Правило: {row.rule or '—'}", f"Итог: {ACTION_WORDS.get(row.action or '', row.action or '—')}"]
    if row.owner:
        decided.append(f"Менеджер: {name(row.owner)}")
    if row.base_owner and row.base_owner != row.owner:
        decided.append(f"Основной менеджер: {name(row.base_owner)} (заявка ушла замещающему)")
    decided += [f"Причина: {reason}" for reason in row.reasons]
    events.append(Event(row.seen_at, "Решение бота", tuple(decided), "muted" if row.action == "skip" else ""))
    if row.forwarded_at or row.forward_id:
        events.append(Event(row.forwarded_at, f"Переслано: {name(row.owner)}", (f"Письмо бота: {row.forward_id}",)))
    if row.acked_at:
        events.append(Event(row.acked_at, "Клиенту отправлено подтверждение"))
    if row.reminded_at:
        events.append(Event(row.reminded_at, "Напоминание менеджеру", tone="warn"))
    if row.escalated_at:
        to = name(row.escalated_to)
        handed = row.owner and row.owner != row.escalated_to and row.owner != row.base_owner
        text = f"Заявка передана: {name(row.owner)}" if handed else f"Сообщено руководителю: {to}"
        events.append(Event(row.escalated_at, "Эскалация", (text,), "bad"))
    if row.answered_at:
        how = HOW_ANSWERED.get(row.answer_how or "", row.answer_how or "")
        events.append(Event(row.answered_at, f"Ответил: {name(row.answered_by)}", (how,) if how else (), "ok"))
    elif row.forwarded:
        events.append(Event(None, "Ответа клиенту пока нет", tone="warn"))
    if row.error:
        events.append(Event(None, "Ошибка", (row.error,), "bad"))
    events.extend(change_event(c, rules) for c in changes)
    for entry in reversed(audit):
        events.append(
            Event(
                entry.at,
                f"{name(entry.who)}: {AUDIT_WORDS.get(entry.action, entry.action)}",
                (entry.detail,) if entry.detail else (),
            )
        )
    return sorted(events, key=lambda e: e.at or datetime.max.replace(tzinfo=row.seen_at.tzinfo))
