"""Sending mail over SMTP: one connection reused for a whole poll, errors sorted into
"try again later" and "this message can never go".

The worker decides what to do with a failure from `ActionError.permanent`:
* permanent — the server rejected this message or its recipient for good (5xx): the
  mail goes to manual triage; sending it again would fail the same way;
* not permanent — the server is down, slow, busy (4xx), or our own setup is wrong
  (login, TLS, sender address): nothing is wrong with the message, so it stays pending
  and the worker retries with backoff. Treating a setup error as permanent would push
  every pending mail into triage in a single poll.
  `about_message` tells a 4xx to this message or its recipient (a full mailbox; other
  mail may go meanwhile) from the server failing as a whole (everything else, and 421,
  "closing the channel").
"""

from __future__ import annotations

import contextlib
import copy
import email.utils
import io
import logging
import select
import smtplib
import ssl
import time
from collections.abc import Sequence
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from types import TracebackType
from typing import TYPE_CHECKING, Self

from inboxbot.errors import ActionError

if TYPE_CHECKING:
    from inboxbot.config import ServerSettings

log = logging.getLogger(__name__)

# Message too big (RFC 1870 / RFC 3463 5.3.4): refused at MAIL FROM because smtplib
# declares SIZE there, yet it is about this message, not about our sender address.
_SIZE_CODES = (552,)
# "Service not available, closing transmission channel": about the server, whatever the step.
_CLOSING = 421
# A connection idle for longer than this is checked with NOOP before it is reused.
NOOP_AFTER_IDLE_SECONDS = 10.0


class SmtpSender:
    """Context manager around one SMTP connection, opened on the first `send` and
    checked before each reuse (a server drops idle clients after a few minutes, or
    restarts; the next send then reconnects).

    The check costs no round trip while mail flows: a server that closed the connection
    (or announced "421 … closing") has made the socket readable, and a poll of the socket
    sees that. Only a connection idle for NOOP_AFTER_IDLE_SECONDS is asked with NOOP,
    which also catches a peer gone without a word. (A NOOP before every mail was one
    more round trip per forward.)"""

    def __init__(self, settings: ServerSettings, *, envelope_from: str | None = None) -> None:
        self.settings = settings
        self.envelope_from = envelope_from
        self._conn: smtplib.SMTP | None = None
        self._used_at = 0.0  # time.monotonic() of the connection's last completed command
        self.connections = 0  # how many times a connection was opened (logs, tests)
        self.noops = 0  # how many NOOP checks were sent (tests)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass  # already gone; nothing to tell the server
        finally:
            conn.close()

    def send(self, message: EmailMessage | Message, recipients: Sequence[str] | None = None) -> None:
        """Send `message` to `recipients` (default: its To and Cc). The envelope sender
        is `envelope_from` or the address in From (the bot). Raises ActionError."""
        rcpts = list(recipients) if recipients is not None else _header_recipients(message)
        if not rcpts:
            raise ActionError("у письма нет получателей", permanent=True)
        sender = self.envelope_from or _from_address(message)
        data = message_bytes(message)
        conn = self._connection()
        options: list[str] = []
        if not data.isascii():
            # The original is attached as it came, and it may be 8-bit (RFC 6152).
            if not conn.has_extn("8bitmime"):
                raise ActionError(
                    f"SMTP-сервер {self.where} не поддерживает 8BITMIME, а исходное письмо содержит "
                    f"8-битный текст — переслать его без изменений нельзя",
                    permanent=True,
                )
            options.append("BODY=8BITMIME")
        try:
            refused = conn.sendmail(sender, rcpts, data, mail_options=options)
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise ActionError(f"SMTP-сервер {self.where} разорвал соединение: {_os_words(exc)}", permanent=False) from None
        except smtplib.SMTPException as exc:
            raise _send_error(exc, self.where) from None
        except OSError as exc:  # reset, timeout in the middle of DATA
            self._drop()
            raise ActionError(f"связь с SMTP-сервером {self.where} прервалась: {_os_words(exc)}", permanent=False) from None
        self._used_at = time.monotonic()
        if refused:
            # Some recipients took it; raising would make the worker send it to them
            # again. The refused ones are named in the log for a human.
            log.error("письмо %s не доставлено части адресатов: %s", message.get("Message-ID", ""),
                      _refused_words(refused))

    # -- connection -------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            if self._still_open(self._conn):
                return self._conn
            log.debug("SMTP-соединение с %s потеряно; подключаюсь заново", self.where)
            self._drop()
        self._conn = self._connect()
        self._used_at = time.monotonic()
        self.connections += 1
        return self._conn

    def _still_open(self, conn: smtplib.SMTP) -> bool:
        sock = conn.sock
        if sock is None:
            return False
        try:
            # Nothing is due from the server between two transactions: anything readable
            # is its goodbye (EOF, a TLS close, "421 … closing").
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        if readable:
            return False
        if time.monotonic() - self._used_at < NOOP_AFTER_IDLE_SECONDS:
            return True
        self.noops += 1
        try:
            code, _ = conn.noop()
        except (smtplib.SMTPException, OSError):
            return False
        self._used_at = time.monotonic()
        return code == 250

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP | None = None
        try:
            if s.tls == "ssl":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._tls_context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo()
            if s.tls == "starttls":
                if not conn.has_extn("starttls"):
                    raise ActionError(
                        f"SMTP-сервер {self.where} не предлагает STARTTLS, а настройки требуют шифрования "
                        f"(tls=starttls); без него пароль и письма ушли бы открытым текстом. "
                        f"Проверьте порт (587 — STARTTLS, 465 — tls=ssl)",
                        permanent=False,
                    )
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.user and s.password:
                conn.login(s.user, s.password)
        except ActionError:
            _close_quietly(conn)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(conn)
            # The server's answer only; the password never goes into a message.
            raise ActionError(
                f"SMTP-сервер {self.where} не принял логин «{s.user}»: {_answer(exc.smtp_code, exc.smtp_error)}",
                permanent=False,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _close_quietly(conn)
            raise ActionError(f"SMTP-сервер {self.where} не поддерживает нужную команду: {exc}", permanent=False) from None
        except ssl.SSLCertVerificationError as exc:
            _close_quietly(conn)
            raise ActionError(
                f"сертификат SMTP-сервера {self.where} не прошёл проверку: {exc.verify_message or exc}",
                permanent=False,
            ) from None
        except smtplib.SMTPResponseException as exc:
            _close_quietly(conn)
            raise ActionError(
                f"SMTP-сервер {self.where} не принял подключение: {_answer(exc.smtp_code, exc.smtp_error)}",
                permanent=False,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close_quietly(conn)
            raise ActionError(f"не удалось подключиться к SMTP-серверу {self.where}: {_os_words(exc)}", permanent=False) from None
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.cafile)
        if not self.settings.verify:
            # Only for a host the administrator listed as insecure (config enforces it).
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def message_bytes(message: EmailMessage | Message) -> bytes:
    """The message as SMTP carries it: CRLF line ends, Bcc removed, the message's own
    policy otherwise (compose/headers.py writes pre-folded headers that must not be refolded)."""
    if message.get("Bcc") is not None:
        message = copy.copy(message)
        del message["Bcc"]
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return buffer.getvalue()


def _header_recipients(message: EmailMessage | Message) -> list[str]:
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in (message.get_all(name) or [])]
    return [addr for _, addr in email.utils.getaddresses(values) if "@" in addr]


