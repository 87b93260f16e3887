"""Shared fixtures: real servers on loopback (see tests/servers.py).

Fixture names are used by several test modules; keep them stable:
  dovecot       session-wide Dovecot (IMAP, plaintext on loopback)
  dovecot_tls   session-wide Dovecot with a self-signed cert: STARTTLS on .port, IMAPS on .imaps_port
  imap_inbox    ServerSettings of a fresh Dovecot account with an empty INBOX (per test)
  smtp_server   aiosmtpd catcher (per test): .messages, .fail_next, .reject_rcpt, .settings()
  pymap_server  pymap dict backend (per test): drops custom keywords
  postgres      session-wide PostgreSQL: .new_database(), .url(name) (password in the URL)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import Dovecot, Postgres, Pymap, SmtpCatcher, dovecot_missing, postgres_missing

from inboxbot.config import ServerSettings


def _start_dovecot(tls: bool) -> Iterator[Dovecot]:
    missing = dovecot_missing()
    if missing:
        # Fail, never skip: a green run without the IMAP tests would be a lie. CI installs it.
        pytest.fail(f"Dovecot is needed for the IMAP tests: {missing}", pytrace=False)
    with Dovecot.running(tls=tls) as server:
        yield server


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    yield from _start_dovecot(tls=False)


@pytest.fixture(scope="session")
def dovecot_tls() -> Iterator[Dovecot]:
    yield from _start_dovecot(tls=True)


@pytest.fixture
def imap_inbox(dovecot: Dovecot) -> ServerSettings:
    """A fresh account per test: no cleanup to get wrong, and it costs one line in a file."""
    user, password = dovecot.new_user()
    return dovecot.settings(user=user, password=password)


@pytest.fixture
def smtp_server() -> Iterator[SmtpCatcher]:
    with SmtpCatcher.running() as server:
        yield server


@pytest.fixture
def pymap_server() -> Iterator[Pymap]:
    with Pymap.running() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    missing = postgres_missing()
    if missing:
        # Fail, never skip, as for Dovecot: `make test` installs it.
        pytest.fail(f"PostgreSQL is needed for the store tests: {missing}", pytrace=False)
    with Postgres.running() as server:
        yield server
