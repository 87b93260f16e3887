"""IMAP failures as the worker sees them: socket, TLS and protocol errors become one
FetchError in Russian (the worker retries), the server's words without noise, and never
the password; the TLS context of a connection."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError

# Dovecot ends its answers with timings, "(0.001 + 0.000 secs)": noise in a text for people,
# and it would make two reports of the same refusal look different.
_TIMING = re.compile(r"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs?\)\.?\s*$")


def server_answer(exc: BaseException) -> str:
    """The server's words from an imaplib/imapclient error, without Dovecot's timings."""
    text = str(exc)
    for noise in ("error ", "command "):
        text = text.removeprefix(noise)
    return _TIMING.sub("", text).strip() or type(exc).__name__


def ssl_context(settings: ServerSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.cafile)
    if not settings.verify:  # config allows this only for hosts named in INBOXBOT_TLS_INSECURE_HOSTS
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@contextlib.contextmanager
def guard(settings: ServerSettings, action: str) -> Iterator[None]:
    """Turn socket, TLS and protocol failures into FetchError (the worker retries)."""
    s = settings
    try:
        yield
    except FetchError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise FetchError(clean(settings,
            f"сертификат IMAP-сервера {s.host} не прошёл проверку ({exc.verify_message}); укажите "
            f"сертификат в INBOXBOT_CAFILE или, для тестового сервера, хост в INBOXBOT_TLS_INSECURE_HOSTS"
        )) from exc
    except (imaplib.IMAP4.error, OSError, EOFError, ValueError) as exc:
        # ValueError: imapclient's response parser on malformed server replies.
        raise FetchError(clean(settings,
            f"ошибка IMAP ({s.host}:{s.port}) при {action}: {type(exc).__name__}: {exc}"
        )) from exc


def clean(settings: ServerSettings, text: str) -> str:
    """Belt and braces: no server echo or library message may carry the password out."""
    password = settings.password
    return text.replace(password, "***") if password else text
