"""ledger: a client the bot has already given to a manager goes to that manager again.

A new client's first request is decided by the rules (territory, segment, public sector,
pool, fallback); the forward then writes the client's identities to the ledger (run/
effects.py) and every later mail of the client, found by one of them, follows it, instead
of the round robin picking someone new each time. Clients of the base are not written:
the base says whose they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inboxbot.directory.names import name_key
from inboxbot.model.decision import Decision
from inboxbot.model.ledger import KEY_KINDS, KIND_WORDS, Assignment, ClientKey
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import who
from inboxbot.rules.model import Rules
from inboxbot.rules.options import ConditionOptions, option

# The conditions whose forward is a new client's first assignment. Not the client-base
# rules (the base owns those clients), a thread or an addressed manager (a reply or a
# personal choice of the client's, not the department's assignment), nor VIP or holdings.
CLAIMING = ("territory", "segment", "public_sector", "pool", "fallback")
ON_ANSWER = ("thread", "client", "none")
ON_BASE_CHANGE = ("threads", "none")
AFTER_ABSENCE = ("backup", "owner")


@dataclass(frozen=True, slots=True)
class LedgerOptions(ConditionOptions):
    reach: tuple[str, ...] = option(
        KEY_KINDS, "str_list",
        what="по чему узнавать клиента: inn — ИНН, domain — домен компании (не бесплатная почта), "
             "name — название компании, address — адрес отправителя",
    )  # fmt: skip
    keep_days: float = option(365, "number", what="сколько дней действует закрепление (0 — бессрочно)")
    on_answer: str = option(
        "thread", "choice", choices=ON_ANSWER,
        what="клиенту ответил не тот, за кем он закреплён: thread — к ответившему переходит эта переписка, "
             "client — и сам клиент, none — ничего не меняется",
    )  # fmt: skip
    on_base_change: str = option(
        "threads", "choice", choices=ON_BASE_CHANGE,
        what="в базе клиентов клиента передали другому менеджеру: threads — его открытые заявки переходят к новому "
             "менеджеру (оба получают уведомление), none — остаются у прежнего",
    )  # fmt: skip
    after_absence: str = option(
        "backup", "choice", choices=AFTER_ABSENCE,
        what="менеджер вернулся из отсутствия: backup — начатые заместителем переписки остаются у заместителя, "
             "owner — открытые из них возвращаются менеджеру (оба получают уведомление)",
    )  # fmt: skip

    def problem(self) -> str | None:
        unknown = [kind for kind in self.reach if kind not in KEY_KINDS]
        if unknown:
            return f"«reach»: неизвестное значение «{unknown[0]}». Допустимые: {', '.join(KEY_KINDS)}"
        if not self.reach:
            return "«reach»: пустой список — клиента не по чему узнать. Допустимые: " + ", ".join(KEY_KINDS)
        if self.keep_days < 0:
            return "«keep_days» — число дней не меньше 0 (0 — бессрочно)"
        return None


def client_keys(s: Situation) -> tuple[ClientKey, ...]:
    """Who writes, by each identity the ledger knows, most reliable first. The domain only
    when it names a company (not free mail); nothing for our own addresses."""
    ident = s.identity
    keys: list[ClientKey] = []
    if ident.inn is not None:
        keys.append(ClientKey("inn", ident.inn.value))
    if ident.domain is None:  # internal or no address: not a client writing
        return tuple(keys)
    if not s.rules.clients.is_free_mail(ident.domain):
        keys.append(ClientKey("domain", ident.domain))
    company = s.facts.company
    name = name_key(company.name) if company is not None and company.name else ""
    if name:
        keys.append(ClientKey("name", name))
    address = s.facts.client_address or s.msg.sender
    if address is not None and "@" in address.email:
        keys.append(ClientKey("address", address.email.lower()))
    return tuple(keys)


@condition("ledger", LedgerOptions)
def ledger(options: LedgerOptions, s: Situation) -> Match | Miss:
    if s.ledger is None:
        return Miss("журнал закреплений клиентов недоступен")
    keys = [k for k in client_keys(s) if k.kind in options.reach]
    if not keys:
        return Miss("клиента не по чему узнать (" + ", ".join(KIND_WORDS[k] for k in options.reach) + ")")
    entry = s.ledger.find(keys)
    if entry is None:
        return Miss("клиент ни за кем не закреплён (" + "; ".join(k.describe() for k in keys) + ")")
    since = entry.since.astimezone(s.rules.department.timezone)
    found = f"{entry.key.describe()} — клиент закреплён с {since:%d.%m.%Y} за «{entry.owner}»"
    # The age when the mail was sent (its Date, else its arrival): replayed archives keep
    # the ages they had, and a Date a few minutes off changes nothing at the scale of days.
    moment = s.moment
    if options.keep_days and moment is not None and moment - entry.since > timedelta(days=options.keep_days):
        return Miss(f"{found}, но закрепление старше {options.keep_days:g} дн. — по правилам как обычно")
    if entry.owner not in s.rules.managers:
        return Miss(f"{found}, но такого менеджера в правилах больше нет — по правилам как обычно")
    # compose/why.py reads it to its owner as «клиент закреплён за вами с …».
    reason = f"клиент закреплён с {since:%d.%m.%Y} ({entry.describe_how()}) → {who(s.rules, entry.owner)}"
    matched = f"{KIND_WORDS[entry.key.kind]} отправителя {entry.key.value} — в журнале закреплений"
    return Match(entry.owner, f"{entry.key.describe()} → {entry.owner} с {since:%d.%m.%Y}", (matched, reason))


def claim_of(s: Situation, condition_name: str, decision: Decision) -> tuple[ClientKey, ...]:
    """The identities a decision's forward assigns: a new client (not in the base) given
    to its first owner by one of the CLAIMING conditions."""
    if condition_name not in CLAIMING or not decision.forwards or decision.owner is None:
        return ()
    if s.identity.client is not None:
        return ()
    return client_keys(s)


def first_assignments(decision: Decision, at: datetime, source: str) -> list[Assignment]:
    """The ledger entries a forwarded decision's claim writes: to the manager the rule
    chose (an absent one's backup only covers for them), by the rule that chose."""
    owner = decision.base_owner or decision.owner
    if owner is None:
        return []
    rule = decision.base_rule or decision.rule
    return [Assignment(key, owner, at, rule=rule, pool=decision.pool, source=source) for key in decision.claim]


def renew_before(rules: Rules, now: datetime) -> datetime | None:
    """Entries older than this have expired under the rules' `ledger` rule (a new first
    assignment replaces them); None when nothing expires."""
    days = [spec.options.keep_days for spec in rules.rules
            if spec.enabled and isinstance(spec.options, LedgerOptions) and spec.options.keep_days]  # fmt: skip
    return now - timedelta(days=min(days)) if days else None


def ledger_options(rules: Rules) -> LedgerOptions:
    """The options of the first enabled `ledger` rule (its defaults when there is none):
    the one place the ledger's policies live."""
    found = next((spec.options for spec in rules.rules if spec.enabled and isinstance(spec.options, LedgerOptions)), None)
    return found if found is not None else LedgerOptions()
