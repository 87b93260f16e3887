"""One logged-in IMAP connection: TLS as configured, LOGIN or SASL PLAIN, a refused login
as a FetchError that names the setting to check. Shared by the mailbox (imap.py) and the
IDLE watcher (idle.py), which hold connections of their own."""

from __future__ import annotations

import contextlib

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import LoginError  # type: ignore[import-untyped]

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError
from inboxbot.io.imaperrors import clean, ssl_context


def connect(s: ServerSettings) -> IMAPClient:
    """A connection to `s`, logged in, nothing selected. Raises FetchError for a refused
    login; socket and TLS errors go up as they are (wrap the call in `imaperrors.guard`).
    A failed login leaves no socket open."""
    context = ssl_context(s) if s.tls != "none" else None
    client = IMAPClient(s.host, s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=s.timeout)
    try:
        if s.tls == "starttls":
            client.starttls(context)
        _login(client, s)
    except BaseException:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise
    return client


def _login(client: IMAPClient, s: ServerSettings) -> None:
    try:
        if (s.user + s.password).isascii():
            client.login(s.user, s.password)
        else:
            # LOGIN takes ASCII only (imaplib raises UnicodeEncodeError); SASL PLAIN
            # carries UTF-8 (RFC 4616), which is how a Cyrillic password gets through.
            client.plain_login(s.user, s.password)
    except LoginError as exc:
        raise FetchError(clean(s,
            f"IMAP-сервер {s.host} не принял вход пользователя «{s.user}»: проверьте "
            f"INBOXBOT_IMAP_USER и пароль (ответ сервера: {exc})"
        )) from None
