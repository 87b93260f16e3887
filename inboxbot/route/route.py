"""(ParsedMessage, Facts, Rules, History) → Decision with a trail. Pure: no I/O, no clock.

Each condition named in rules.toml is a function here, found by name in `CONDITIONS`.
A condition returns a `Match` (the owner and why) or a `Step` that did not match (and
why not). Rules are tried in order and the first match decides; every rule tried is kept
in `Decision.trail`. Whoever is chosen, the absence substitution runs last.

Who the sender is (a client from the base, found by INN, domain or name) is worked out
once per mail in `Identity` and shared by the client, VIP, public-sector and group rules,
so all of them agree on it — and so does the explanation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from inboxbot.directory.client import Client
from inboxbot.directory.clients import NameLookup
from inboxbot.directory.holdings import Group, find_group_mentions
from inboxbot.directory.names import normal_form
from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.model.decision import ClientRef, Decision, Step
from inboxbot.model.domains import domain_in, normalize_domain
from inboxbot.model.facts import Facts, Requisite
from inboxbot.model.requisites import is_valid_inn
from inboxbot.model.subjects import REPLY_SUBJECT, subject_key
from inboxbot.rules.rules import (
    CONDITIONS as CONDITION_OPTIONS,
)
from inboxbot.rules.rules import (
    DISTRICTS,
    Absence,
    Rules,
    RuleSpec,
    absence_chain,
    fold,
    name_tokens,
    region_info,
)

ABSENCE_RULE = "absence_backup"
NO_RULE = "no_rule"
FORWARDING = ("forward", "tag", "forward_and_tag")


class History(Protocol):
    """What routing reads of the past; inboxbot.store.journal.Journal implements it."""

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None: ...

    def subject_owner(self, sender: str, subject: str) -> str | None: ...

    def last_pool_owner(self, pool: str) -> str | None: ...

    def owner_counts(self, since: datetime, *, pool: str | None = None) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class Match:
    """A condition that decided: the owner (None with action skip/triage) and why."""

    owner: str | None
    detail: str
    reasons: tuple[str, ...] = ()
    action: str | None = None
    client: ClientRef | None = None
    pool: str | None = None


# --- who writes: the client in the base ------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """The sender's company as the client base knows it. Reliability: INN > domain > name."""

    inn: Requisite | None = None
    by_inn: Client | None = None
    domain: str | None = None
    domain_clients: tuple[Client, ...] = ()
    by_domain: Client | None = None
    domain_note: str = ""
    name_query: str | None = None
    names: NameLookup | None = None

    @property
    def new_inn(self) -> bool:
        """A valid INN of the sender that the base does not know: a new company."""
        return self.inn is not None and self.by_inn is None

    @property
    def by_name(self) -> Client | None:
        if self.names is None or self.names.best is None or self.names.ambiguous:
            return None
        return self.names.best.client

    @property
    def client(self) -> Client | None:
        if self.by_inn is not None:
            return self.by_inn
        if self.new_inn:
            return None
        return self.by_domain or self.by_name

    @property
    def how(self) -> str | None:
        if self.by_inn is not None:
            return "inn"
        if self.new_inn:
            return None
        if self.by_domain is not None:
            return "domain"
        return "name" if self.by_name is not None else None


def sender_inn(facts: Facts) -> Requisite | None:
    """The sender's own valid INN: the company's, or a lone labelled INN that belongs to no
    mentioned company (not from a quote, where our own requisites may stand)."""
    if facts.inn is not None and is_valid_inn(facts.inn.value):
        return facts.inn
    if facts.company is not None and facts.company.inn and is_valid_inn(facts.company.inn):
        for req in facts.requisites:
            if req.kind == "inn" and req.value == facts.company.inn:
                return req
    others = {c.inn for c in facts.mentioned_companies if c.inn}
    if facts.company is not None and facts.company.inn:
        return None
    for req in facts.requisites:
        if req.kind == "inn" and req.value not in others and req.evidence.source != "quote" and is_valid_inn(req.value):
            return req
    return None


def sender_domain(msg: ParsedMessage, facts: Facts, rules: Rules) -> str | None:
    address = facts.client_address or msg.sender
    if address is None or "@" not in address.email:
        return None
    domain = normalize_domain(address.domain)
    if _is_internal(domain, rules):
        return None
    return domain


