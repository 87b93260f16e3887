"""Why a request is the reader's, in one or two plain sentences made from the decision's
reasons: the summary at the top of a forward and an absence notice. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.headers import clean
from inboxbot.model.decision import ClientRef, Decision

# Reasons route adds about absences ("Петров в отпуске … → заместитель Иванова",
# "заместители тоже отсутствуют → …") and pool members passed over ("пропущены: …"):
# the banner of the forward says the first, and neither is why the request is the
# recipient's, so the summary leaves them to the full list.
_SIDE_REASON_RE = re.compile(r"заместител|^пропущены:", re.IGNORECASE)


def why_view(decision: Decision, ctx: ForwardContext, reader: Recipient) -> list[str]:
    """The reason trail in one or two plain sentences, addressed to `reader` (their own
    surname at the end of a reason reads "вам"/"вы"). A client of the base led by the
    manager whose request it is: whose client it is and how the bot recognised it.
    Otherwise the deciding reason and the one before it (usually how the client or the
    region was found)."""
    target = ctx.base_owner or ctx.owner
    ref = decision.client
    reasons = [r for r in (clean(r, 500) for r in decision.reasons) if r]
    main = [r for r in reasons if not _SIDE_REASON_RE.search(r)] or reasons
    surname = reader.name.split()[0] if reader.name.split() else ""
    client_line = ""
    if ref is not None:
        if ref.manager == reader.id:
            client_line = "Это ваш клиент по базе клиентов."
        elif ref.manager == target.id:
            client_line = f"Клиента по базе ведёт {clean(target.name, 120)}."
        if client_line:
            how = _recognised_by(main, ref)
            return [client_line, f"Как узнали: {how}."] if how else [client_line]
        # In the base, but another rule decided (VIP, holding, public sector…).
        client_line = f"{clean(ref.name, 200)} есть в базе клиентов."
    if not main:
        return [client_line or f"Правило «{clean(decision.rule, 120)}»."]
    territory = _TERRITORY_RE.fullmatch(main[-2]) if len(main) > 1 and not client_line else None
    if territory and "→" in main[-1]:
        region, how = territory.groups()
        mine = main[-1].endswith(f"→ {surname}")
        whose = "ваша территория" if mine else f"территория, которую ведёт {clean(target.name, 120)}"
        return [f"{region} — {whose}.", f"Регион определён {how}."]
    lead = client_line or (_sentence(main[-2], surname) if len(main) > 1 else "")
    return [s for s in (lead, _sentence(main[-1], surname)) if s]


# route/conditions/territory.py: "регион 63 Самарская область: по ИНН «…», из вложения «…»"
# followed by "Приволжский федеральный округ → Петров" (or "регион 63 → Петров").
_TERRITORY_RE = re.compile(r"регион \d{2} (.+?): (по .+)")


def _recognised_by(reasons: Sequence[str], ref: ClientRef) -> str:
    """How route found the client in the base, from its reasons: "домен отправителя
    kareliafish.ru — клиент … (clients.csv, строка 219)" gives the part before the dash;
    "ООО «…» — клиент из базы (…)" after "ИНН … (из подписи)" gives the INN reason."""
    where = f"строка {ref.line})"
    for index, reason in enumerate(reasons):
        if where not in reason:
            continue
        head = reason.split(" — ", 1)[0].strip()
        if head == clean(ref.name, 500) or head == ref.name:
            return reasons[index - 1] if index > 0 else ""
        return head
    return ""


# route/conditions/ledger.py: "клиент закреплён с 12.06.2026 (первая заявка, очередь «main») → Иванова".
_LEDGER_RE = re.compile(r"клиент закреплён с (\d\d\.\d\d\.\d{4}) \((.+)\) → (.+)")
# route/conditions/repeat.py: "повтор заявки от 12.06 10:14, первая ушла → Иванова".
_REPEAT_RE = re.compile(r"(повтор заявки от .+, первая ушла) → (.+)")


def _sentence(reason: str, surname: str) -> str:
    """A reason fragment as a sentence: capital letter, full stop, the reader's own
    surname at its end turned to the second person ("→ Орлов" → "→ вам")."""
    ledger = _LEDGER_RE.fullmatch(reason)
    repeat = _REPEAT_RE.fullmatch(reason)
    if repeat and surname and repeat.group(2) == surname:
        reason = f"{repeat.group(1)} вам же"
    elif ledger and surname and ledger.group(3) == surname:
        reason = f"клиент закреплён за вами с {ledger.group(1)} ({ledger.group(2)})"
    elif surname:
        name = re.escape(surname)
        reason = re.sub(rf"→ (?:руководитель |заместитель )?{name}$", "→ вам", reason)
        reason = re.sub(rf"— (это )?{name}$", r"— \1вы", reason)
    reason = reason[:1].upper() + reason[1:]
    return reason if reason.endswith((".", "!", "?", "…")) else reason + "."
