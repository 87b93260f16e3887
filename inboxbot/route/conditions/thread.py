"""thread: a reply in a conversation one of our managers already leads."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.facts import Facts
from inboxbot.model.subjects import subject_key
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.identity import is_internal
from inboxbot.route.reasons import who
from inboxbot.rules.forms import fold
from inboxbot.rules.model import Rules
from inboxbot.rules.options import ConditionOptions, option


@dataclass(frozen=True, slots=True)
class ThreadOptions(ConditionOptions):
    subject_fallback: bool = option(True, "bool", what="ответ (Re:) с той же темой от того же адреса")
    manager_replies: bool = option(True, "bool", what="ответ на письмо нашего менеджера")
    ignore_addresses: tuple[str, ...] = option((), "str_list", what="наши адреса, ответ на письма которых — не переписка")


_REPLY_SUBJECT = re.compile(r"^\s*(re|ответ|отв|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)


@condition("thread", ThreadOptions)
def thread(options: ThreadOptions, s: Situation) -> Match | Miss:
    ids = s.msg.thread_ids
    if ids:
        known = s.history.thread_owner(ids)
        if known is not None and known[0] in s.rules.managers:
            owner, mid = known
            return Match(
                owner,
                f"ответ на письмо <{mid}>, переданное {who(s.rules, owner)}",
                (f"ответ в переписке, которую ведёт {who(s.rules, owner)} (исходное письмо бот передал ему/ей ранее)",),
            )
        if options.manager_replies:
            found = _manager_reply(s.msg, s.facts, options, s.rules)
            if isinstance(found, Match):
                return found
            if found:
                return Miss(found)
    is_reply = bool(ids) or bool(_REPLY_SUBJECT.match(s.msg.subject))
    if options.subject_fallback and is_reply and s.msg.sender is not None:
        by_subject = s.history.subject_owner(s.msg.sender.email, s.msg.subject)
        if by_subject is not None and by_subject in s.rules.managers and _REPLY_SUBJECT.match(s.msg.subject):
            return Match(
                by_subject,
                f"тема «{subject_key(s.msg.subject)}» от {s.msg.sender.email} уже передавалась {who(s.rules, by_subject)}",
                (f"ответ «Re:» от того же адреса и с той же темой, что и письмо, которое ведёт {who(s.rules, by_subject)}",),
            )
    if not ids:
        return Miss("не ответ: нет In-Reply-To/References" + (" (одна приставка «Re:» переписки не создаёт)" if is_reply else ""))
    return Miss("ссылки на письма, которые бот не пересылал и не писали наши менеджеры")


def _manager_reply(msg: ParsedMessage, facts: Facts, options: ThreadOptions, rules: Rules) -> Match | str:
    """A reply to a letter one of our managers wrote: a Message-ID of our domain in
    References and that manager's letter (address or full name) in the quote."""
    ours = [mid for mid in msg.thread_ids if is_internal(mid.rpartition("@")[2].lower(), rules)]
    if not ours:
        return ""
    quoted = facts.quoted or msg.text
    low = quoted.lower()
    for address in options.ignore_addresses:
        if address.lower() in low:
            return f"ответ на письмо с {address} — не переписка с менеджером"
    hits: list[tuple[int, str, str]] = []
    for manager in rules.managers.values():
        if manager.email and manager.email in low:
            hits.append((low.index(manager.email), manager.id, f"адрес {manager.email}"))
            continue
        at = _full_name_at(quoted, manager.id, rules)
        if at >= 0:
            hits.append((at, manager.id, f"подпись «{manager.surname}»"))
    if not hits:
        return f"ссылка на наше письмо <{ours[0]}>, но в цитате нет письма менеджера"
    hits.sort()
    _, owner, how = hits[0]
    return Match(
        owner,
        f"ответ на наше письмо <{ours[0]}>, в цитате {how}",
        (f"ответ на письмо нашего менеджера (в цитате {how}) → {who(rules, owner)}",),
    )


def _full_name_at(text: str, manager_id: str, rules: Rules) -> int:
    """Offset of the manager's name written with at least two parts (first name and
    surname, in any order and case), or -1."""
    words = [(m.start(), fold(m.group())) for m in re.finditer(r"[A-Za-zА-Яа-яЁё]+", text)]
    for tokens, _form in rules.name_forms.get(manager_id, ()):
        if len(tokens) < 2:
            continue
        size = len(tokens)
        for i in range(len(words) - size + 1):
            if all(words[i + j][1] in tokens[j] for j in range(size)):
                return words[i][0]
    return -1