def _is_internal(domain: str, rules: Rules) -> bool:
    return domain_in(domain, rules.department.internal_domains)


def identify(msg: ParsedMessage, facts: Facts, rules: Rules) -> Identity:
    base = rules.clients
    inn = sender_inn(facts)
    by_inn = base.by_inn(inn.value) if inn is not None else None
    domain = sender_domain(msg, facts, rules)
    domain_clients: tuple[Client, ...] = base.by_domain(domain) if domain else ()
    name_query = facts.company.name if facts.company is not None and facts.company.name else None
    names: NameLookup | None = None
    if name_query:
        region = facts.region.code if facts.region is not None else None
        names = base.by_name(name_query, region_code=region)
    by_domain, note = _domain_client(domain, domain_clients, names, rules)
    return Identity(inn, by_inn, domain, domain_clients, by_domain, note, name_query, names)


def _domain_client(
    domain: str | None, clients: tuple[Client, ...], names: NameLookup | None, rules: Rules
) -> tuple[Client | None, str]:
    """The one client a sender domain stands for, if it stands for one. A domain shared by
    an independent holding's companies does not name a client by itself."""
    if not domain or not clients:
        return None, ""
    shared_group = next(
        (g for g in rules.groups if g.policy == "independent" and domain_in(domain, g.domains)), None
    )
    named = {m.client for m in names.candidates} if names is not None else set()
    if len(clients) == 1 and shared_group is None:
        return clients[0], ""
    among = [c for c in clients if c in named]
    if len(among) == 1:
        return among[0], f"домен {domain} общий для {len(clients)} клиентов, выбран по названию"
    managers = {c.manager for c in clients}
    groups = {c.group for c in clients}
    independent = shared_group is not None or any(
        g.policy == "independent" for g in rules.groups if g.name in groups
    )
    if len(managers) == 1 and not independent:
        return clients[0], f"домен {domain} общий для {len(clients)} клиентов одного менеджера"
    who = f"холдинга «{shared_group.name}»" if shared_group else "разных менеджеров"
    return None, f"домен {domain} общий для компаний {who} — сам по себе клиента не определяет"


# --- per-mail context -------------------------------------------------------------------


@dataclass
class Context:
    """What a decision computes once and every condition may read."""

    msg: ParsedMessage
    facts: Facts
    rules: Rules
    moment: datetime | None  # when the mail was sent (Date), else when it arrived
    moment_source: str
    received_at: datetime | None
    notes: list[str] = field(default_factory=list)
    _identity: Identity | None = None

    @property
    def day(self) -> date | None:
        if self.moment is None:
            return None
        return self.moment.astimezone(self.rules.department.timezone).date()

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = identify(self.msg, self.facts, self.rules)
        return self._identity

    @property
    def clock(self) -> datetime | None:
        """The bot's own time, for windows and caps (the Date header may be old)."""
        return self.received_at or self.moment


Condition = Callable[[ParsedMessage, Facts, RuleSpec, Rules, History, Context], "Match | Step"]


# --- helpers for reasons ------------------------------------------------------------------


def _who(rules: Rules, manager_id: str | None) -> str:
    return rules.manager_name(manager_id)


def _q(name: str | None) -> str:
    """A company name in «» unless it already carries them."""
    if not name:
        return "«—»"
    if "«" in name or "\"" in name or re.match(r"(ИП|IP)\s", name):
        return name
    return f"«{name}»"


def _client_where(client: Client) -> str:
    return f"{client.file}, строка {client.line}"


def _inn_reason(req: Requisite) -> str:
    label = "ИНН" if len(req.value) == 10 else "ИНН ИП"
    return f"{label} {req.value} ({req.evidence.describe()})"


def _owner_of_client(client: Client, rules: Rules) -> str | None:
    return client.manager if client.manager in rules.managers else None


def _no_manager(client: Client) -> str:
    if not client.manager:
        return f"у клиента {_q(client.name)} ({_client_where(client)}) не указан менеджер"
    return f"менеджер «{client.manager}» клиента {_q(client.name)} ({_client_where(client)}) не описан в правилах"


