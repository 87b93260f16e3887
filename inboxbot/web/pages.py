"""The one place every page goes through: its session, its login check, its CSRF check and
its rendering. A page module declares its pages with `page(...)` and gets a `Visit`; it
cannot forget a check, because no route is made any other way (tests/test_web.py walks
every route of the app to prove it).

- No session user (or one no longer in rules.toml): a GET goes to the login page, any
  other method gets 403; only pages declared `public` (the login) are shown.
- Every POST carries the session's CSRF token in its form (`csrf`); without it, 403.
- A POST body over MAX_BODY is refused with 413 before it is parsed: by its Content-Length
  before a byte is read, a chunked one as soon as the bytes read pass the limit (Starlette's
  `max_part_size` does not cover file parts, which it would spool to a temporary file).
- Every answer: no caching, no framing, scripts and styles from this site only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message

from inboxbot.rules.model import Rules
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.interfaces import AuditEntry, Store
from inboxbot.web.access import Viewer, viewer_of
from inboxbot.web.auth import Authenticator, Throttle
from inboxbot.web.session import COOKIE, Session, Sessions
from inboxbot.web.settings import WebSettings

# The largest POST body a page reads: above rules_pages.MAX_BYTES even as the apply form
# sends it (percent-encoded: up to 3 bytes a byte), so the rules page names its own limit.
MAX_BODY = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str
    head_only: bool = False


@dataclass(slots=True)
class WebContext:
    """What every page shares: the store, the rules in force, the login machinery, the
    clock (tests move it) and the templates."""

    store: Store
    rules: RulesHolder
    settings: WebSettings
    sessions: Sessions
    throttle: Throttle
    auth: Authenticator
    clock: Callable[[], datetime]
    templates: jinja2.Environment
    nav: list[NavItem] = field(default_factory=list)

    def current_rules(self) -> Rules:
        self.rules.refresh()  # an edited rules.toml shows at once, as the worker takes it
        return self.rules.rules


@dataclass(slots=True)
class Visit:
    """One request to a page: who asks (None on a public page before the login), their
    session, the form of a POST (its CSRF token checked), the rules in force."""

    ctx: WebContext
    request: Request
    session: Session
    viewer: Viewer | None
    rules: Rules
    form: FormData | None = None
    new_session: Session | None = None  # set by the login and the logout: sent as the cookie

    @property
    def me(self) -> Viewer:
        assert self.viewer is not None, "a public page asked for the viewer"
        return self.viewer

    @property
    def ip(self) -> str:
        return self.request.client.host if self.request.client else ""

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        session = self.new_session or self.session
        nav = [n for n in self.ctx.nav if self.viewer is not None and (self.viewer.is_head or not n.head_only)]
        page = self.ctx.templates.get_template(template).render(
            viewer=self.viewer, csrf=session.csrf, nav=nav, path=self.request.url.path, rules=self.rules,
            tz=self.rules.department.timezone, **values,
        )  # fmt: skip
        return HTMLResponse(page, status_code=status)

    def audit(self, action: str, subject: str = "", detail: str = "", *, who: str | None = None) -> None:
        who = who if who is not None else (self.viewer.id if self.viewer else "")
        self.ctx.store.audit.record(AuditEntry(self.ctx.clock(), who, action, subject, detail, self.ip))


Handler = Callable[[Visit], Awaitable[Response]]


def page(ctx: WebContext, path: str, handler: Handler, *, methods: tuple[str, ...] = ("GET",),
         public: bool = False) -> Route:  # fmt: skip
    """The route of a page: `handler` runs only for a logged-in manager (any visitor when
    `public`) and, for a POST, only with the session's CSRF token in the form."""

    async def endpoint(request: Request) -> Response:
        now = ctx.clock()
        session = ctx.sessions.load(request.cookies.get(COOKIE), now)
        fresh = session is None
        if session is None:
            session = ctx.sessions.new(now)
        rules = ctx.current_rules()
        viewer = viewer_of(rules, session.user)
        visit = Visit(ctx, request, session, viewer, rules, new_session=session if fresh else None)
        form: FormData | None = None
        if viewer is None and not public:
            response = refusal(visit) if request.method != "GET" else to_login(request)
        elif request.method == "POST" and (form := await capped_form(request)) is None:
            response = visit.render("error.html", status=413, title="Слишком большой запрос",
                                    message=f"Запрос больше {MAX_BODY // 1024 // 1024} МБ — страница его не принимает. "
                                            "Проверьте, тот ли файл выбран.")  # fmt: skip
        elif form is not None and not session.csrf_matches(form.get("csrf")):
            response = refusal(visit, "Форма устарела или пришла не с этой страницы. Откройте страницу заново.")
        else:
            visit.form = form
            response = await handler(visit)
        finish(ctx, visit, response)
        return response

    return Route(path, endpoint, methods=list(methods), name=path)


class _TooLarge(Exception):
    """The body read so far passed MAX_BODY: stops the form parser mid-stream."""


async def capped_form(request: Request) -> FormData | None:
    """The POST form, or None when its body is over MAX_BODY (nothing more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    read = 0

    async def receive() -> Message:
        nonlocal read
        message = await request.receive()
        read += len(message.get("body", b""))
        if read > MAX_BODY:
            raise _TooLarge
        return message

    try:
        return await Request(request.scope, receive).form()
    except _TooLarge:
        return None


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def refusal(visit: Visit, why: str = "Войдите, чтобы продолжить.") -> Response:
    return visit.render("error.html", status=403, title="Доступ запрещён", message=why)


def not_found(visit: Visit) -> Response:
    """The same answer for what does not exist and what the viewer may not see."""
    return visit.render("error.html", status=404, title="Не найдено",
                        message="Такой страницы нет или она вам недоступна.")  # fmt: skip


def finish(ctx: WebContext, visit: Visit, response: Response) -> None:
    if visit.new_session is not None:
        response.set_cookie(
            COOKIE, ctx.sessions.dump(visit.new_session), max_age=ctx.sessions.max_age, path="/",
            httponly=True, samesite="lax", secure=visit.request.url.scheme == "https",
        )  # fmt: skip


def number(text: str | None) -> int | None:
    """A positive whole number from a query or a path, else None."""
    return int(text) if text and text.isdigit() and len(text) < 19 else None
