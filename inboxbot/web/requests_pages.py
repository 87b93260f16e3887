"""Requests: the searchable list and one request's whole story."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.model.records import RequestRow
from inboxbot.store.browse_sql import STATES
from inboxbot.store.interfaces import RequestFilter
from inboxbot.web.access import may_see, scoped
from inboxbot.web.handover import HISTORY_SCAN, hand_over, may_hand_over, refusal_text, request_changes, said
from inboxbot.web.pages import NavItem, Visit, WebContext, not_found, number, page
from inboxbot.web.story import client_keys, story, trail_of
from inboxbot.web.view import client_path, day_bound

NAV = (NavItem("/requests", "Заявки"),)
PAGE_SIZE = 50


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [
        page(ctx, "/requests", request_list),
        page(ctx, "/requests/{row_id}", request_story),
        page(ctx, "/requests/{row_id}/handover", request_handover, methods=("POST",)),
    ]


def request_filter(visit: Visit) -> tuple[RequestFilter, dict[str, str]]:
    """The list's filter from the query, and the query as it was understood (for the
    form and the next page's link)."""
    query = visit.request.query_params
    tz = visit.rules.department.timezone
    asked = {name: query.get(name, "").strip()[:200] for name in ("q", "manager", "state", "since", "until")}
    if asked["manager"] not in visit.rules.managers:
        asked["manager"] = ""
    if asked["state"] not in STATES:
        asked["state"] = ""
    since, until = day_bound(asked["since"], tz), day_bound(asked["until"], tz, end=True)
    asked["since"] = asked["since"] if since else ""
    asked["until"] = asked["until"] if until else ""
    where = RequestFilter(text=asked["q"], owner=asked["manager"] or None, state=asked["state"] or None,
                          since=since, until=until)  # fmt: skip
    return scoped(visit.me, where), asked


async def request_list(visit: Visit) -> Response:
    where, asked = request_filter(visit)
    before = number(visit.request.query_params.get("before"))
    rows = visit.ctx.store.browse.search(where, before=before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    kept = {k: v for k, v in asked.items() if v}
    next_link = f"/requests?{urlencode({**kept, 'before': rows[-1].id})}" if more and rows else ""
    first_link = f"/requests?{urlencode(kept)}" if before else ""
    managers = sorted(visit.rules.managers.values(), key=lambda m: m.name)
    if not visit.me.is_head:
        managers = [m for m in managers if m.id == visit.me.id]
    return visit.render("requests.html", rows=rows, asked=asked, states=STATES, managers=managers,
                        next_link=next_link, first_link=first_link)  # fmt: skip


def visible_row(visit: Visit) -> RequestRow | None:
    row_id = number(visit.request.path_params.get("row_id"))
    row = visit.ctx.store.browse.request(row_id) if row_id is not None else None
    return row if row is not None and may_see(visit.me, row) else None


async def request_story(visit: Visit, *, error: str = "", status: int = 200) -> Response:
    row = visible_row(visit)
    if row is None:
        return not_found(visit)
    store = visit.ctx.store
    entry = store.messages.entry(row.key)
    payload = entry.decision if entry is not None else None
    ledger = store.ledger.find(client_keys(row, payload))
    entries = store.changes.entries(ledger.key) if ledger is not None else ()
    keys = [e.key for e in entries] or list(client_keys(row, payload))
    changes = request_changes(store.changes.history((), HISTORY_SCAN), keys, row.id)
    audit = store.audit.entries(subject=f"request:{row.id}")
    events = story(row, visit.rules, changes, audit)
    made = next((c for c in changes if c.id == number(visit.request.query_params.get("change"))), None)
    note = ""
    if made is not None and not error:
        note = said(visit, made)
    owner = ledger.owner if ledger is not None else None
    managers = sorted((m for m in visit.rules.managers.values() if m.id != owner), key=lambda m: m.name)
    return visit.render("story.html", status=status, row=row, events=events, trail=trail_of(payload), ledger=ledger,
                        managers=managers, may_hand_over=ledger is not None and may_hand_over(visit.me, owner),
                        action=f"/requests/{row.id}", error=error, note=note,
                        client_link=client_path(ledger.key) if ledger is not None else "")  # fmt: skip


async def request_handover(visit: Visit) -> Response:
    """«Передать» on a story: the request's client (and its open requests, this one among
    them) to a colleague — the client's ledger entries, as on the client's own page."""
    row = visible_row(visit)
    store = visit.ctx.store
    entry = store.messages.entry(row.key) if row is not None else None
    ledger = store.ledger.find(client_keys(row, entry.decision if entry else None)) if row is not None else None
    if row is None or ledger is None or not may_hand_over(visit.me, ledger.owner):
        return not_found(visit)
    result = hand_over(visit, store.changes.entries(ledger.key))
    if result.change is None:
        return await request_story(visit, error=refusal_text(result), status=400)
    moved = store.browse.request(row.id)
    here = f"/requests/{row.id}?change={result.change.id}"
    return RedirectResponse(here if moved and may_see(visit.me, moved) else f"/clients?change={result.change.id}",
                            status_code=303)  # fmt: skip
