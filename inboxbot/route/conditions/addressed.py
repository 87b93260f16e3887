"""addressed: a manager's personal address in To/Cc, or a greeting by name."""

from __future__ import annotations

import re

from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.reasons import who
from inboxbot.rules.forms import name_tokens
from inboxbot.rules.model import Rules, RuleSpec


def _match_form(text: str, rules: Rules) -> list[tuple[int, str, str]]:
    """(tokens matched, manager id, form) for every manager form found in `text`."""
    tokens = name_tokens(text)
    found: list[tuple[int, str, str]] = []
    for manager_id, forms in rules.name_forms.items():
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


_GREETING = re.compile(
    r"^\s*(?:(?:добрый\s+(?:день|вечер)|доброе\s+утро|здравствуйте|приветствую|привет|dear|hello|hi)[\s,!]+)?"
    r"([A-Za-zА-Яа-яЁё]+(?:[ .]+[A-Za-zА-Яа-яЁё]+){0,2})\s*[,!]",
    re.IGNORECASE,
)


def cond_addressed(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    by_email = {m.email: m.id for m in rules.managers.values() if m.email}
    sender = msg.sender.email if msg.sender else ""
    if spec.options.get("headers", True):
        headers: list[tuple[str, tuple[Address, ...]]] = [("Кому", msg.to), ("Копия", msg.cc)]
        if facts.forwarded_by is not None:
            for inner in msg.forwarded:
                headers += [("Кому", inner.to), ("Копия", inner.cc)]
        for label, addresses in headers:
            for address in addresses:
                owner = by_email.get(address.email)
                if owner and address.email != sender:
                    return Match(
                        owner,
                        f"адрес {address.email} в поле «{label}»",
                        (f"личный адрес менеджера {address.email} в поле «{label}» → {who(rules, owner)}",),
                    )
    if not spec.options.get("greeting", True):
        return Step(spec.id, False, "личных адресов менеджеров в To/Cc нет")
    own_name = set(name_tokens(msg.sender.name)) if msg.sender and msg.sender.name else set()
    candidates: list[tuple[int, str, str, str]] = []
    addressees = [p for p in facts.people if p.role == "addressee" and p.evidence.source not in ("quote", "signature")]
    texts = [(p.text or p.name, p.evidence.describe()) for p in addressees]
    texts += [(p.name, p.evidence.describe()) for p in addressees if p.name and p.name != p.text]
    if not addressees and facts.new_text:
        first = next((line for line in facts.new_text.splitlines() if line.strip()), "")
        greeting = _GREETING.match(first)
        if greeting:
            texts.append((greeting.group(1), "из приветствия"))
    ignored: list[str] = []
    for text, where in texts:
        tokens = set(name_tokens(text))
        if tokens and own_name and tokens <= own_name:
            ignored.append(f"«{text}» — имя самого отправителя")
            continue
        for size, owner, _form in _match_form(text, rules):
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
                (f"обращение «{text}» ({where}) — это {who(rules, owner)}",),
            )
        ctx.notes.append(
            f"обращение «{best[0][2]}» подходит нескольким менеджерам ({', '.join(who(rules, o) for o in owners)})"
        )
        return Step(spec.id, False, f"обращение «{best[0][2]}» неоднозначно: {', '.join(owners)}")
    if ignored:
        return Step(spec.id, False, "; ".join(ignored))
    return Step(spec.id, False, "ни личного адреса менеджера, ни обращения к нему в новом тексте")

