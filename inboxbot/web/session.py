"""Sessions in a signed cookie (itsdangerous): who is logged in, until when, and the
session's CSRF token. Nothing is kept on the server: a changed secret ends every session.

The cookie is HttpOnly (no script reads it), SameSite=Lax (no other site's form posts
with it) and Secure when the page came over TLS (behind the reverse proxy).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "inboxbot_session"


@dataclass(frozen=True, slots=True)
class Session:
    user: str | None  # a manager id; None before the login
    csrf: str
    expires: float  # a POSIX time

    def csrf_matches(self, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, secret: str, hours: int) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="inboxbot-web-session")
        self.lifetime = timedelta(hours=hours)

    def new(self, now: datetime, user: str | None = None) -> Session:
        """A fresh session (a new CSRF token too: a login never keeps the anonymous one)."""
        return Session(user, secrets.token_urlsafe(32), (now + self.lifetime).timestamp())

    def load(self, cookie: str | None, now: datetime) -> Session | None:
        """The session of a cookie: None when absent, forged or expired."""
        if not cookie:
            return None
        try:
            data = self.serializer.loads(cookie, max_age=int(self.lifetime.total_seconds()))
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        user, csrf, expires = data.get("u"), data.get("c"), data.get("e")
        if not isinstance(csrf, str) or not isinstance(expires, (int, float)) or expires <= now.timestamp():
            return None
        return Session(user if isinstance(user, str) else None, csrf, float(expires))

    def dump(self, session: Session) -> str:
        return str(self.serializer.dumps({"u": session.user, "c": session.csrf, "e": session.expires}))

    @property
    def max_age(self) -> int:
        return int(self.lifetime.total_seconds())
