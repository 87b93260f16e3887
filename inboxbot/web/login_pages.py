"""The login and the logout. A login is refused for an address or a client IP after
too many failures (auth.Throttle); every attempt, failed or not, is in the audit."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from inboxbot.web.pages import NavItem, Visit, WebContext, page

NAV: tuple[NavItem, ...] = ()


def routes(ctx: WebContext) -> list[BaseRoute]:
    return [
        page(ctx, "/", home),
        page(ctx, "/login", login_form, public=True),
        page(ctx, "/login", login, methods=("POST",), public=True),
        page(ctx, "/logout", logout, methods=("POST",)),
    ]


async def home(visit: Visit) -> Response:
    return RedirectResponse("/requests", status_code=303)


def _next(target: str | None) -> str:
    """Where to go after the login: a path of this site only (never //other.site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/requests"


async def login_form(visit: Visit) -> Response:
    if visit.viewer is not None:
        return RedirectResponse(_next(visit.request.query_params.get("next")), status_code=303)
    return visit.render("login.html", error="", address="", next=_next(visit.request.query_params.get("next")))


async def login(visit: Visit) -> Response:
    ctx = visit.ctx
    assert visit.form is not None
    address = str(visit.form.get("address") or "").strip().lower()[:200]
    password = str(visit.form.get("password") or "")[:1000]
    target = _next(str(visit.form.get("next") or ""))
    now = ctx.clock()
    keys = (f"address:{address}", f"ip:{visit.ip}")
    blocked = ctx.throttle.blocked_until(keys, now)
    if blocked is not None:
        minutes = max(1, int((blocked - now).total_seconds() // 60) + 1)
        visit.audit("login_failed", detail="вход заблокирован после неудачных попыток", who=address)
        error = f"Слишком много неудачных попыток. Попробуйте снова через {minutes} мин."
        return visit.render("login.html", status=429, error=error, address=address, next=target)
    verdict = await run_in_threadpool(ctx.auth.check, visit.rules.managers, address, password)
    if verdict.manager is None:
        ctx.throttle.fail(keys, now)
        visit.audit("login_failed", detail=verdict.problem, who=address)
        return visit.render("login.html", status=401, error=verdict.problem, address=address, next=target)
    ctx.throttle.clear(keys[0])
    visit.new_session = ctx.sessions.new(now, verdict.manager.id)
    visit.audit("login", detail="по паролю почты" if verdict.how == "imap" else "по паролю веб-страниц",
                who=verdict.manager.id)  # fmt: skip
    return RedirectResponse(target, status_code=303)


async def logout(visit: Visit) -> Response:
    visit.audit("logout")
    visit.new_session = visit.ctx.sessions.new(visit.ctx.clock())
    return RedirectResponse("/login", status_code=303)
