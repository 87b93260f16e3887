"""The headers every web response carries, whoever made it (a page, the stylesheet,
Starlette's own 404/405): added by one ASGI middleware around the whole application,
each only when the response has not set it (the stylesheet keeps its own Cache-Control).

The Content-Security-Policy fits what the pages use: their stylesheet (/static/style.css),
charts as <img> with data: URIs, forms posting to themselves, no script at all and no
inline style (tests/test_web_headers.py checks the templates) — so no 'unsafe-inline'.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
}  # fmt: skip


class SecurityHeaders:
    """ASGI middleware: HEADERS on every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
