"""The web server's response headers, from a real uvicorn on a loopback port configured
as `inboxbot web` configures it (web/serve.py): no `server` header naming the software,
and the security headers on every response — pages, the stylesheet, a 404 of an unknown
path, a 405, the login redirect."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from web_browser import START_TIMEOUT, free_port
from web_site import make_site

from inboxbot.web.serve import server_config

WANTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


@pytest.fixture
def base(tmp_path: Path) -> Iterator[tuple[str, int]]:
    site = make_site(tmp_path)
    port = free_port()
    server = uvicorn.Server(server_config(site.app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
        site.store.close()


def fetch(where: tuple[str, int], method: str, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(*where, timeout=START_TIMEOUT)
    connection.request(method, path)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/login", 200), ("GET", "/requests", 303), ("GET", "/static/style.css", 200),
     ("GET", "/no-such-page", 404), ("DELETE", "/login", 405)],
)  # fmt: skip
def test_every_response_carries_the_security_headers_and_no_server_name(
    base: tuple[str, int], method: str, path: str, status: int
) -> None:
    answer = fetch(base, method, path)
    assert answer.status == status
    headers = {k.lower(): v for k, v in answer.getheaders()}
    assert "server" not in headers, headers
    for name, value in WANTED.items():
        assert headers.get(name) == value, (name, headers)
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'"
    # The pages use no inline script or style (a stylesheet, <img> charts as data: URIs).
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert policy["img-src"] == "'self' data:" and policy["style-src"] == "'self'"


def test_the_pages_use_no_inline_script_or_style_the_policy_would_block() -> None:
    templates = Path(__file__).resolve().parents[1] / "inboxbot" / "web" / "templates"
    for page in templates.glob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        for blocked in ("<script", "<style", " style=", " onclick=", " onsubmit=", " onchange=", "javascript:"):
            assert blocked not in text, (page.name, blocked)
