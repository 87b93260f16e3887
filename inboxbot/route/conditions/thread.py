"""thread: a reply in a conversation one of our managers already leads."""

from __future__ import annotations

import re

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.identity import is_internal
from inboxbot.route.reasons import who
from inboxbot.route.subject import subject_key
from inboxbot.rules.forms import fold
from inboxbot.rules.model import Rules, RuleSpec

_REPLY_SUBJECT = re.compile(r"^\s*(re|ответ|отв|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)


def cond_thread(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ids = msg.thread_ids
    if ids:
        known = history.thread_owner(ids)
        if known is not None and known[0] in rules.managers:
            owner, mid = known
            return Match(
                owner,
                f"ответ на письмо <{mid}>, переданное {who(rules, owner)}",
                (f"ответ в переписке, которую ведёт {who(rules, owner)} (исходное письмо бот передал ему/ей ранее)",),
            )
        if spec.options.get("manager_replies", True):
            found = _manager_reply(msg, facts, spec, rules)
            if isinstance(found, Match):
                return found
            if found:
                return Step(spec.id, False, found)
    is_reply = bool(ids) or bool(_REPLY_SUBJECT.match(msg.subject))
    if spec.options.get("subject_fallback", True) and is_reply and msg.sender is not None:
        by_subject = history.subject_owner(msg.sender.email, msg.subject)
        if by_subject is not None and by_subject in rules.managers and _REPLY_SUBJECT.match(msg.subject):
            return Match(
                by_subject,
                f"тема «{subject_key(msg.subject)}» от {msg.sender.email} уже передавалась {who(rules, by_subject)}",
                (f"ответ «Re:» от того же адреса и с той же темой, что и письмо, которое ведёт {who(rules, by_subject)}",),
            )
    if not ids:
        return Step(spec.id, False, "не ответ: нет In-Reply-To/References" + (" (одна приставка «Re:» переписки не создаёт)" if is_reply else ""))
    return Step(spec.id, False, "ссылки на письма, которые бот не пересылал и не писали наши менеджеры")


def _manager_reply(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules) -> Match | str:
    """A reply to a letter one of our managers wrote: a Message-ID of our domain in
    References and that manager's letter (address or full name) in the quote."""
    ours = [mid for mid in msg.thread_ids if is_internal(mid.rpartition("@")[2].lower(), rules)]
    if not ours:
        return ""
    quoted = facts.quoted or msg.text
    low = quoted.lower()
    for address in spec.options.get("ignore_addresses", ()):
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

