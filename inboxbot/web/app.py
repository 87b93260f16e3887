"""The web application: the context every page shares, and the pages, one module per
group. Adding a group: a module with `NAV` (its menu entries) and `routes(ctx)` (its
pages, each made by pages.page), named once in PAGE_MODULES."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from inboxbot.config import ServerSettings
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.interfaces import Store
from inboxbot.web import (
    clients_pages,
    conflicts_pages,
    login_pages,
    requests_pages,
    rules_pages,
    shares_pages,
    skipped_pages,
)
from inboxbot.web.auth import Authenticator, Throttle
from inboxbot.web.headers import SecurityHeaders
from inboxbot.web.pages import WebContext
from inboxbot.web.passwords import PasswordFile
from inboxbot.web.session import Sessions
from inboxbot.web.settings import WebSettings
from inboxbot.web.view import FILTERS

TEMPLATES = Path(__file__).parent / "templates"
PAGE_MODULES: tuple[ModuleType, ...] = (requests_pages, clients_pages, conflicts_pages, skipped_pages, shares_pages,
                                         rules_pages, login_pages)
# The store's meta key of the session key, when INBOXBOT_WEB_SECRET gives none.
SECRET_KEY = "web_session_secret"


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters.update(FILTERS)
    return env


def session_secret(settings: WebSettings, store: Store) -> str:
    """INBOXBOT_WEB_SECRET, else a random key made once and kept in the store: sessions
    survive a restart, and every web process on the same store shares it."""
    if settings.secret:
        return settings.secret
    kept = store.meta.get(SECRET_KEY)
    if kept is None:
        store.meta.set(SECRET_KEY, secrets.token_hex(32))
        kept = store.meta.get(SECRET_KEY)
    assert kept is not None
    return kept


def build(store: Store, rules: RulesHolder, settings: WebSettings, imap: ServerSettings | None,
          clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Starlette:  # fmt: skip
    """The application over `store` and the rules in `rules`; `imap`: the company's IMAP
    server the managers log in at (None: local passwords only)."""
    ctx = WebContext(
        store=store, rules=rules, settings=settings,
        sessions=Sessions(session_secret(settings, store), settings.session_hours),
        throttle=Throttle(settings.max_failures, timedelta(minutes=settings.lock_minutes)),
        auth=Authenticator(settings.login, PasswordFile(settings.passwords), imap),
        clock=clock, templates=templates(),
    )  # fmt: skip
    routes: list[BaseRoute] = [Route("/static/style.css", _stylesheet, name="style")]
    for module in PAGE_MODULES:
        ctx.nav.extend(module.NAV)
        routes.extend(module.routes(ctx))
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.ctx = ctx
    return app


async def _stylesheet(request: Request) -> Response:
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})
