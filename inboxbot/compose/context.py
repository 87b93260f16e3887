"""Who a mail of the bot is from and to, as plain values the composers take. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from inboxbot.compose.headers import HEADER_NAME_RE, clean
from inboxbot.compose.russian import greeting_name
from inboxbot.mail.message import Address

if TYPE_CHECKING:
    from inboxbot.rules.model import Manager

BOT_NAME = "Сортировщик заявок"
DEFAULT_LOOP_HEADER = "X-Inboxbot"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A manager as the mail names them. `away_until` is the last day of an absence,
    shown in the forward to the backup and in the notice (None: not known); `back_at`,
    when the absence ends at a time of day, that moment as the mails say it («18:00» the
    same day, «17.06 12:00» a later one; "" otherwise)."""

    id: str
    name: str
    email: str
    away_until: date | None = None
    back_at: str = ""

    @classmethod
    def of(cls, manager: Manager, away_until: date | None = None, *, back_at: str = "") -> Recipient:
        return cls(manager.id, manager.name, manager.email, away_until, back_at)


@dataclass(frozen=True, slots=True)
class ForwardContext:
    """Everything outside the mail itself that the forward needs, as plain values."""

    department: str
    bot_address: Address
    loop_headers: tuple[str, ...]  # the first is written on every forward and notice
    owner: Recipient
    base_owner: Recipient | None = None  # whose client it is, when `owner` is the backup
    # The address a manager's answer copies so the bot sees it (follow-ups); "" when none.
    shared_address: str = ""

    def __post_init__(self) -> None:
        for name in self.loop_headers:
            if not HEADER_NAME_RE.fullmatch(name):
                raise ValueError(f"loop header name {name!r} is not a valid header field name")

    @property
    def loop_header(self) -> str:
        return self.loop_headers[0] if self.loop_headers else DEFAULT_LOOP_HEADER


def bot_name(ctx: ForwardContext) -> str:
    """The display name of the bot's From."""
    # A name configured for the bot wins; the department name alone ("ТД «Северный
    # Картон»") says nothing in a manager's inbox list, where everyone is from it.
    name = ctx.bot_address.name
    return name if name and name != ctx.department else BOT_NAME


def recipient_view(person: Recipient) -> dict[str, object]:
    """A manager as the templates see them."""
    return {
        "id": person.id,
        "name": clean(person.name, 120),
        "email": person.email,
        "greeting": greeting_name(clean(person.name, 120)),
        "away_until": person.away_until,
        "back_at": person.back_at,
    }
