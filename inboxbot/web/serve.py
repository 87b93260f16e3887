"""How `inboxbot web` runs the application under uvicorn: one place, so the tests serve it
configured the same way."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    # proxy_headers: behind nginx on this machine, X-Forwarded-Proto tells that the page
    # came over TLS (the cookie is then Secure) and X-Forwarded-For the client's IP.
    # server_header off: «server: uvicorn» tells a scanner which software to try.
    return uvicorn.Config(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                          server_header=False, log_level="warning")  # fmt: skip
