"""How values read on the pages: times in the department's zone, a request's state in
one Russian word, managers by name. Pure; the templates use them as filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from inboxbot.model.ledger import ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.rules.model import Rules

ACTION_WORDS = {
    "forward": "переслано", "forward_and_tag": "переслано и помечено", "tag": "помечено",
    "skip": "не переслано", "triage": "ручной разбор",
}  # fmt: skip
# The audit's action names (pages record them) in words.
AUDIT_WORDS = {
    "login": "вход", "login_failed": "неудачный вход", "logout": "выход", "release": "переслать из неотправленных",
    "rules_apply": "новые правила",
    "handover": "передать клиента", "undo": "отменить изменение закрепления", "settle": "решить спор",
}  # fmt: skip
HOW_ANSWERED = {"reply": "ответом в переписке", "flag": "отметкой «отвечено» в ящике"}


def local(moment: datetime | None, tz: ZoneInfo, with_date: bool = True) -> str:
    """«03.12.2026 16:20» in the department's zone; "" for none."""
    if moment is None:
        return ""
    here = moment.astimezone(tz)
    return here.strftime("%d.%m.%Y %H:%M" if with_date else "%H:%M")


def state_of(row: RequestRow) -> tuple[str, str]:
    """(css class, Russian word) of where a request stands now."""
    if row.error and not row.forwarded:
        return "bad", "ошибка"
    if row.action == "skip":
        return "muted", "не переслано"
    if row.action == "triage" or (row.owner is None and row.action != "tag"):
        return "warn", "ручной разбор"
    if row.answered_at is not None:
        return "ok", "отвечено"
    if row.escalated_at is not None:
        return "bad", "эскалировано"
    if row.forwarded:
        return "warn", "ждёт ответа"
    if row.action == "tag":
        return "muted", "помечено"
    return "muted", "ждёт пересылки"


def manager_name(rules: Rules, manager_id: str | None) -> str:
    """The manager's name (a former manager: their id); "" for none."""
    if not manager_id:
        return ""
    manager = rules.managers.get(manager_id)
    return manager.name if manager else manager_id


def day_bound(text: str | None, tz: ZoneInfo, *, end: bool = False) -> datetime | None:
    """The start of a day written 2026-12-03 (of the next day when `end`), in the
    department's zone; None for an empty or malformed text."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=tz)


def client_path(key: ClientKey) -> str:
    """The client's own page."""
    return f"/clients/{key.kind}/{quote(key.value, safe='@')}"


FILTERS: dict[str, Callable[..., Any]] = {
    "local": local,
    "state": state_of,
    "action_word": lambda action: ACTION_WORDS.get(action or "", action or ""),
    "manager": manager_name,
    "client_path": client_path,
    "audit_word": lambda action: AUDIT_WORDS.get(action, action),
}
