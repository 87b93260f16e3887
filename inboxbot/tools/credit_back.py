"""`inboxbot credit-back`: the head takes a junk lead out of its manager's share of the
pool, so the queue makes it up to them. Recorded in the store (store/*_credits.py);
history.owner_counts leaves the lead out from then on — the month's share, the rolling
window and the caps alike."""

from __future__ import annotations

from datetime import datetime

from inboxbot.errors import InboxbotError
from inboxbot.rules.model import Rules
from inboxbot.store.interfaces import Store


def credit_back(store: Store, rules: Rules, ref: str, reason: str, now: datetime) -> str:
    """Records the credit-back by the department's head; the Russian line to print.
    InboxbotError when the journal has no request assigned under `ref`."""
    credit = store.credits.credit_back(ref, rules.department.head, now, reason.strip())
    if credit is None:
        raise InboxbotError(
            f"в журнале нет заявки с Message-ID «{ref.strip()}», которую бот отдал менеджеру. "
            "Укажите Message-ID письма клиента или пересылки бота (заголовок Message-ID)"
        )
    who = rules.manager_name(credit.owner)
    when = credit.at.astimezone(rules.department.timezone)
    subject = f"«{credit.subject}»" if credit.subject else "без темы"
    queue = f", очередь «{credit.pool}»" if credit.pool else ""
    if not credit.new:
        return f"Заявка {subject} уже списана с доли ({who}{queue}) {when:%d.%m.%Y %H:%M}."
    return f"Заявка {subject} списана с доли: {who}{queue}. Следующие письма очереди это возместят. Записано {when:%d.%m.%Y %H:%M}."
