"""Kinds of customer the department treats apart: vip, public_sector, segment."""

from __future__ import annotations

import re

from inboxbot.directory.names import normal_form
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.route.reasons import identity_reasons, quoted, who
from inboxbot.rules.forms import fold
from inboxbot.rules.model import Rules, RuleSpec


def cond_vip(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    if not rules.vip:
        return Step(spec.id, False, "список VIP пуст")
    ident = ctx.identity
    client = ident.client
    inns = {x for x in (client.inn if client else None, ident.inn.value if ident.inn else None) if x}
    entry = next((v for v in rules.vip if v.inn and v.inn in inns), None)
    if entry is None and client is not None:
        entry = next((v for v in rules.vip if fold(v.name) == fold(client.name)), None)
    if entry is None:
        what = f"клиент {quoted(client.name)} не в списке VIP" if client else "клиент не опознан"
        return Step(spec.id, False, what)
    owner = spec.owner or entry.owner
    since = f" с {entry.since}" if entry.since else ""
    reasons = [*identity_reasons(ident, rules), f"VIP-клиент{since} (vip.csv, строка {entry.line}) → {who(rules, owner)}"]
    return Match(owner, f"VIP {quoted(entry.name)}", tuple(reasons), client=client.ref() if client else None)


_FIRST_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+")
COMMERCIAL_FORMS = frozenset(
    ["ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "ЧП", "ТОО", "АНО", "ЧОУ", "ЧУЗ", "НОУ", "НКО", "ПК", "КФХ", "LLC", "LTD", "JSC", "GMBH"]
)


def _public_form(name: str | None, legal_form: str | None, spec: RuleSpec) -> str | None:
    """The public-sector legal form or name word a company name starts with, if any."""
    forms = {f.upper() for f in spec.options.get("forms", ())}
    if legal_form and legal_form.upper().replace(" ", "") in forms:
        return legal_form
    if not name:
        return None
    first = _FIRST_WORD.findall(name.strip().lstrip("«\"„"))
    if first and first[0].upper() in forms and first[0].isupper():
        return str(first[0])
    low = fold(name.strip())
    for word in spec.options.get("name_words", ()):
        if low.startswith(fold(word)):
            return str(word)
    return None


def _is_commercial(name: str | None, legal_form: str | None) -> bool:
    if legal_form and legal_form.upper() in COMMERCIAL_FORMS:
        return True
    first = _FIRST_WORD.findall(name or "")
    return bool(first) and first[0].upper() in COMMERCIAL_FORMS and first[0].isupper()


def cond_public_sector(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    owner = spec.owner
    company = facts.company
    label = "госзаказчики"
    if company is not None:
        form = _public_form(company.name, company.legal_form, spec)
        if form is None and company.public_sector:
            form = company.legal_form or "госучреждение"
        if form:
            return Match(
                owner,
                f"{quoted(company.name)} — {form}",
                (f"{quoted(company.name)} — государственное или муниципальное учреждение ({form})", f"{label} → {who(rules, owner)}"),
                client=ctx.identity.client.ref() if ctx.identity.client else None,
            )
    client = ctx.identity.client
    if client is not None and spec.options.get("existing_clients", True):
        form = _public_form(client.name, None, spec)
        if form:
            return Match(
                owner,
                f"клиент {quoted(client.name)} — {form}",
                (
                    *identity_reasons(ctx.identity, rules),
                    f"{quoted(client.name)} — государственное или муниципальное учреждение ({form})",
                    f"{label} → {who(rules, owner)}",
                ),
                client=client.ref(),
            )
    law = facts.purchase_law
    laws = {fold(x).replace(" ", "") for x in spec.options.get("laws", ())}
    if law and fold(law).replace(" ", "") in laws:
        commercial = (company is not None and _is_commercial(company.name, company.legal_form)) or (
            client is not None and _is_commercial(client.name, None)
        )
        if not commercial:
            return Match(
                owner,
                f"закупка по {law}",
                (f"отправитель закупает по {law}", f"{label} → {who(rules, owner)}"),
                client=client.ref() if client else None,
            )
        return Step(spec.id, False, f"упомянут {law}, но отправитель — коммерческая организация (поставщик, а не заказчик)")
    what = f"{quoted(company.name)} — не госучреждение" if company is not None else "организация отправителя не определена"
    return Step(spec.id, False, what + (f"; закупка по {law} — не госзаказ" if law else ""))

def cond_segment(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    owner = spec.owner
    text = fold(f"{msg.subject}\n{facts.new_text or msg.text}")
    words = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", text)]
    for keyword in spec.options.get("keywords", ()):
        wanted = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", fold(keyword))]
        size = len(wanted)
        if size and any(words[i : i + size] == wanted for i in range(len(words) - size + 1)):
            return Match(owner, f"ключевое слово «{keyword}»", (f"в письме «{keyword}» → {who(rules, owner)}",))
    codes = re.findall(r"оквэд\D{0,12}(\d{2}(?:\.\d{1,2}){0,2})", text)
    for code in codes:
        for wanted in spec.options.get("okved", ()):
            if code == wanted or code.startswith(wanted + "."):
                return Match(owner, f"ОКВЭД {code}", (f"ОКВЭД {code} → {who(rules, owner)}",))
    return Step(spec.id, False, "ключевых слов и кодов ОКВЭД правила в письме нет")

