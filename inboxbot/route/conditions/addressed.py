"""addressed: a manager's personal address in To/Cc, a manager named by an addressing
phrase in the subject or the new text («прошу передать Дмитрию Петрову»), or a greeting
by name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inboxbot.mail.message import Address
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.mentions import find_mentions
from inboxbot.route.reasons import who
from inboxbot.rules.forms import name_kind, name_parts, name_tokens
from inboxbot.rules.model import Rules
from inboxbot.rules.options import ConditionOptions, option


@dataclass(frozen=True, slots=True)
class AddressedOptions(ConditionOptions):
    headers: bool = option(True, "bool", what="личный адрес менеджера в To/Cc")
    greeting: bool = option(True, "bool", what="обращение по имени в новом тексте")


def _match_form(text: str, rules: Rules) -> list[tuple[int, str, str]]:
    """(tokens matched, manager id, form) for every manager form found in `text`, unless
    the text names another person with it (`_another_person`)."""
    tokens = name_tokens(text)
    found: list[tuple[int, str, str]] = []
    for manager_id, forms in rules.name_forms.items():
        manager = rules.managers.get(manager_id)
        if manager is not None and _another_person(tokens, manager.name):
            continue
        best: tuple[int, str] | None = None
        for form_tokens, form in forms:
            size = len(form_tokens)
            if size == 0 or size > len(tokens):
                continue
            for i in range(len(tokens) - size + 1):
                if all(tokens[i + j] in form_tokens[j] for j in range(size)):
                    if best is None or size > best[0]:
                        best = (size, form)
                    break
        if best is not None:
            found.append((best[0], manager_id, best[1]))
    return found


def _another_person(tokens: Sequence[str], full_name: str) -> bool:
    """A part of a person's name stands in the text that is not this manager's: «Петрову
    Ивану» is another Петров, «Дмитрию Сидорову» another Дмитрий, «Дмитрий Иванович»
    another Дмитрий. A part counts only when it is written: «Петрову» or «Дмитрий» alone
    still reach the manager."""
    parts = name_parts(full_name)
    if parts is None:
        return False
    own = parts.first | parts.surname | parts.patronymic
    return any(name_kind(t) is not None for t in tokens if t not in own)


_GREETING = re.compile(
    r"^\s*(?:(?:добрый\s+(?:день|вечер)|доброе\s+утро|здравствуйте|приветствую|привет|dear|hello|hi)[\s,!]+)?"
    r"([A-Za-zА-Яа-яЁё]+(?:[ .]+[A-Za-zА-Яа-яЁё]+){0,2})\s*[,!]",
    re.IGNORECASE,
)


@condition("addressed", AddressedOptions)
def addressed(options: AddressedOptions, s: Situation) -> Match | Miss:
    by_email = {m.email: m.id for m in s.rules.managers.values() if m.email}
    sender = s.msg.sender.email if s.msg.sender else ""
    if options.headers:
        headers: list[tuple[str, tuple[Address, ...]]] = [("Кому", s.msg.to), ("Копия", s.msg.cc)]
        if s.facts.forwarded_by is not None:
            for inner in s.msg.forwarded:
                headers += [("Кому", inner.to), ("Копия", inner.cc)]
        for label, addresses in headers:
            for address in addresses:
                owner = by_email.get(address.email)
                if owner and address.email != sender:
                    return Match(
                        owner,
                        f"адрес {address.email} в поле «{label}»",
                        (f"личный адрес менеджера {address.email} в поле «{label}» → {who(s.rules, owner)}",),
                    )
    if not options.greeting:
        return Miss("личных адресов менеджеров в To/Cc нет")
    own_name = set(name_tokens(s.msg.sender.name)) if s.msg.sender and s.msg.sender.name else set()
    named = _named_in_text(s, own_name)
    if named is not None:
        return named
    candidates: list[tuple[int, str, str, str]] = []
    addressees = [p for p in s.facts.people if p.role == "addressee" and p.evidence.source not in ("quote", "signature")]
    texts = [(p.text or p.name, p.evidence.describe()) for p in addressees]
    texts += [(p.name, p.evidence.describe()) for p in addressees if p.name and p.name != p.text]
    if not addressees and s.facts.new_text:
        first = next((line for line in s.facts.new_text.splitlines() if line.strip()), "")
        greeting = _GREETING.match(first)
        if greeting:
            texts.append((greeting.group(1), "из приветствия"))
    ignored: list[str] = []
    for text, where in texts:
        tokens = set(name_tokens(text))
        if tokens and own_name and tokens <= own_name:
            ignored.append(f"«{text}» — имя самого отправителя")
            continue
        for size, owner, _form in _match_form(text, s.rules):
            candidates.append((size, owner, text, where))
    if candidates:
        top = max(c[0] for c in candidates)
        best = [c for c in candidates if c[0] == top]
        owners = list(dict.fromkeys(c[1] for c in best))
        if len(owners) == 1:
            size, owner, text, where = best[0]
            return Match(
                owner,
                f"обращение «{text}»",
                (f"обращение «{text}» ({where}) — это {who(s.rules, owner)}",),
            )
        s.notes.append(
            f"обращение «{best[0][2]}» подходит нескольким менеджерам ({', '.join(who(s.rules, o) for o in owners)})"
        )
        return Miss(f"обращение «{best[0][2]}» неоднозначно: {', '.join(owners)}")
    if ignored:
        return Miss("; ".join(ignored))
    return Miss("ни личного адреса менеджера, ни обращения к нему в новом тексте")


def _named_in_text(s: Situation, own_name: set[str]) -> Match | Miss | None:
    """A manager named by an addressing phrase in the subject or the client's new text
    (never the signature, the quote or a forwarded original): the match, a miss when
    several managers are named, None when none is."""
    own = own_name | {t for p in s.facts.people if p.role == "sender" for t in name_tokens(p.name)}
    mentions = [
        (mention, where)
        for text, where in ((s.msg.subject, "в теме письма"), (s.facts.new_text, "в тексте письма"))
        for mention in find_mentions(text, s.rules, exclude=own)
    ]
    owners = list(dict.fromkeys(m.manager_id for m, _where in mentions))
    if not owners:
        return None
    if len(owners) > 1:
        named = ", ".join(f"«{m.phrase}»" for m, _where in mentions)
        s.notes.append(f"в письме названы несколько менеджеров: {named}")
        return Miss(f"названы несколько менеджеров ({', '.join(who(s.rules, o) for o in owners)})")
    mention, where = mentions[0]
    return Match(
        mention.manager_id,
        f"«{mention.phrase}» {where}",
        (f"«{mention.phrase}» {where} → {who(s.rules, mention.manager_id)}",),
    )
