"""«сегодня нет: Петров» — the head's mail to the bot that a manager is not in today (or
tomorrow), optionally with who stands in («замещает Сидорова»). Also «Петров сегодня
отсутствует», «завтра нет: Орлов, замещает Иванова». And its undoing: «Петров на месте»,
«отмена: Петров» (with «сегодня»/«завтра» for one day; without, the first recorded day
from today on). Pure: the caller passes the mail's
own lines (above any quote) and the department's today; names are read as «передать …»
reads them (route/handover_command.py), in any case and inflection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from inboxbot.route.handover_command import managers_list
from inboxbot.route.mentions import find_mentions
from inboxbot.rules.model import Rules

_DAYS = {"сегодня": 0, "завтра": 1}
_FIRST_RE = re.compile(r"(?i)^\s*(?P<when>сегодня|завтра)\s+(?:нет|не\s+будет|отсутству[её]т)\s*[:\-–—]?\s*(?P<who>\S.*)$")
_LAST_RE = re.compile(r"(?i)^\s*(?P<who>\S.*?)\s+(?P<when>сегодня|завтра)\s+(?:отсутству[её]т|нет|не\s+будет)\b(?P<rest>.*)$")
_BACKUP_RE = re.compile(r"(?i)[,;(]?\s*(?:замещает|заменяет|вместо\s+него|вместо\s+неё|заместитель\s*:?)\s+(?P<backup>[^,;()]+)")
# The whole line, so «Петров на месте разберётся» in a colleague's sentence is no command.
_BACK_RE = re.compile(r"(?i)^\s*(?P<who>\S.*?)\s+(?:(?P<when>сегодня|завтра)\s+)?(?:снова\s+)?на\s+месте\s*[.!]*\s*$")
_CANCEL_RE = re.compile(r"(?i)^\s*отмен(?:а|ить|ите)\s*[:\-–—]\s*(?P<who>\S.*?)\s*[.!]*\s*$")
_WHEN_RE = re.compile(r"(?i)(?<![а-яё])(?P<when>сегодня|завтра)(?![а-яё])")
_CASED_RE = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")
HOW = "напишите, например, «сегодня нет: Петров» или «завтра нет: Петров, замещает Сидорова»"


@dataclass(frozen=True, slots=True)
class PresenceCommand:
    """`manager` away on `day`, `backup` standing in (None: the head); `refusal`: why
    nothing is recorded (Russian), with the others None."""

    manager: str | None
    day: date | None
    backup: str | None
    refusal: str | None
    line: str = ""
    cancel: bool = False  # «Петров на месте»: the recorded day away (`day`; None: the first from today) undone


def is_presence_command(lines: Sequence[str]) -> bool:
    """Whether a line reads as «сегодня нет: …» / «… сегодня отсутствует» at all."""
    return any(_FIRST_RE.match(line) or _LAST_RE.match(line) or _cancel_match(line) for line in lines)


def _cancel_match(line: str) -> re.Match[str] | None:
    return _CANCEL_RE.match(line) or _BACK_RE.match(line)


def read_presence(lines: Sequence[str], rules: Rules, today: date) -> PresenceCommand:
    """The first presence command in `lines`, read against the managers of `rules`."""
    for line in lines:
        if (cancel := _cancel_match(line)) is not None:
            return _read_cancel(cancel, line, rules, today)
        found = _FIRST_RE.match(line) or _LAST_RE.match(line)
        if found is None:
            continue
        day = today + timedelta(days=_DAYS[found.group("when").lower()])
        text = found.group("who") + (found.groupdict().get("rest") or "")
        backup_text = None
        if (b := _BACKUP_RE.search(text)) is not None:
            backup_text = b.group("backup").strip(" .!")
            text = (found.group("who") if _LAST_RE.match(line) is found else text[: b.start()])
        who_text = text.strip(" .,;:!")
        manager = _named(who_text, rules)
        if manager is None:
            return PresenceCommand(None, None, None, f"не понятно, кого нет: «{who_text[:60]}» — нет такого менеджера. "
                                                     f"Менеджеры: {managers_list(rules)}", line.strip())  # fmt: skip
        backup = None
        if backup_text:
            backup = _named(backup_text, rules)
            if backup is None:
                return PresenceCommand(None, None, None, f"не понятно, кто замещает: «{backup_text[:60]}» — нет такого "
                                                         f"менеджера. Менеджеры: {managers_list(rules)}", line.strip())  # fmt: skip
            if backup == manager:
                return PresenceCommand(None, None, None, "менеджер не может замещать сам себя: назовите другого "
                                                         "или не называйте никого (тогда письма получит руководитель)", line.strip())  # fmt: skip
        return PresenceCommand(manager, day, backup, None, line.strip())
    return PresenceCommand(None, None, None, f"в письме нет команды: {HOW}")


def _read_cancel(found: re.Match[str], line: str, rules: Rules, today: date) -> PresenceCommand:
    text = found.group("who")
    when = found.groupdict().get("when") or next((m.group("when") for m in _WHEN_RE.finditer(text)), None)
    who_text = _WHEN_RE.sub(" ", text).strip(" .,;:!")
    manager = _named(who_text, rules)
    if manager is None:
        return PresenceCommand(None, None, None, f"не понятно, кто на месте: «{who_text[:60]}» — нет такого менеджера. "
                                                 f"Менеджеры: {managers_list(rules)}", line.strip(), cancel=True)  # fmt: skip
    day = today + timedelta(days=_DAYS[when.lower()]) if when else None
    return PresenceCommand(manager, day, None, None, line.strip(), cancel=True)


def _named(text: str, rules: Rules) -> str | None:
    """The manager `text` names: an id, an address, a surname in any case and form."""
    value = text.strip().strip("«»\"'.,;:!").strip()
    if not value:
        return None
    folded = value.lower()
    for manager in rules.managers.values():
        if folded in (manager.id.lower(), manager.email.lower()):
            return manager.id
    cased = _CASED_RE.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)
    words = cased.split()
    for size in range(min(len(words), 3), 0, -1):
        found = find_mentions(f"передать {' '.join(words[:size])}", rules)
        if found and found[0].start == 0:
            return found[0].manager_id
    return None
