"""Clients: the ledger (who owns which client, since when, how), with the client base's
manager beside each entry and the disagreements marked."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute

from inboxbot.directory.client import Client
from inboxbot.directory.clients import ClientBase
from inboxbot.model.ledger import Assignment
from inboxbot.web.pages import NavItem, Visit, WebContext, page

NAV = (NavItem("/clients", "Клиенты"),)
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ClientLine:
    entry: Assignment
    base: Client | None  # the client base's row for the same identity, if any

    @property
    def disagrees(self) -> bool:
        """The base names another manager than the ledger."""
        return self.base is not None and bool(self.base.manager) and self.base.manager != self.entry.owner


def base_client(base: ClientBase, entry: Assignment) -> Client | None:
    """The client base's row for a ledger identity (by INN, or a domain naming one client)."""
    if entry.key.kind == "inn":
        return base.by_inn(entry.key.value)
    if entry.key.kind == "domain":
        found = base.by_domain(entry.key.value)
        return found[0] if len(found) == 1 else None
    return None


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [page(ctx, "/clients", client_list)]


async def client_list(visit: Visit) -> Response:
    query = visit.request.query_params
    owner = query.get("manager", "").strip()
    if not visit.me.is_head:
        owner = visit.me.id
    elif owner not in visit.rules.managers:
        owner = ""
    after_kind, after_value = query.get("after_kind", ""), query.get("after_value", "")
    after = (after_kind, after_value) if after_kind and after_value else None
    entries = visit.ctx.store.browse.clients(owner=owner or None, after=after, limit=PAGE_SIZE + 1)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    lines = [ClientLine(e, base_client(visit.rules.clients, e)) for e in entries]
    next_link = ""
    if more and entries:
        last = entries[-1].key
        next_link = "/clients?" + urlencode({**({"manager": owner} if owner else {}),
                                             "after_kind": last.kind, "after_value": last.value})  # fmt: skip
    managers = sorted(visit.rules.managers.values(), key=lambda m: m.name)
    return visit.render("clients.html", lines=lines, owner=owner, managers=managers, next_link=next_link,
                        first_link="/clients" + (f"?manager={owner}" if owner else "") if after else "",
                        base_size=len(visit.rules.clients))  # fmt: skip
