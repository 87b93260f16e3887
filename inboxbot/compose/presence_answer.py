"""The bot's answer to «сегодня нет: Петров»: what it recorded and where that day's mail
goes, or why nothing changed. Its Message-ID is derived from the command's, so an answer
sent again after a crash collapses with the first."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, bot_name
from inboxbot.compose.headers import POLICY, put_address, put_ascii, put_text, put_thread
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_text
from inboxbot.compose.russian import moscow, ru_date

ANSWER_KIND = "presence-answer"
FORGED_KIND = "presence-forged"


def recorded_text(name: str, absent: str, day: date, today: date, stand_in: str, *, new: bool) -> str:
    """«Записал: Петров Д. С. сегодня (16 июня 2026) не на месте. Его (её) письма за этот
    день получит Сидоров А. В.» — what changed, in the head's words."""
    when = "сегодня" if day == today else "завтра" if (day - today).days == 1 else ""
    when = f"{when} ({ru_date(day)})" if when else ru_date(day)
    first = "Записал" if new else "Уже записано по этому письму"
    return (
        f"{name}, здравствуйте!\n\n{first}: {absent} {when} не на месте.\n"
        f"Письма, которые придут ему (ей) за этот день, получит {stand_in}; {absent} узнает о каждом.\n"
    )


def _when(day: date, today: date) -> str:
    when = "сегодня" if day == today else "завтра" if (day - today).days == 1 else ""
    return f"{when} ({ru_date(day)})" if when else ru_date(day)


def cancelled_text(name: str, back: str, day: date, today: date, *, new: bool) -> str:
    """«Отменил: Петров Д. С. сегодня (16 июня 2026) на месте.» — the day away undone."""
    first = "Отменил" if new else "Уже отменено по этому письму"
    return (
        f"{name}, здравствуйте!\n\n{first}: {back} {_when(day, today)} на месте, запись об отсутствии снята.\n"
        f"Письма, которые придут ему (ей) за этот день, бот снова пересылает ему (ей).\n"
    )


def nothing_to_cancel_text(name: str, back: str, days: Sequence[date], today: date, line: str) -> str:
    said = f"Ваша команда: «{line[:200]}»\n" if line else ""
    when = " и ".join(_when(d, today) for d in days)
    return f"{name}, здравствуйте!\n\nНичего не отменено: {back} — нет записанного отсутствия на {when}.\n{said}"


def refused_text(name: str, reason: str, line: str) -> str:
    said = f"Ваша команда: «{line[:200]}»\n" if line else ""
    return f"{name}, здравствуйте!\n\nНичего не записано: {reason}.\n{said}"


def forged_text(name: str, sender: str, reason: str, line: str) -> str:
    said = f"В письме: «{line[:200]}»\n" if line else ""
    return (f"{name}, здравствуйте!\n\nПришло письмо об отсутствии от имени {sender}, но оно не выполнено: {reason}.\n"
            f"{said}Ничего не изменилось. Если писали не вы — письмо подделано.\n")  # fmt: skip


def compose_presence_answer(
    command_id: str, references: Sequence[str], to: tuple[str, str], subject: str, text: str, ctx: ForwardContext,
    *, now: datetime, kind: str = ANSWER_KIND,
) -> EmailMessage:
    """The answer to the command `command_id`, to `to` (address, name)."""
    address, name = to
    seed = hashlib.sha256(f"{kind}\0{command_id}\0{address}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_address(out, "To", address, name)
    put_text(out, "Subject", subject)
    put_ascii(out, "Date", format_datetime(moscow(now)))
    put_ascii(out, "Message-ID", f"<{kind}.{seed}@{safe_domain(ctx.bot_address.domain)}>")
    put_thread(out, command_id, list(references))
    put_ascii(out, ctx.loop_header, kind)
    put_ascii(out, "Auto-Submitted", "auto-replied")
    put_ascii(out, "MIME-Version", "1.0")
    set_text(out, text)
    return out
