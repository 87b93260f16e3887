"""«передать Сидорову»: the command a head (or a client's owner) writes to the bot in reply
to a forward or a ledger notice, and the manager a person names on the command line.
Pure: the caller passes the reply's own lines (above the quote).

A manager is named by id, by address, or by name in any case and inflection («Сидорову»,
«сидорова», «Алексею Викторовичу», «Сидорову А.В.»): the name is read by route.mentions,
the recogniser of «прошу передать Петрову» in clients' mail, so both read names alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inboxbot.route.mentions import find_mentions
from inboxbot.rules.model import Rules

_COMMAND_RE = re.compile(r"(?i)(?<![а-яё])переда(?:ть|йте|й)\b[ \t]*(?:клиента[ \t]+)?(?P<who>.*)")
_ADDRESS_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD_RE = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")
NO_COMMAND = "в ответе нет команды: напишите, например, «передать Сидорову»"


@dataclass(frozen=True, slots=True)
class HandoverCommand:
    """`target`: the manager id the command names; `refusal`: why none (Russian)."""

    target: str | None
    refusal: str | None


def manager_named(text: str, rules: Rules) -> str | None:
    """The manager `text` names (id, address, or name in any form), or None."""
    value = text.strip().strip("«»\"'.,;:!").strip()
    if not value:
        return None
    folded = value.lower()
    for manager in rules.managers.values():
        if folded in (manager.id.lower(), manager.email.lower()):
            return manager.id
    address = _ADDRESS_RE.search(value)
    if address:
        return next((m.id for m in rules.managers.values() if m.email.lower() == address.group(0).lower()), None)
    # Names as people type them: «сидорову» is «Сидорову» (mentions reads capitalised names).
    capitalised = _WORD_RE.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)
    for candidate in (value, capitalised):
        found = find_mentions(f"передать {candidate}", rules)
        if found and found[0].start == 0:
            return found[0].manager_id
    return None


def read_handover(lines: Sequence[str], rules: Rules) -> HandoverCommand:
    """The command in a reply's own lines: the first «передать …» line."""
    for line in lines:
        found = _COMMAND_RE.search(line)
        if not found:
            continue
        who = found.group("who").strip()
        target = manager_named(who, rules)
        if target is None:
            words = who.split()
            # «передать Сидорову, он в теме»: the name is the first words, not the whole line.
            for size in range(min(len(words), 3), 0, -1):
                target = manager_named(" ".join(words[:size]), rules)
                if target is not None:
                    break
        if target is None:
            return HandoverCommand(None, f"не понятно, кому передать: «{who[:60]}» — нет такого менеджера. "
                                         f"Менеджеры: {managers_list(rules)}")  # fmt: skip
        return HandoverCommand(target, None)
    return HandoverCommand(None, NO_COMMAND)


def managers_list(rules: Rules) -> str:
    return ", ".join(f"{m.name.split()[0]} ({m.id})" for m in rules.managers.values())