def _from_address(message: EmailMessage | Message) -> str:
    found = [addr for _, addr in email.utils.getaddresses([str(message.get("From", ""))]) if "@" in addr]
    if not found:
        raise ActionError("у письма нет адреса отправителя (From) — не с чего отправлять", permanent=True)
    return found[0]


def _send_error(exc: smtplib.SMTPException, where: str) -> ActionError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        verb = "отклонил" if permanent else "временно не принял"
        return ActionError(f"SMTP-сервер {where} {verb} {_refused_words(exc.recipients)}", permanent=permanent,
                           about_message=_CLOSING not in codes)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        if exc.smtp_code in _SIZE_CODES:
            return ActionError(
                f"SMTP-сервер {where} отклонил письмо: {_answer(exc.smtp_code, exc.smtp_error)}", permanent=True
            )
        # Refusing our own sender address is a setup problem, the same for every mail.
        return ActionError(
            f"SMTP-сервер {where} не принял адрес отправителя {exc.sender}: {_answer(exc.smtp_code, exc.smtp_error)}",
            permanent=False,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        permanent = exc.smtp_code >= 500
        verb = "отклонил" if permanent else "временно не принял"
        return ActionError(f"SMTP-сервер {where} {verb} письмо: {_answer(exc.smtp_code, exc.smtp_error)}",
                           permanent=permanent,
                           about_message=isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code != _CLOSING)
    return ActionError(f"ошибка SMTP-сервера {where}: {exc}", permanent=False)


def _refused_words(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"адрес {addr}: {_answer(code, answer)}" for addr, (code, answer) in refused.items())


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _os_words(exc: BaseException) -> str:
    # smtplib reports a read timeout as SMTPServerDisconnected("… timed out").
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "нет ответа (тайм-аут)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "сервер закрыл соединение"
    if isinstance(exc, ConnectionRefusedError):
        return "соединение отклонено (сервер не запущен или порт закрыт)"
    if isinstance(exc, ConnectionResetError):
        return "соединение сброшено"
    if isinstance(exc, ssl.SSLError):
        return f"ошибка TLS: {exc.reason or exc}"
    return str(exc) or type(exc).__name__


def _close_quietly(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.close()
