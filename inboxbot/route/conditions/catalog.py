"""Every condition by the name rules.toml gives it, in the order `check` lists them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inboxbot.route.conditions.addressed import addressed
from inboxbot.route.conditions.clients import client_domain, client_inn, client_name
from inboxbot.route.conditions.combined import CombinedOptions, Part, all_of, any_of
from inboxbot.route.conditions.duty import duty
from inboxbot.route.conditions.group import group
from inboxbot.route.conditions.ledger import ledger
from inboxbot.route.conditions.pool import fallback, pool
from inboxbot.route.conditions.registry import Condition, condition
from inboxbot.route.conditions.repeat import repeat
from inboxbot.route.conditions.request import not_a_request
from inboxbot.route.conditions.sector import public_sector, segment, vip
from inboxbot.route.conditions.territory import region, territory
from inboxbot.route.conditions.thread import thread
from inboxbot.route.context import Match, Miss, Situation


def _run(part: Part, s: Situation) -> Match | Miss:
    return CONDITIONS[part.when].run(part.options, s)


@condition("all", CombinedOptions)
def all_conditions(options: CombinedOptions, s: Situation) -> Match | Miss:
    return all_of(options, s, _run)


@condition("any", CombinedOptions)
def any_condition(options: CombinedOptions, s: Situation) -> Match | Miss:
    return any_of(options, s, _run)


CONDITIONS: Mapping[str, Condition[Any]] = {
    c.name: c
    for c in (
        not_a_request, thread, repeat, addressed, vip, public_sector, client_inn, client_domain, client_name, ledger, group,
        segment, territory, region, duty, pool, all_conditions, any_condition, fallback,
    )
}  # fmt: skip
# Conditions that cannot stand inside all/any (they are all/any).
COMBINERS = ("all", "any")
