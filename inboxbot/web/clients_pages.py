"""Clients: the ledger (who owns which client, since when, how), with the client base's
manager beside each entry and the disagreements marked; a client's own page (identities,
owner, the history of its changes, its open requests) with «Передать» and, for the head,
«Отменить» (web/handover.py: the ledger change service, not a second path)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.directory.client import Client
from inboxbot.directory.clients import ClientBase
from inboxbot.model.handover import Change
from inboxbot.model.ledger import Assignment
from inboxbot.store.interfaces import RequestFilter
from inboxbot.web.access import may_see, may_see_client, scoped
from inboxbot.web.handover import (
    change_lines,
    client_rows,
    hand_over,
    key_of,
    may_hand_over,
    refusal_text,
    said,
    undo_change,
)
from inboxbot.web.pages import NavItem, Visit, WebContext, not_found, number, page
from inboxbot.web.view import client_path

NAV = (NavItem("/clients", "Клиенты"),)
PAGE_SIZE = 100
HISTORY_SIZE = 100


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
    return [
        page(ctx, "/clients", client_list),
        page(ctx, "/clients/{kind}/{value}", client_page),
        page(ctx, "/clients/{kind}/{value}/handover", client_handover, methods=("POST",)),
        page(ctx, "/clients/{kind}/{value}/undo", client_undo, methods=("POST",)),
    ]


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
    made = visit.ctx.store.changes.get(number(query.get("change")) or 0)
    note = said(visit, made) if made is not None and made.by == visit.me.id else ""
    return visit.render("clients.html", lines=lines, owner=owner, managers=managers, next_link=next_link, note=note,
                        first_link="/clients" + (f"?manager={owner}" if owner else "") if after else "",
                        base_size=len(visit.rules.clients))  # fmt: skip


def after_change(visit: Visit, change: Change, here: str) -> str:
    """Where a change's maker reads it: `here`, unless a manager just handed the client
    away (they no longer see it; the list of their clients says what was done)."""
    if visit.me.is_head or change.owner == visit.me.id:
        return f"{here}?change={change.id}"
    return f"/clients?change={change.id}"


def client_entries(visit: Visit) -> tuple[Assignment, ...]:
    """The ledger entries of the client the path names, when the viewer may see them."""
    params = visit.request.path_params
    key = key_of(params.get("kind"), params.get("value"))
    entries = visit.ctx.store.changes.entries(key) if key is not None else ()
    return entries if entries and may_see_client(visit.me, entries[0]) else ()


async def client_page(visit: Visit, *, error: str = "", status: int = 200) -> Response:
    entries = client_entries(visit)
    if not entries:
        return not_found(visit)
    store, owner = visit.ctx.store, entries[0].owner
    keys = [e.key for e in entries]
    history = store.changes.history(keys, HISTORY_SIZE)
    made = store.changes.get(number(visit.request.query_params.get("change")) or 0)
    note = ""
    if made is not None and set(made.keys) & set(keys) and not error:
        note = said(visit, made)
    rows = [r for r in client_rows(store.requests.awaiting_answer(), keys) if may_see(visit.me, r)]
    managers = sorted((m for m in visit.rules.managers.values() if m.id != owner), key=lambda m: m.name)
    base = next((b for e in entries if (b := base_client(visit.rules.clients, e)) is not None), None)
    # A client the base does not know is named as its newest request named it.
    latest_row = store.browse.search(scoped(visit.me, RequestFilter(text=entries[0].key.value)), limit=1)
    title = base.name if base else next((r.company for r in latest_row if r.company), "")
    return visit.render(
        "client.html", status=status, entries=entries, owner=owner, latest=max(entries, key=lambda e: e.since),
        base=base, title=title, lines=change_lines(history), rows=rows, managers=managers, error=error, note=note,
        may_hand_over=may_hand_over(visit.me, owner), action=client_path(entries[0].key),
    )  # fmt: skip


async def client_handover(visit: Visit) -> Response:
    entries = client_entries(visit)
    if not entries or not may_hand_over(visit.me, entries[0].owner):
        return not_found(visit)
    result = hand_over(visit, entries)
    if result.change is None:
        return await client_page(visit, error=refusal_text(result), status=400)
    return RedirectResponse(after_change(visit, result.change, client_path(entries[0].key)), status_code=303)


async def client_undo(visit: Visit) -> Response:
    entries = client_entries(visit)
    if not entries or not visit.me.is_head:
        return not_found(visit)
    assert visit.form is not None
    change_id = number(str(visit.form.get("change", "")))
    if change_id is None or change_id not in {
        c.id for c in visit.ctx.store.changes.history([e.key for e in entries], HISTORY_SIZE)
    }:
        refused = "такого изменения у этого клиента нет"
        visit.audit("undo", f"client:{entries[0].key.kind}:{entries[0].key.value}", f"отказ: {refused}")
        return await client_page(visit, error=f"Не сделано: {refused}. Ничего не изменено.", status=400)
    result = undo_change(visit, change_id)
    if result.change is None:
        return await client_page(visit, error=refusal_text(result), status=400)
    back = next(iter(result.change.after), None)
    if back is None:  # the undo took a new client out of the ledger
        return RedirectResponse("/clients", status_code=303)
    return RedirectResponse(f"{client_path(back.key)}?change={result.change.id}", status_code=303)