def _region_words(code: str | None) -> str:
    info = region_info(code)
    name = getattr(info, "name", "") if info is not None else ""
    return f"{code} {name}".strip() if code else "—"


# --- conditions ---------------------------------------------------------------------------


def cond_not_a_request(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    from inboxbot.mail.classify import classify

    dept = rules.department
    verdict = classify(
        msg,
        internal_domains=dept.internal_domains,
        bot_addresses=(dept.bot_address,) if dept.bot_address else (),
        loop_headers=dept.loop_headers,
        shared_addresses=dept.shared_addresses,
    )
    if verdict.is_request:
        return Step(spec.id, False, verdict.reason or "похоже на живое письмо с просьбой")
    return Match(None, verdict.reason, (verdict.reason,))




def cond_thread(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ids = msg.thread_ids
    if ids:
        known = history.thread_owner(ids)
        if known is not None and known[0] in rules.managers:
            owner, mid = known
            return Match(
                owner,
                f"ответ на письмо <{mid}>, переданное {_who(rules, owner)}",
                (f"ответ в переписке, которую ведёт {_who(rules, owner)} (исходное письмо бот передал ему/ей ранее)",),
            )
        if spec.options.get("manager_replies", True):
            found = _manager_reply(msg, facts, spec, rules)
            if isinstance(found, Match):
                return found
            if found:
                return Step(spec.id, False, found)
    is_reply = bool(ids) or bool(REPLY_SUBJECT.match(msg.subject))
    if spec.options.get("subject_fallback", True) and is_reply and msg.sender is not None:
        by_subject = history.subject_owner(msg.sender.email, msg.subject)
        if by_subject is not None and by_subject in rules.managers and REPLY_SUBJECT.match(msg.subject):
            return Match(
                by_subject,
                f"тема «{subject_key(msg.subject)}» от {msg.sender.email} уже передавалась {_who(rules, by_subject)}",
                (f"ответ «Re:» от того же адреса и с той же темой, что и письмо, которое ведёт {_who(rules, by_subject)}",),
            )
    if not ids:
        return Step(spec.id, False, "не ответ: нет In-Reply-To/References" + (" (одна приставка «Re:» переписки не создаёт)" if is_reply else ""))
    return Step(spec.id, False, "ссылки на письма, которые бот не пересылал и не писали наши менеджеры")


def _manager_reply(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules) -> Match | str:
    """A reply to a letter one of our managers wrote: a Message-ID of our domain in
    References and that manager's letter (address or full name) in the quote."""
    ours = [mid for mid in msg.thread_ids if _is_internal(mid.rpartition("@")[2].lower(), rules)]
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
        (f"ответ на письмо нашего менеджера (в цитате {how}) → {_who(rules, owner)}",),
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
                        (f"личный адрес менеджера {address.email} в поле «{label}» → {_who(rules, owner)}",),
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
                (f"обращение «{text}» ({where}) — это {_who(rules, owner)}",),
            )
        ctx.notes.append(
            f"обращение «{best[0][2]}» подходит нескольким менеджерам ({', '.join(_who(rules, o) for o in owners)})"
        )
        return Step(spec.id, False, f"обращение «{best[0][2]}» неоднозначно: {', '.join(owners)}")
    if ignored:
        return Step(spec.id, False, "; ".join(ignored))
    return Step(spec.id, False, "ни личного адреса менеджера, ни обращения к нему в новом тексте")


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
        what = f"клиент {_q(client.name)} не в списке VIP" if client else "клиент не опознан"
        return Step(spec.id, False, what)
    owner = spec.owner or entry.owner
    since = f" с {entry.since}" if entry.since else ""
    reasons = [*_identity_reasons(ident, rules), f"VIP-клиент{since} (vip.csv, строка {entry.line}) → {_who(rules, owner)}"]
    return Match(owner, f"VIP {_q(entry.name)}", tuple(reasons), client=client.ref() if client else None)


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
                f"{_q(company.name)} — {form}",
                (f"{_q(company.name)} — государственное или муниципальное учреждение ({form})", f"{label} → {_who(rules, owner)}"),
                client=ctx.identity.client.ref() if ctx.identity.client else None,
            )
    client = ctx.identity.client
    if client is not None and spec.options.get("existing_clients", True):
        form = _public_form(client.name, None, spec)
        if form:
            return Match(
                owner,
                f"клиент {_q(client.name)} — {form}",
                (
                    *_identity_reasons(ctx.identity, rules),
                    f"{_q(client.name)} — государственное или муниципальное учреждение ({form})",
                    f"{label} → {_who(rules, owner)}",
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
                (f"отправитель закупает по {law}", f"{label} → {_who(rules, owner)}"),
                client=client.ref() if client else None,
            )
        return Step(spec.id, False, f"упомянут {law}, но отправитель — коммерческая организация (поставщик, а не заказчик)")
    what = f"{_q(company.name)} — не госучреждение" if company is not None else "организация отправителя не определена"
    return Step(spec.id, False, what + (f"; закупка по {law} — не госзаказ" if law else ""))


def _identity_reasons(ident: Identity, rules: Rules) -> list[str]:
    client = ident.client
    if client is None:
        return []
    where = _client_where(client)
    if ident.how == "inn" and ident.inn is not None:
        return [_inn_reason(ident.inn), f"{_q(client.name)} — клиент из базы ({where})"]
    if ident.how == "domain":
        extra = f"; {ident.domain_note}" if ident.domain_note else ""
        return [f"домен отправителя {ident.domain} — клиент {_q(client.name)} ({where}){extra}"]
    if ident.how == "name" and ident.names is not None and ident.names.best is not None:
        best = ident.names.best
        return [f"название {_q(ident.name_query)} в письме ≈ {_q(best.matched)} — клиент из базы ({where})"]
    return []


def _client_match(client: Client, spec: RuleSpec, rules: Rules, ident: Identity, detail: str) -> Match | Step:
    owner = _owner_of_client(client, rules)
    if owner is None:
        return Step(spec.id, False, _no_manager(client))
    reasons = (*_identity_reasons(ident, rules), f"менеджер клиента — {_who(rules, owner)}")
    return Match(owner, detail, reasons, client=client.ref())


def cond_client_inn(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.inn is None:
        return Step(spec.id, False, "действительного ИНН отправителя в письме нет")
    if ident.by_inn is None:
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания")
    client = ident.by_inn
    return _client_match(client, spec, rules, replace(ident, domain_note=""), f"ИНН {ident.inn.value} → {_q(client.name)}")


def cond_client_domain(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.domain is None:
        return Step(spec.id, False, "адрес отправителя на бесплатной почте или внутренний")
    if ident.new_inn and ident.inn is not None:
        if ident.domain_clients:
            ctx.notes.append(
                f"домен {ident.domain} знаком по базе, но ИНН {ident.inn.value} в базе нет — это новая компания"
            )
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания, домен не решает")
    if rules.clients.is_free_mail(ident.domain):
        return Step(spec.id, False, f"{ident.domain} — бесплатная почта, компанию не определяет")
    if ident.by_domain is None:
        if ident.domain_note:
            ctx.notes.append(ident.domain_note)
            return Step(spec.id, False, ident.domain_note)
        return Step(spec.id, False, f"домена {ident.domain} в базе нет")
    identity = Identity(domain=ident.domain, by_domain=ident.by_domain, domain_note=ident.domain_note)
    return _client_match(ident.by_domain, spec, rules, identity, f"домен {ident.domain} → {_q(ident.by_domain.name)}")


def cond_client_name(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    ident = ctx.identity
    if ident.name_query is None:
        return Step(spec.id, False, "название компании отправителя не найдено")
    if ident.new_inn and ident.inn is not None:
        return Step(spec.id, False, f"ИНН {ident.inn.value} в базе нет — новая компания, название не решает")
    names = ident.names
    if names is None or names.best is None:
        return Step(spec.id, False, f"{_q(ident.name_query)} в базе клиентов не найдено")
    if names.ambiguous:
        close = [m for m in names.candidates if m.score >= names.candidates[0].score - 5][:3]
        listed = "; ".join(f"{_q(m.client.name)} ({m.client.city or m.client.region_code or '—'}, {_client_where(m.client)})" for m in close)
        note = f"название {_q(ident.name_query)} подходит нескольким клиентам: {listed}"
        choice = spec.options.get("on_ambiguous", "next")
        if choice == "triage":
            return Match(None, note, (note, "нужно решить вручную"), action="triage")
        if choice == "head":
            head = rules.department.head
            return Match(head, note, (note, f"неоднозначно → руководитель {_who(rules, head)}"))
        ctx.notes.append(note)
        return Step(spec.id, False, note)
    client = names.best.client
    identity = Identity(name_query=ident.name_query, names=names)
    return _client_match(client, spec, rules, identity, f"{_q(ident.name_query)} ≈ {_q(names.best.matched)} ({names.best.score:.0f})")


_MEMBERSHIP = re.compile(
    r"вход(?:им|ит|ят|ящ\w*)|в\s+состав\w*|дочерн\w*|предприяти\w+\s+(?:групп|холдинг)\w*|"
    r"компани\w+\s+(?:групп|холдинг)\w*|групп\w*\s+компаний|\bГК\b|холдинг\w*|member of|part of|subsidiary",
    re.IGNORECASE,
)


def cond_group(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    if not rules.groups:
        return Step(spec.id, False, "холдинги не описаны")
    ident = ctx.identity
    if ident.client is not None:
        return Step(spec.id, False, f"{_q(ident.client.name)} уже есть в базе — это не новая компания группы")
    found: list[tuple[Group, str]] = []
    company = facts.company
    if company is not None and company.name:
        found += [(g, f"«{text}» в названии {_q(company.name)}") for g, text in find_group_mentions(company.name, rules.groups)]
    domain = ident.domain
    if domain:
        for group in rules.groups:
            if domain_in(domain, group.domains):
                found.append((group, f"домен группы {domain}"))
        groups_of_domain = {c.group for c in ident.domain_clients if c.group}
        if len(groups_of_domain) == 1:
            name = next(iter(groups_of_domain))
            of_domain = next((g for g in rules.groups if g.name.casefold() == name.casefold()), None)
            if of_domain is not None:
                found.append((of_domain, f"домен {domain} — домен компаний группы"))
    if spec.options.get("text_mentions", True):
        text = "\n".join(t for t in (facts.new_text, facts.signature) if t)
        for group, matched in find_group_mentions(text, rules.groups):
            at = text.find(matched)
            window = text[max(0, at - 80) : at + len(matched) + 40]
            if _MEMBERSHIP.search(window):
                found.append((group, f"в письме: «{_sentence(text, at)}»"))
    if not found:
        return Step(spec.id, False, "принадлежность к холдингу не видна")
    for group, how in found:
        if group.policy == "one_owner" and group.owner in rules.managers:
            return Match(
                group.owner,
                f"группа «{group.name}»: {how}",
                (
                    *([_inn_reason(ident.inn), f"ИНН {ident.inn.value} в базе нет — новая компания"] if ident.inn else []),
                    f"компания группы «{group.name}» ({how})",
                    f"группа «{group.name}», политика «один владелец» → {_who(rules, group.owner)}",
                ),
            )
    group, how = found[0]
    ctx.notes.append(f"группа «{group.name}» независимая: новая компания идёт как любой новый клиент")
    return Step(spec.id, False, f"группа «{group.name}» ({how}) независимая — дальше по территории")


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind("\n", 0, at), text.rfind(". ", 0, at)) + 1
    end_candidates = [i for i in (text.find("\n", at), text.find(". ", at)) if i >= 0]
    end = min(end_candidates) if end_candidates else len(text)
    return text[start:end].strip()[:120]


def cond_segment(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    owner = spec.owner
    text = fold(f"{msg.subject}\n{facts.new_text or msg.text}")
    words = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", text)]
    for keyword in spec.options.get("keywords", ()):
        wanted = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", fold(keyword))]
        size = len(wanted)
        if size and any(words[i : i + size] == wanted for i in range(len(words) - size + 1)):
            return Match(owner, f"ключевое слово «{keyword}»", (f"в письме «{keyword}» → {_who(rules, owner)}",))
    codes = re.findall(r"оквэд\D{0,12}(\d{2}(?:\.\d{1,2}){0,2})", text)
    for code in codes:
        for wanted in spec.options.get("okved", ()):
            if code == wanted or code.startswith(wanted + "."):
                return Match(owner, f"ОКВЭД {code}", (f"ОКВЭД {code} → {_who(rules, owner)}",))
    return Step(spec.id, False, "ключевых слов и кодов ОКВЭД правила в письме нет")


def client_region(ctx: Context) -> tuple[str | None, str | None, str]:
    """(region code, district, how it was found) of the sender."""
    client = ctx.identity.client
    if client is not None and client.region_code:
        info = region_info(client.region_code)
        return client.region_code, getattr(info, "district", None), f"регион клиента из базы ({_client_where(client)})"
    region = ctx.facts.region
    if region is not None and region.code:
        district = region.district or getattr(region_info(region.code), "district", None)
        return region.code, district, _region_how(region)
    return None, None, ""


_HOW_WORDS = {
    "inn": "по ИНН",
    "kpp": "по КПП",
    "ogrn": "по ОГРН",
    "address": "по адресу",
    "city": "по городу",
    "phone": "по коду телефона",
    "domain": "по домену",
    "client_base": "по базе клиентов",
}


def _region_how(region: Any) -> str:
    how = str(_HOW_WORDS.get(region.how, region.how))
    if region.evidence is not None and region.evidence.text:
        return f"{how} «{region.evidence.text.strip()[:60]}», {region.evidence.describe()}"
    return how


def cond_territory(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    territory = rules.territory
    code, district, how = client_region(ctx)
    if territory.cities:
        places = " ".join(
            t for t in (facts.region.evidence.text if facts.region and facts.region.evidence else "", facts.signature) if t
        )
        for city, owner in territory.cities.items():
            if re.search(r"(?<![а-яёa-z])" + re.escape(fold(city)), fold(places)):
                return Match(owner, f"город {city}", (f"город {city} → {_who(rules, owner)}",))
    if code:
        region_name = _region_words(code)
        if code in territory.regions:
            owner = territory.regions[code]
            return Match(owner, f"регион {region_name}", (f"регион {region_name}: {how}", f"регион {code} → {_who(rules, owner)}"))
        if district and district in territory.districts:
            owner = territory.districts[district]
            return Match(
                owner,
                f"регион {region_name}, {district}",
                (f"регион {region_name}: {how}", f"{DISTRICTS.get(district, district)} → {_who(rules, owner)}"),
            )
        return Step(spec.id, False, f"регион {region_name} ни за кем не закреплён")
    country = facts.country or (facts.company.country if facts.company else None)
    if country and fold(country) not in ("ru", "rus", "россия", "russia") and territory.foreign:
        owner = territory.foreign
        return Match(
            owner,
            f"иностранная компания ({country})",
            (f"иностранная компания ({country}), российской регистрации нет", f"иностранные клиенты → {_who(rules, owner)}"),
        )
    return Step(spec.id, False, "регион отправителя не определён")


def cond_pool(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    pool = rules.pool
    if pool is None or not pool.members:
        return Step(spec.id, False, "пул не настроен")
    day = ctx.day
    clock = ctx.clock
    skipped: list[str] = []
    eligible: list[str] = []
    day_counts: dict[str, int] = {}
    month_counts: dict[str, int] = {}
    if clock is not None and any(rules.managers[m].daily_cap or rules.managers[m].monthly_cap for m in pool.members):
        local = clock.astimezone(rules.department.timezone)
        start_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        day_counts = history.owner_counts(start_day, pool=pool.name)
        month_counts = history.owner_counts(start_day.replace(day=1), pool=pool.name)
    for member in pool.members:
        manager = rules.managers[member]
        absence = rules.absence_on(member, day) if day else None
        if absence is not None:
            skipped.append(f"{manager.surname} {absence.reason} до {absence.end:%d.%m}")
        elif manager.duty and day is not None and day.weekday() not in manager.duty:
            skipped.append(f"{manager.surname} не дежурит в этот день")
        elif manager.daily_cap and day_counts.get(member, 0) >= manager.daily_cap:
            skipped.append(f"{manager.surname}: дневной лимит {manager.daily_cap} исчерпан")
        elif manager.monthly_cap and month_counts.get(member, 0) >= manager.monthly_cap:
            skipped.append(f"{manager.surname}: месячный лимит {manager.monthly_cap} исчерпан")
        else:
            eligible.append(member)
    if not eligible:
        return Step(spec.id, False, "в пуле сейчас никого: " + "; ".join(skipped))
    last = history.last_pool_owner(pool.name)
    order = _round_robin_order(pool.members, last)
    ranked = [m for m in order if m in eligible]
    if pool.method == "round_robin":
        owner = ranked[0]
        how = f"предыдущее письмо получил(а) {_who(rules, last)}, следующий по кругу" if last in pool.members else "первый по кругу"
    else:
        since = (clock or datetime.min) - timedelta(days=pool.window_days) if clock else datetime(1970, 1, 1).astimezone()
        counts = history.owner_counts(since, pool=pool.name if pool.method == "weighted" else None)
        if pool.method == "weighted":
            owner = min(ranked, key=lambda m: (counts.get(m, 0) + 1) / rules.managers[m].weight)
            how = f"по весам: {counts.get(owner, 0)} писем из пула за {pool.window_days} дн., вес {rules.managers[owner].weight:g}"
        else:
            owner = min(ranked, key=lambda m: counts.get(m, 0))
            how = f"меньше всех писем за {pool.window_days} дн. ({counts.get(owner, 0)})"
    reasons = ["ни клиента, ни региона определить не удалось", f"очередь «{pool.name}»: {how} → {_who(rules, owner)}"]
    if skipped:
        reasons.append("пропущены: " + "; ".join(skipped))
    return Match(owner, f"очередь «{pool.name}» → {owner}", tuple(reasons), pool=pool.name)


def _round_robin_order(members: Sequence[str], last: str | None) -> list[str]:
    if last is None or last not in members:
        return list(members)
    i = list(members).index(last) + 1
    return [*members[i:], *members[:i]]


def cond_fallback(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    owner = spec.owner
    if owner is None:
        return Match(None, "на ручной разбор", ("ни одно правило не подошло — письмо оставлено на ручной разбор",), action="triage")
    return Match(owner, f"по умолчанию → {owner}", (f"ни одно правило не подошло → {_who(rules, owner)}",))


CONDITIONS: Mapping[str, Condition] = {
    "not_a_request": cond_not_a_request,
    "thread": cond_thread,
    "addressed": cond_addressed,
    "vip": cond_vip,
    "public_sector": cond_public_sector,
    "client_inn": cond_client_inn,
    "client_domain": cond_client_domain,
    "client_name": cond_client_name,
    "group": cond_group,
    "segment": cond_segment,
    "territory": cond_territory,
    "pool": cond_pool,
    "fallback": cond_fallback,
}
assert set(CONDITIONS) == set(CONDITION_OPTIONS), "route.CONDITIONS and rules.CONDITIONS must name the same conditions"


# --- the decision ---------------------------------------------------------------------------


def mail_moment(msg: ParsedMessage, received_at: datetime | None) -> tuple[datetime | None, str]:
    """When the mail counts as sent: its Date header, else when it was received."""
    if msg.date is not None:
        return msg.date, "Date"
    if received_at is not None:
        return received_at, "received"
    return None, ""


def decide(
    msg: ParsedMessage, facts: Facts, rules: Rules, history: History, *, received_at: datetime | None = None
) -> Decision:
    """The first matching rule decides; the absence substitution runs on its owner."""
    moment, source = mail_moment(msg, received_at)
    ctx = Context(msg, facts, rules, moment, source, received_at)
    trail: list[Step] = []
    for spec in rules.rules:
        if not spec.enabled:
            trail.append(Step(spec.id, False, "правило выключено (enabled = false)"))
            continue
        result = CONDITIONS[spec.when](msg, facts, spec, rules, history, ctx)
        if isinstance(result, Step):
            trail.append(result)
            continue
        if result.owner is not None and result.owner not in rules.managers:
            trail.append(Step(spec.id, False, f"менеджер «{result.owner}» не описан в правилах"))
            continue
        trail.append(Step(spec.id, True, result.detail))
        return _finish(result, spec, ctx, trail)
    reason = "ни одно правило не подошло — письмо оставлено на ручной разбор"
    trail.append(Step(NO_RULE, True, reason))
    return Decision(action="triage", owner=None, rule=NO_RULE, reasons=(*ctx.notes, reason), trail=tuple(trail))


def _finish(match: Match, spec: RuleSpec, ctx: Context, trail: list[Step]) -> Decision:
    action = match.action or spec.action
    if action == "skip":
        return Decision(action="skip", owner=None, rule=spec.id, reasons=match.reasons, trail=tuple(trail))
    owner = match.owner if action != "triage" else None
    client = match.client
    if client is None and ctx.identity.client is not None:
        client = ctx.identity.client.ref()
    reasons = [*ctx.notes, *match.reasons]
    decision = Decision(
        action=action,
        owner=owner,
        rule=spec.id,
        reasons=tuple(dict.fromkeys(reasons)),
        trail=tuple(trail),
        client=client,
        pool=match.pool,
    )
    if owner is None or action not in FORWARDING:
        return decision
    return _absence(decision, ctx, trail)


def _absence(decision: Decision, ctx: Context, trail: list[Step]) -> Decision:
    rules = ctx.rules
    day = ctx.day
    owner = decision.owner
    if day is None or owner is None:
        return decision
    substitute, chain = absence_chain(rules, owner, day)
    if not chain:
        return decision
    reasons = list(decision.reasons)
    for absence in chain:
        reasons.append(_absence_reason(rules, absence))
    if substitute == rules.department.head and (not chain or chain[-1].backup != substitute):
        reasons.append(f"заместители тоже отсутствуют → руководитель {_who(rules, substitute)}")
    when = f"дата письма {day:%d.%m.%Y}" + (" по заголовку Date" if ctx.moment_source == "Date" else " по времени получения")
    detail = f"{owner} отсутствует ({when}) → {substitute}"
    trail.append(Step(ABSENCE_RULE, True, detail))
    return replace(
        decision,
        owner=substitute,
        rule=ABSENCE_RULE,
        base_rule=decision.rule,
        base_owner=owner,
        reasons=tuple(reasons),
        trail=tuple(trail),
        notify=(owner,),
    )


def _absence_reason(rules: Rules, absence: Absence) -> str:
    return (
        f"{_who(rules, absence.manager)} {absence.reason} {absence.start:%d.%m}–{absence.end:%d.%m}"
        f" → заместитель {_who(rules, absence.backup)}"
    )


# --- views for `replay --json` ----------------------------------------------------------------


def describe_company(facts: Facts, decision: Decision, rules: Rules) -> dict[str, object] | None:
    """{name, inn, kpp, ogrn, client}: the client-base entry for a known client, else the
    company as found in the mail; None for skipped mail or when nothing is known."""
    if decision.action == "skip":
        return None
    if decision.client is not None:
        ref = decision.client
        client = rules.clients.by_inn(ref.inn) if ref.inn else None
        if client is None:
            client = next((c for c in rules.clients if c.file == ref.file and c.line == ref.line), None)
        return {
            "name": ref.name,
            "inn": ref.inn,
            "kpp": client.kpp if client else None,
            "ogrn": client.ogrn if client else None,
            "client": True,
        }
    company = facts.company
    inn = sender_inn(facts)
    if company is None and inn is None:
        return None
    return {
        "name": (company.name or None) if company else None,
        "inn": inn.value if inn else (company.inn if company else None),
        "kpp": company.kpp if company else None,
        "ogrn": company.ogrn if company else None,
        "client": False,
    }


def describe_region(facts: Facts, decision: Decision, rules: Rules) -> dict[str, object] | None:
    """{code, name, district}: the client-base region of a known client, else the region
    extraction found; None for skipped mail, foreign or unknown senders."""
    if decision.action == "skip":
        return None
    code: str | None = None
    if decision.client is not None and decision.client.region_code:
        code = decision.client.region_code
    elif facts.region is not None:
        return {"code": facts.region.code, "name": facts.region.name, "district": facts.region.district}
    if code is None:
        return None
    info = region_info(code)
    return {"code": code, "name": getattr(info, "name", "") or None, "district": getattr(info, "district", None)}
