"""The bot's answers to the head's mail commands «сегодня нет: Петров» / «Петров на месте»
(presence_answer.*.j2) and «не в счёт: спам» (credit_answer.*.j2): what it recorded, or
why nothing changed. Templates like every other bot mail, so the head can reword them by
file name. Their Message-ID is derived from the command's, so an answer sent again after
a crash collapses with the first. Pure; the caller passes the clock (`now`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from inboxbot.compose.context import ForwardContext, bot_name
from inboxbot.compose.headers import POLICY, clean, put_address, put_ascii, put_text, put_thread
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_alternative
from inboxbot.compose.russian import moscow, ru_date
from inboxbot.compose.templates import Templates

PRESENCE_TEMPLATES = ("presence_answer.txt.j2", "presence_answer.html.j2")
CREDIT_TEMPLATES = ("credit_answer.txt.j2", "credit_answer.html.j2")
ANSWER_KIND = "presence-answer"
FORGED_KIND = "presence-forged"

# Each answer's `case`; a template branches on it.
RECORDED, CANCELLED, NOTHING_TO_CANCEL, CREDITED, REFUSED, FORGED = (
    "recorded", "cancelled", "nothing_to_cancel", "credited", "refused", "forged")  # fmt: skip
_PRESENCE_VALUES: dict[str, object] = {"absent": "", "when": "", "stand_in": "", "new": True, "days": [],
                                       "reason": "", "line": "", "sender": ""}  # fmt: skip
_CREDIT_VALUES: dict[str, object] = {"subject": "", "who": "", "pool": "", "new": True, "at": "",
                                     "reason": "", "line": "", "sender": ""}  # fmt: skip


def when_text(day: date, today: date) -> str:
    """«сегодня (16 июня 2026)», «завтра (17 июня 2026)», else «18 июня 2026»."""
    when = "сегодня" if day == today else "завтра" if (day - today).days == 1 else ""
    return f"{when} ({ru_date(day)})" if when else ru_date(day)


def presence_view(case: str, name: str, ctx: ForwardContext, **values: object) -> dict[str, object]:
    """The presence answer's values: `case` and whom it greets (`name`, as `person`); by case, `absent`,
    `when`, `stand_in`, `new` (recorded/cancelled), `days` (nothing_to_cancel), `reason`,
    `line` (the command as written), `sender` (forged)."""
    return _view(_PRESENCE_VALUES, case, name, ctx, values)


def credit_view(case: str, name: str, ctx: ForwardContext, **values: object) -> dict[str, object]:
    """The credit-back answer's values: `case` and whom it greets (`name`, as `person`); by case, `subject`,
    `who`, `pool`, `new`, `at` (credited), `reason`, `line`, `sender` (refused, forged)."""
    return _view(_CREDIT_VALUES, case, name, ctx, values)


def _view(defaults: dict[str, object], case: str, name: str, ctx: ForwardContext,
          values: dict[str, object]) -> dict[str, object]:  # fmt: skip
    unknown = set(values) - set(defaults)
    if unknown:
        raise TypeError(f"unknown answer values: {', '.join(sorted(unknown))}")
    view = {**defaults, **values, "case": case, "person": clean(name, 120), "department": ctx.department,
            "bot_name": bot_name(ctx)}  # fmt: skip
    view["line"] = clean(str(view["line"]), 200)
    return view


def compose_presence_answer(
    command_id: str, references: Sequence[str], to: tuple[str, str], subject: str, view: dict[str, object],
    ctx: ForwardContext, templates: Templates, *, now: datetime, kind: str = ANSWER_KIND,
    names: tuple[str, str] = PRESENCE_TEMPLATES,
) -> EmailMessage:
    """The answer to the command `command_id`, to `to` (address, name), rendered from
    `names` (text, HTML) with `view`."""
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
    set_alternative(out, templates.render(names[0], **view), templates.render(names[1], **view))
    return out
