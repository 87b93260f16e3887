"""group: a new company of a holding whose policy gives it one owner."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from inboxbot.directory.holdings import Group, find_group_mentions
from inboxbot.model.domains import domain_in
from inboxbot.route.conditions.registry import condition
from inboxbot.route.conditions.territory import client_region
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import client_where, inn_reason, quoted, region_words, who
from inboxbot.rules.options import ConditionOptions, option
from inboxbot.rules.regions import region_info


@dataclass(frozen=True, slots=True)
class GroupOptions(ConditionOptions):
    text_mentions: bool = option(True, "bool", what="«входим в ГК …» в тексте письма")


_MEMBERSHIP = re.compile(
    r"вход(?:им|ит|ят|ящ\w*)|в\s+состав\w*|дочерн\w*|предприяти\w+\s+(?:групп|холдинг)\w*|"
    r"компани\w+\s+(?:групп|холдинг)\w*|групп\w*\s+компаний|\bГК\b|холдинг\w*|member of|part of|subsidiary",
    re.IGNORECASE,
)


@condition("group", GroupOptions)
def group(options: GroupOptions, s: Situation) -> Match | Miss:
    if not s.rules.groups:
        return Miss("холдинги не описаны")
    ident = s.identity
    if ident.client is not None:
        return Miss(f"{quoted(ident.client.name)} уже есть в базе — это не новая компания группы")
    found: list[tuple[Group, str]] = []
    company = s.facts.company
    if company is not None and company.name:
        found += [(g, f"«{text}» в названии {quoted(company.name)}") for g, text in find_group_mentions(company.name, s.rules.groups)]
    domain = ident.domain
    if domain:
        for group in s.rules.groups:
            if domain_in(domain, group.domains):
                found.append((group, f"домен группы {domain}"))
        groups_of_domain = {c.group for c in ident.domain_clients if c.group}
        if len(groups_of_domain) == 1:
            name = next(iter(groups_of_domain))
            of_domain = next((g for g in s.rules.groups if g.name.casefold() == name.casefold()), None)
            if of_domain is not None:
                found.append((of_domain, f"домен {domain} — домен компаний группы"))
    if options.text_mentions:
        text = "\n".join(t for t in (s.facts.new_text, s.facts.signature) if t)
        for group, matched in find_group_mentions(text, s.rules.groups):
            at = text.find(matched)
            window = text[max(0, at - 80) : at + len(matched) + 40]
            if _MEMBERSHIP.search(window):
                found.append((group, f"в письме: «{_sentence(text, at)}»"))
    if not found:
        return Miss("принадлежность к холдингу не видна")
    for group, how in found:
        if group.policy == "one_owner_per_district":
            return _per_district(s, group, how)
        if group.policy == "one_owner" and group.owner in s.rules.managers:
            return Match(
                group.owner,
                f"группа «{group.name}»: {how}",
                (
                    *([inn_reason(ident.inn), f"ИНН {ident.inn.value} в базе нет — новая компания"] if ident.inn else []),
                    f"компания группы «{group.name}» ({how})",
                    f"группа «{group.name}», политика «один владелец» → {who(s.rules, group.owner)}",
                ),
            )
    group, how = found[0]
    s.notes.append(f"группа «{group.name}» независимая: новая компания идёт как любой новый клиент")
    return Miss(f"группа «{group.name}» ({how}) независимая — дальше по территории")


def _per_district(s: Situation, group: Group, how: str) -> Match | Miss:
    """The manager of the group's companies in the sender's federal district (the most of
    them; a tie goes to the one listed first in the client base)."""
    code, district, where = client_region(s)
    if district is None:
        return Miss(f"группа «{group.name}» ({how}) ведётся по округам, а округ отправителя не определён — дальше по правилам")
    name = group.name.casefold()
    members = [
        c for c in s.rules.clients
        if c.group and c.group.casefold() == name and c.manager in s.rules.managers
        and c.region_code and getattr(region_info(c.region_code), "district", None) == district
    ]  # fmt: skip
    if not members:
        return Miss(f"у группы «{group.name}» в {district} ещё нет клиентов в базе — дальше по территории")
    counts = Counter(c.manager for c in members)
    owner = max(counts, key=lambda m: (counts[m], -min(c.line for c in members if c.manager == m)))
    example = next(c for c in members if c.manager == owner)
    return Match(
        owner,
        f"группа «{group.name}» в {district}: {how}",
        (
            f"компания группы «{group.name}» ({how}), регион {region_words(code or '')}: {where}",
            f"группа «{group.name}», политика «один владелец в округе»: в {district} компании группы ведёт "
            f"{who(s.rules, owner)} ({counts[owner]} в базе, например {quoted(example.name)}, {client_where(example)})",
        ),
    )


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind("\n", 0, at), text.rfind(". ", 0, at)) + 1
    end_candidates = [i for i in (text.find("\n", at), text.find(". ", at)) if i >= 0]
    end = min(end_candidates) if end_candidates else len(text)
    return text[start:end].strip()[:120]


