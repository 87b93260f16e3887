"""«Споры»: the head's list of disputes over who owns a client, with the facts of each and
a verdict in one click — «Оставить как есть» or «Закрепить за …». The same function as
`inboxbot conflicts settle` (run/conflicts.settle): a verdict naming a manager moves the
client in the ledger through run.handover, or is refused whole. The notices of the
change stay queued; the worker sends them (web/handover.py says why). Head only: a
manager gets the same 404 as for a page that does not exist."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.errors import ConfigError
from inboxbot.model.conflicts import KIND_WORDS, Conflict
from inboxbot.model.handover import Change
from inboxbot.rules.model import Manager
from inboxbot.run.conflicts import settle, sweep_base, verdict_text
from inboxbot.run.handover import actor_name
from inboxbot.web.handover import WHY_LIMIT, describe
from inboxbot.web.handover import said as change_said
from inboxbot.web.pages import NavItem, Visit, WebContext, not_found, number, page
from inboxbot.web.view import client_path, manager_name

NAV = (NavItem("/conflicts", "Споры", head_only=True),)
SETTLED_SHOWN = 100  # the newest settled disputes listed below the open ones


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [page(ctx, "/conflicts", conflict_list), page(ctx, "/conflicts/{number}/settle", settle_one, methods=("POST",))]


@dataclass(frozen=True, slots=True)
class Line:
    """One dispute as the page shows it: what it is about, who is in it, the verdict."""

    conflict: Conflict
    kind: str
    owners: str
    verdict: str
    change: Change | None
    client_link: str
    choices: tuple[Manager, ...]  # whom «Закрепить за» offers: the dispute's managers first
    by: str  # who settled it, as people read it


def line_of(visit: Visit, conflict: Conflict) -> Line:
    rules, store = visit.rules, visit.ctx.store
    change = store.changes.get(conflict.change_id) if conflict.change_id is not None else None
    known = next((found for k in conflict.dispute.keys if (found := store.changes.entries(k))), ())
    owners = " / ".join(manager_name(rules, m) for m in conflict.dispute.owners)
    verdict = verdict_text(rules, conflict) if not conflict.open else ""
    named = [rules.managers[m] for m in conflict.dispute.owners if m in rules.managers]
    others = sorted((m for m in rules.managers.values() if m not in named), key=lambda m: m.name)
    return Line(conflict, KIND_WORDS[conflict.dispute.kind], owners, verdict, change,
                client_path(known[0].key) if known else "", tuple(dict.fromkeys([*named, *others])),
                actor_name(rules, conflict.settled_by) if conflict.settled_by else "")  # fmt: skip


async def conflict_list(visit: Visit, *, error: str = "", status: int = 200) -> Response:
    if not visit.me.is_head:
        return not_found(visit)
    store = visit.ctx.store
    sweep_base(store, visit.rules, visit.ctx.clock())  # the base and the ledger as they are now, as the CLI lists them
    every = store.conflicts.listing(open_only=False)
    open_ones = [line_of(visit, c) for c in every if c.open]
    settled = [line_of(visit, c) for c in sorted((c for c in every if not c.open), key=lambda c: c.number, reverse=True)]
    done = store.conflicts.get(number(visit.request.query_params.get("done")) or 0)
    note = "" if error or done is None or done.open else said(visit, done)
    return visit.render("conflicts.html", status=status, open_lines=open_ones, settled=settled[:SETTLED_SHOWN],
                        error=error, note=note)  # fmt: skip


def said(visit: Visit, conflict: Conflict) -> str:
    """What the head reads after a verdict: the verdict, and the ledger change it made."""
    text = f"Спор № {conflict.number} решён: {verdict_text(visit.rules, conflict)}."
    change = visit.ctx.store.changes.get(conflict.change_id) if conflict.change_id is not None else None
    return f"{text} {change_said(visit, change)}" if change is not None else text


async def settle_one(visit: Visit) -> Response:
    if not visit.me.is_head:
        return not_found(visit)
    assert visit.form is not None
    wanted = number(visit.request.path_params.get("number"))
    if wanted is None or visit.ctx.store.conflicts.get(wanted) is None:
        return not_found(visit)
    verdict = str(visit.form.get("verdict", ""))
    owner = str(visit.form.get("owner", "")).strip()[:200] if verdict == "owner" else None
    why = " ".join(str(visit.form.get("why", "")).split())[:WHY_LIMIT]
    try:
        if verdict not in ("keep", "owner"):
            raise ConfigError("выберите «Оставить как есть» или «Закрепить за …»")
        if owner == "":
            raise ConfigError("выберите менеджера, за которым закрепить клиента")
        done, change = settle(visit.ctx.store, visit.rules, wanted, owner=owner, keep=verdict == "keep", why=why,
                              by=visit.me.id, now=visit.ctx.clock())  # fmt: skip
    except ConfigError as exc:
        visit.audit("settle", f"conflict:{wanted}", f"отказ: {exc}")
        return await conflict_list(visit, error=f"Не сделано: {exc}. Ничего не изменено.", status=400)
    detail = verdict_text(visit.rules, done) + (f"; {describe(visit, change)}" if change is not None else "")
    visit.audit("settle", f"conflict:{wanted}", detail)
    return RedirectResponse("/conflicts?" + urlencode({"done": wanted}), status_code=303)
