"""Skipped mail: what the rules did not forward, with their reasons, and the head's
«Переслать» button (release.py: the digest's release, not a second path)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.store.interfaces import RequestFilter
from inboxbot.store.release_rows import NOT_LISTED
from inboxbot.web.access import may_release
from inboxbot.web.pages import NavItem, Visit, WebContext, not_found, number, page
from inboxbot.web.release import SAID, ask_release, release_states

NAV = (NavItem("/skipped", "Не переслано", head_only=True),)
PAGE_SIZE = 50


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [page(ctx, "/skipped", skipped_list), page(ctx, "/skipped/{row_id}/release", release, methods=("POST",))]


async def skipped_list(visit: Visit) -> Response:
    if not may_release(visit.me):
        return not_found(visit)
    query = visit.request.query_params
    text = query.get("q", "").strip()[:200]
    before = number(query.get("before"))
    rows = visit.ctx.store.browse.search(RequestFilter(text=text, state="skipped"), before=before, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    kept = {"q": text} if text else {}
    return visit.render(
        "skipped.html", rows=rows, states=release_states(visit.ctx.store, rows), q=text,
        note=SAID.get(query.get("done", ""), ""), worker_releases=visit.rules.report is not None,
        next_link=f"/skipped?{urlencode({**kept, 'before': rows[-1].id})}" if more and rows else "",
        first_link=f"/skipped?{urlencode(kept)}" if before else "",
    )  # fmt: skip


async def release(visit: Visit) -> Response:
    if not may_release(visit.me):
        return not_found(visit)
    row_id = number(visit.request.path_params.get("row_id"))
    store = visit.ctx.store
    row = store.browse.request(row_id) if row_id is not None else None
    if row is None or row.action != "skip" or row.rule in NOT_LISTED:
        return not_found(visit)
    said = ask_release(store, row, visit.me.manager.email, visit.ctx.clock())
    visit.audit("release", f"request:{row.id}", f"«{row.subject[:80]}» от {row.client_address}: {SAID[said]}")
    return RedirectResponse("/skipped?" + urlencode({"done": said}), status_code=303)
