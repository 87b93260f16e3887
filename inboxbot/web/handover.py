"""«Передать» and «Отменить» on the pages: the same ledger change as the head's «передать
Сидорову» by mail and `inboxbot clients assign|undo` — run/handover.py's assign and undo,
never a second path. The head hands any client to any manager and undoes a change; a
manager hands a client the ledger gives to them now (assign's `holder` checks it in the
same transaction that moves it).

The notices (to the head and both managers) stay queued with the change; the web process
never sends mail. The worker's Announcer sends them after its next poll, as it does for
the CLI's changes made without SMTP settings: one sender, so each notice goes once, and
the web needs no SMTP credentials. The pages say so and show when a notice went.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inboxbot.model.handover import UNDO, Change, read_identity
from inboxbot.model.ledger import KEY_KINDS, Assignment, ClientKey
from inboxbot.model.records import RequestRow
from inboxbot.run.handover import HandoverResult, assign, undo
from inboxbot.web.access import Viewer
from inboxbot.web.pages import Visit
from inboxbot.web.view import manager_name

WHY_LIMIT = 500
# What the head or the manager reads after a change was made.
LATER = "Уведомления руководителю и менеджерам уйдут после ближайшей проверки ящика."
# The newest changes the story page looks through for a request's hand-overs.
HISTORY_SCAN = 5000


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One change as the pages list it: whether the head may still press «Отменить»."""

    change: Change
    undoable: bool


def key_of(kind: str | None, value: str | None) -> ClientKey | None:
    """The identity a client page's path names, or None for a malformed one."""
    if kind not in KEY_KINDS or not value or len(value) > 300:
        return None
    return ClientKey(kind, value)


def identity_of(entries: Sequence[Assignment]) -> str | None:
    """The identity assign() reads back as one of this client's: its INN, domain or
    address (a name is not one a person types; a malformed INN reads as none)."""
    return next((e.key.value for e in entries if read_identity(e.key.value) == e.key), None)


def may_hand_over(viewer: Viewer, owner: str | None) -> bool:
    """The head hands over any client; a manager only their own."""
    return viewer.is_head or (owner is not None and owner == viewer.id)


def change_lines(changes: Sequence[Change]) -> list[ChangeLine]:
    """`changes` (newest first) with the ones an undo could still apply to marked: not an
    undo itself, not undone already. undo() checks again when pressed."""
    undone = {c.undoes for c in changes if c.undoes is not None}
    return [ChangeLine(c, c.how != UNDO and c.id not in undone) for c in changes]


def request_changes(changes: Iterable[Change], keys: Sequence[ClientKey], row_id: int) -> list[Change]:
    """The changes that moved a request: its client's (by any identity) and its own thread's."""
    wanted = set(keys)
    return [c for c in changes if wanted & set(c.keys) or row_id in c.requests]


def client_rows(rows: Iterable[RequestRow], keys: Sequence[ClientKey]) -> list[RequestRow]:
    """The open requests of the client known by `keys` (its address, domain or INN),
    whoever holds them."""
    wanted = {(k.kind, k.value) for k in keys}
    found = []
    for row in rows:
        address = row.client_address.lower()
        if wanted & {("address", address), ("domain", address.rpartition("@")[2]), ("inn", row.inn or "")}:
            found.append(row)
    return found


def describe(visit: Visit, change: Change) -> str:
    """«Изменение №3: ИНН 3525000001 — Петров → Иванова.»"""
    rules = visit.rules
    who = f"{manager_name(rules, change.previous) or 'никто'} → {manager_name(rules, change.owner) or 'никто'}"
    return f"Изменение №{change.id}: {change.describe_keys() or 'открытые заявки'} — {who}."


def said(visit: Visit, change: Change) -> str:
    """What the pages tell after a change: what was done, and whether the notices went."""
    return describe(visit, change) + " " + (LATER if change.announced_at is None else "Уведомления отправлены.")


def hand_over(visit: Visit, entries: Sequence[Assignment]) -> HandoverResult:
    """The form's «Передать» for the client whose ledger entries are `entries`: checked,
    made (or refused), audited."""
    assert visit.form is not None
    identity = identity_of(entries)
    subject = f"client:{entries[0].key.kind}:{entries[0].key.value}" if entries else ""
    target = str(visit.form.get("target", "")).strip()[:200]
    why = " ".join(str(visit.form.get("why", "")).split())[:WHY_LIMIT]
    if identity is None:
        result = HandoverResult(refusal="у клиента нет ИНН, домена или адреса, по которым его можно передать")
    elif not target:
        result = HandoverResult(refusal="выберите менеджера, которому передать клиента")
    else:
        result = assign(visit.ctx.store, visit.rules, visit.me.id, identity, target, visit.ctx.clock(), why=why,
                        threads=visit.form.get("threads") == "on", holder=None if visit.me.is_head else visit.me.id)  # fmt: skip
    visit.audit("handover", subject, describe(visit, result.change) if result.change else f"отказ: {result.refusal}")
    return result


def undo_change(visit: Visit, change_id: int) -> HandoverResult:
    """The head's «Отменить» of change `change_id`, made (or refused) and audited."""
    result = undo(visit.ctx.store, visit.rules, visit.me.id, change_id, visit.ctx.clock())
    done = result.change
    subject = f"client:{done.keys[0].kind}:{done.keys[0].value}" if done and done.keys else f"change:{change_id}"
    visit.audit("undo", subject, describe(visit, done) if done else f"отказ: {result.refusal}")
    return result


def refusal_text(result: HandoverResult) -> str:
    return f"Не сделано: {result.refusal}. Ничего не изменено."
