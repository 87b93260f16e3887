"""SmtpSender against real aiosmtpd servers on loopback sockets. No mocks.

The plain cases use the shared `smtp_server` fixture (tests/conftest.py); the ones that
need more of the server (TLS, AUTH, a 4xx for a recipient, counting connections) start
their own aiosmtpd Controller here.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from servers import SmtpCatcher, free_port
from test_act import corpus_bytes, ctx, kareliya

from inboxbot.compose.forward import compose_forward
from inboxbot.compose.mime import attached_original
from inboxbot.compose.templates import Templates
from inboxbot.config import ServerSettings
from inboxbot.errors import ActionError
from inboxbot.io import smtp as smtp_module
from inboxbot.io.smtp import SmtpSender
from inboxbot.mail.message import parse

BOT = "sales-bot@severkarton.test"
PASSWORD = "s3cret-Pa55"


def simple_mail(n: int = 1, to: str = "d.petrov@severkarton.test") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Сортировщик заявок <{BOT}>"
    msg["To"] = to
    msg["Subject"] = f"[Заявка] Коробки №{n}"
    msg["Message-ID"] = f"<n{n}@severkarton.test>"
    msg.set_content(f"Заявка номер {n}: коробки 600×400×150.\n")
    return msg


# -- a configurable server ---------------------------------------------------------------


@dataclass
class Server:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    rcpt_answers: dict[str, str] = field(default_factory=dict)
    sessions: list[Any] = field(default_factory=list)

    def settings(self, **kwargs: Any) -> ServerSettings:
        values: dict[str, Any] = {"host": self.host, "port": self.port, "tls": "none", "user": "", "password": ""}
        values.update(kwargs)
        return ServerSettings(**values)


class _Handler:
    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        # One session object per TCP connection: counting them counts connections
        # (a STARTTLS client says EHLO twice on the same one).
        if not any(s is session for s in self.server.sessions):
            self.server.sessions.append(session)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        answer = self.server.rcpt_answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


@contextlib.contextmanager
def running(server: Server | None = None, **controller_kwargs: Any) -> Iterator[Server]:
    server = server or Server()
    server.port = server.port or free_port()
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port,
                            server_hostname="localhost", **controller_kwargs)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost / 127.0.0.1, made with the openssl CLI."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def check_password(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"bot" and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


# -- sending -------------------------------------------------------------------------------


def test_forward_arrives_whole(smtp_server: SmtpCatcher) -> None:
    raw, msg, facts, decision = kareliya()
    forward = compose_forward(raw, msg, facts, decision, ctx(), Templates(), now=datetime.now(UTC))
    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(forward, ["m.orlov@severkarton.test"])
    [got] = smtp_server.messages
    assert got.mail_from == BOT
    assert got.rcpt_tos == ("m.orlov@severkarton.test",)
    assert attached_original(got.raw) == raw  # the original went through SMTP untouched
    arrived = parse(got.raw)
    assert arrived.subject == "[Заявка] Ящики для охлаждённой рыбы — июль"
    assert arrived.message_id == forward["Message-ID"].strip("<>")
    assert arrived.forwarded and arrived.forwarded[0].message_id == msg.message_id


def test_lf_original_arrives_with_crlf(smtp_server: SmtpCatcher) -> None:
    raw = corpus_bytes("001-pryaniki-korobki-inn.eml")
    _, _, facts, decision = kareliya()
    forward = compose_forward(raw, parse(raw), facts, decision, ctx(), Templates(), now=datetime.now(UTC))
    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(forward)  # recipients from To
    [got] = smtp_server.messages
    assert got.rcpt_tos == ("m.orlov@severkarton.test",)
    assert b"\n" not in got.raw.replace(b"\r\n", b"")  # no bare LF on the wire
    assert attached_original(got.raw) == raw.replace(b"\n", b"\r\n")


def test_eight_bit_mail_uses_8bitmime() -> None:
    raw = "From: a@example.ru\nSubject: x\nContent-Type: text/plain; charset=utf-8\n\nКоробки\n".encode()
    _, _, facts, decision = kareliya()
    forward = compose_forward(raw, parse(raw), facts, decision, ctx(), Templates(), now=datetime.now(UTC))
    with running() as server, SmtpSender(server.settings()) as sender:
        sender.send(forward)
    assert attached_original(server.received[0][2]) == raw.replace(b"\n", b"\r\n")


def test_bcc_is_not_written(smtp_server: SmtpCatcher) -> None:
    mail = simple_mail()
    mail["Bcc"] = "boss@severkarton.test"
    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(mail)
    [got] = smtp_server.messages
    assert set(got.rcpt_tos) == {"d.petrov@severkarton.test", "boss@severkarton.test"}
    assert b"boss@" not in got.raw


# -- errors --------------------------------------------------------------------------------


def test_temporary_failure_on_data_is_not_permanent(smtp_server: SmtpCatcher) -> None:
    smtp_server.fail_next.append(451)
    with SmtpSender(smtp_server.settings()) as sender:
        with pytest.raises(ActionError) as caught:
            sender.send(simple_mail())
        assert not caught.value.permanent
        assert "451" in str(caught.value) and "временно" in str(caught.value)
        sender.send(simple_mail(2))  # the same connection goes on working
    assert len(smtp_server.messages) == 1


def test_rejected_message_is_permanent(smtp_server: SmtpCatcher) -> None:
    smtp_server.fail_next.append(554)
    with SmtpSender(smtp_server.settings()) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail())
    assert caught.value.permanent
    assert "отклонил письмо: 554" in str(caught.value)


def test_unknown_recipient_is_permanent(smtp_server: SmtpCatcher) -> None:
    smtp_server.reject_rcpt.add("d.petrov@severkarton.test")
    with SmtpSender(smtp_server.settings()) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail())
    assert caught.value.permanent
    assert str(caught.value) == (
        f"SMTP-сервер 127.0.0.1:{smtp_server.port} отклонил адрес d.petrov@severkarton.test: "
        "550 5.1.1 No such user here"
    )
    assert smtp_server.messages == []


def test_recipient_4xx_is_not_permanent() -> None:
    server = Server(rcpt_answers={"d.petrov@severkarton.test": "451 4.2.0 Mailbox busy"})
    with running(server), SmtpSender(server.settings()) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail())
    assert not caught.value.permanent
    assert "временно не принял адрес d.petrov@severkarton.test: 451 4.2.0 Mailbox busy" in str(caught.value)


def test_mixed_refusals_are_permanent_only_when_all_are_5xx() -> None:
    server = Server(rcpt_answers={"a@severkarton.test": "550 5.1.1 Unknown", "b@severkarton.test": "452 4.2.2 Full"})
    with running(server), SmtpSender(server.settings()) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail(), ["a@severkarton.test", "b@severkarton.test"])
    assert not caught.value.permanent


def test_partial_refusal_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(rcpt_answers={"gone@severkarton.test": "550 5.1.1 Unknown"})
    with running(server), SmtpSender(server.settings()) as sender:
        sender.send(simple_mail(), ["d.petrov@severkarton.test", "gone@severkarton.test"])
    assert server.received[0][1] == ["d.petrov@severkarton.test"]
    assert "gone@severkarton.test: 550 5.1.1 Unknown" in caplog.text


def test_server_down_is_not_permanent() -> None:
    settings = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="", password="", timeout=2)
    with SmtpSender(settings) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail())
    assert not caught.value.permanent
    assert "соединение отклонено" in str(caught.value)


def test_silent_server_times_out() -> None:
    # Accepts the TCP connection (the kernel does, from the backlog) and never greets.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        settings = ServerSettings(host="127.0.0.1", port=listener.getsockname()[1], tls="none", user="",
                                  password="", timeout=0.5)
        with SmtpSender(settings) as sender, pytest.raises(ActionError) as caught:
            sender.send(simple_mail())
    assert not caught.value.permanent
    assert "тайм-аут" in str(caught.value)


# -- connections ---------------------------------------------------------------------------


def test_one_connection_for_three_mails() -> None:
    with running() as server, SmtpSender(server.settings()) as sender:
        for n in range(3):
            sender.send(simple_mail(n))
    assert len(server.received) == 3
    assert len(server.sessions) == 1
    assert sender.connections == 1
    assert sender.noops == 0  # mail back to back: no round trip spent on checking


def test_a_connection_idle_for_a_while_is_checked_with_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtp_module, "NOOP_AFTER_IDLE_SECONDS", 0.0)
    with running() as server, SmtpSender(server.settings()) as sender:
        for n in range(3):
            sender.send(simple_mail(n))
    assert len(server.received) == 3 and sender.connections == 1 and sender.noops == 2


def test_one_tls_connection_for_three_mails(certificate: tuple[Path, Path]) -> None:
    """Whatever TLS leaves on the socket after the handshake must not look like the server
    closing (that would reconnect for every mail)."""
    with running(ssl_context=server_context(certificate)) as server:
        settings = server.settings(host="localhost", tls="ssl", cafile=str(certificate[0]))
        with SmtpSender(settings) as sender:
            for n in range(3):
                sender.send(simple_mail(n))
    assert len(server.received) == 3 and sender.connections == 1
    with running(tls_context=server_context(certificate), require_starttls=True) as server:
        settings = server.settings(host="localhost", tls="starttls", cafile=str(certificate[0]))
        with SmtpSender(settings) as sender:
            for n in range(3):
                sender.send(simple_mail(n))
    assert len(server.received) == 3 and sender.connections == 1


def test_reconnects_after_the_server_dropped_the_connection() -> None:
    server = Server(port=free_port())
    with SmtpSender(server.settings()) as sender:
        with running(server):
            sender.send(simple_mail(1))
        # The server went away (restart, idle timeout) while the sender held the connection.
        with running(server):
            sender.send(simple_mail(2))
    assert [r[2].count(b"Subject:") for r in server.received] == [1, 1]
    assert sender.connections == 2


# -- TLS and login -------------------------------------------------------------------------


def test_starttls_required_but_not_offered() -> None:
    with (
        running() as server,
        SmtpSender(server.settings(tls="starttls", host="localhost")) as sender,
        pytest.raises(ActionError) as caught,
    ):
        sender.send(simple_mail())
    assert not caught.value.permanent  # the setup is wrong, not the mail
    assert "не предлагает STARTTLS" in str(caught.value)
    assert server.received == []


def test_starttls_with_login(certificate: tuple[Path, Path]) -> None:
    with running(tls_context=server_context(certificate), require_starttls=True, authenticator=check_password) as server:
        settings = server.settings(host="localhost", tls="starttls", user="bot", password=PASSWORD, cafile=str(certificate[0]))
        with SmtpSender(settings) as sender:
            sender.send(simple_mail())
    assert len(server.received) == 1


def test_wrong_password_is_named_without_the_password(certificate: tuple[Path, Path]) -> None:
    with running(tls_context=server_context(certificate), require_starttls=True, authenticator=check_password) as server:
        settings = server.settings(host="localhost", tls="starttls", user="bot", password="wrong-" + PASSWORD,
                                   cafile=str(certificate[0]))
        with SmtpSender(settings) as sender, pytest.raises(ActionError) as caught:
            sender.send(simple_mail())
    assert not caught.value.permanent
    assert "не принял логин «bot»: 535" in str(caught.value)
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value.__context__)


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    with running(ssl_context=server_context(certificate)) as server:
        settings = server.settings(host="localhost", tls="ssl", cafile=str(certificate[0]))
        with SmtpSender(settings) as sender:
            sender.send(simple_mail())
    assert len(server.received) == 1


def test_untrusted_certificate_fails_unless_verification_is_off(certificate: tuple[Path, Path]) -> None:
    with running(ssl_context=server_context(certificate)) as server:
        with SmtpSender(server.settings(host="localhost", tls="ssl")) as sender, pytest.raises(ActionError) as caught:
            sender.send(simple_mail())
        assert not caught.value.permanent
        assert "сертификат" in str(caught.value)
        with SmtpSender(server.settings(host="localhost", tls="ssl", verify=False)) as sender:
            sender.send(simple_mail())
    assert len(server.received) == 1


def test_received_bytes_parse_as_sent(smtp_server: SmtpCatcher) -> None:
    mail = simple_mail(7)
    with SmtpSender(smtp_server.settings()) as sender:
        sender.send(mail)
    got = email.message_from_bytes(smtp_server.messages[0].raw, policy=email.policy.default)
    assert got["Subject"] == "[Заявка] Коробки №7"
    assert got.get_content().replace("\r\n", "\n") == "Заявка номер 7: коробки 600×400×150.\n"


@pytest.mark.parametrize(("setup", "about_message"), [
    ("data-451", True), ("rcpt-452", True), ("data-421", False), ("down", False),
])
def test_a_refusal_for_now_says_whether_it_is_about_the_mail_or_the_server(
        setup: str, about_message: bool, smtp_server: SmtpCatcher) -> None:
    """A 4xx to this mail or its recipient (other mail may go meanwhile) is told from the
    server failing as a whole (not reachable, 421 closing): the worker lets the rest
    flow in the first case and stops the poll in the second."""
    settings = smtp_server.settings()
    if setup == "data-451":
        smtp_server.fail_next.append(451)
    elif setup == "data-421":
        smtp_server.fail_next.append(421)
    elif setup == "rcpt-452":
        smtp_server.defer_rcpt.add("d.petrov@severkarton.test")
    else:
        settings = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="", password="")
    with SmtpSender(settings) as sender, pytest.raises(ActionError) as caught:
        sender.send(simple_mail())
    assert not caught.value.permanent and caught.value.about_message is about_message
