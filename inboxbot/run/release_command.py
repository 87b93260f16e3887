"""The head's reply to a digest of skipped mail, read: which numbers to release, and
whether the sender may. Pure.

Only the department head may release mail, from the head's own address, and only a mail
that passes the one check of mail commands (mail/authentication.py: our receiving
server's Authentication-Results, or one of [department] relays): a forged From is
refused, the head told, and nothing released. The command is read above the quote of
the digest, which itself shows «переслать 2» as an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inboxbot.mail.authentication import sender_verified
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.domains import domain_in
from inboxbot.rules.model import Department, Rules

_COMMAND_RE = re.compile(r"(?i)\bпереслать\s*:?\s*(вс[её]|№?\s*\d+(?:\s*(?:,|;|и|№)?\s*\d+)*)")
# Where the quoted digest begins in a reply's text.
_QUOTE_RE = re.compile(r"(?i)^\s*(>|-{2,}\s*(original message|исходное сообщение|пересылаемое)|.*(писал|пишет|wrote)\S*:\s*$)")
NO_COMMAND = "В ответе нет команды: напишите «переслать 2», «переслать 1, 3» или «переслать все»."


@dataclass(frozen=True, slots=True)
class Command:
    """`numbers`: the numbers asked for (None: all); `refusal`: why nothing is done."""

    numbers: tuple[int, ...] | None
    refusal: str | None


def own_lines(text: str) -> list[str]:
    """A reply's own lines: those above the quote of the mail it answers."""
    lines: list[str] = []
    for line in text.splitlines():
        if _QUOTE_RE.match(line):
            break
        lines.append(line)
    return lines


def own_mail(msg: ParsedMessage, dept: Department, bot_address: str) -> bool:
    """Whether `msg` is the bot's own (from the bot or a shared address, or with one of
    our loop headers): never a command, whatever it says."""
    sender = msg.sender.email.lower() if msg.sender else ""
    return sender in (bot_address.lower(), *dept.shared_addresses) or any(
        msg.header(h) is not None for h in dept.loop_headers
    )


def colleague_to_us(msg: ParsedMessage, dept: Department, bot_address: str) -> str | None:
    """The sender's address when `msg` is a colleague's mail to internal addresses only,
    where a head's command may come from; None for anything else (outside mail, mail
    copied outside, the bot's own)."""
    sender = msg.sender.email.lower() if msg.sender else ""
    if not sender or not domain_in(sender.rpartition("@")[2], dept.internal_domains):
        return None
    if not all(domain_in(a.email.rpartition("@")[2], dept.internal_domains) for a in (*msg.to, *msg.cc)):
        return None
    return None if own_mail(msg, dept, bot_address) else sender


def read_command(text: str) -> Command:
    """The command in a reply's own text (above the quote)."""
    for line in own_lines(text):
        found = _COMMAND_RE.search(line)
        if found:
            what = found.group(1).lower()
            if what in ("все", "всё"):
                return Command(None, None)
            return Command(tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", what))), None)
    return Command((), NO_COMMAND)


def refusal_of_sender(msg: ParsedMessage, rules: Rules) -> str | None:
    """Why the sender of `msg` may not release mail, or None when it may."""
    head = rules.managers.get(rules.department.head)
    sender = msg.sender.email.lower() if msg.sender else ""
    if head is None or sender != head.email.lower():
        who = f" ({head.name})" if head else ""
        return f"Пересылать письма из сводки может только руководитель отдела{who} со своего адреса."
    if not sender_verified(msg, rules.department.auth_server, rules.department.relays):
        return "Письмо не прошло проверку подлинности отправителя (Authentication-Results): команда не выполнена."
    return None


def unknown_numbers(numbers: tuple[int, ...], listed: int) -> str | None:
    """Why `numbers` cannot be carried out in a digest of `listed` mails, or None."""
    if not numbers:
        return NO_COMMAND
    unknown = [n for n in numbers if not 1 <= n <= listed]
    if not unknown:
        return None
    names = ", ".join(str(n) for n in unknown)
    return f"В сводке нет {'номеров' if len(unknown) > 1 else 'номера'} {names}: в ней номера от 1 до {listed}."
