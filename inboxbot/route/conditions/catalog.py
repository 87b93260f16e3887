"""The conditions by the name rules.toml gives them."""

from __future__ import annotations

from collections.abc import Mapping

from inboxbot.route.conditions.addressed import cond_addressed
from inboxbot.route.conditions.clients import cond_client_domain, cond_client_inn, cond_client_name
from inboxbot.route.conditions.group import cond_group
from inboxbot.route.conditions.pool import cond_fallback, cond_pool
from inboxbot.route.conditions.request import cond_not_a_request
from inboxbot.route.conditions.sector import cond_public_sector, cond_segment, cond_vip
from inboxbot.route.conditions.territory import cond_territory
from inboxbot.route.conditions.thread import cond_thread
from inboxbot.route.context import Condition
from inboxbot.rules.options import CONDITIONS as CONDITION_OPTIONS

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


