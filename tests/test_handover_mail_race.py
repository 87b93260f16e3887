"""The notices of ledger changes go exactly once when two processes announce at once (the
worker after its poll, `inboxbot clients assign` with SMTP configured): each claims a
notice's row before sending it. Two store connections to one journal (a SQLite file, a
PostgreSQL database), a real aiosmtpd; a killed sender's claim lapses and its notice goes
later."""

from __future__ import annotations

import email
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from samples import RULES
from servers import Postgres, SmtpCatcher

from inboxbot.compose.template_check import load_templates
from inboxbot.config import ServerSettings
from inboxbot.io.smtp import SmtpSender
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.run.handover import assign
from inboxbot.run.handover_mail import Announcer
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

T0 = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
CLIENTS = ("korobka-one.ru", "korobka-two.ru", "korobka-three.ru", "korobka-four.ru")


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite")
    server: Postgres = request.getfixturevalue("postgres")
    return server.url(server.new_database())


@pytest.fixture
def two(location: str) -> Iterator[tuple[Store, Store]]:
    with open_store(location) as first, open_store(location) as second:
        yield first, second


class PausingSender(SmtpSender):
    """A real SMTP sender that, on its first message, stops until `go` is set: a sender
    caught in the middle of its SMTP conversation while the other one runs."""

    def __init__(self, settings: ServerSettings) -> None:
        super().__init__(settings)
        self.inside, self.go = threading.Event(), threading.Event()

    def send(self, message: object, recipients: object = None) -> None:  # type: ignore[override]
        if not self.inside.is_set():
            self.inside.set()
            self.go.wait()
        super().send(message, recipients)  # type: ignore[arg-type]


def announcer(store: Store, rules: Rules, **kwargs: float) -> Announcer:
    templates = load_templates(rules)
    return Announcer(store, lambda: rules, lambda: templates, "sales-bot@severkarton.test", lambda: T0, **kwargs)


def changes(store: Store, rules: Rules) -> list[int]:
    made = [assign(store, rules, "volkov", domain, "petrov", T0, create=True).change for domain in CLIENTS]
    return [c.id for c in made if c is not None]


def notices(smtp: SmtpCatcher) -> Counter[str]:
    ids = (email.message_from_bytes(m.raw, policy=policy.default)["Message-ID"] for m in smtp.messages)
    return Counter(str(i) for i in ids)


def test_two_senders_at_once_send_each_notice_exactly_once(two: tuple[Store, Store], smtp_server: SmtpCatcher) -> None:
    rules = load_rules(RULES)
    first, second = two
    assert len(changes(first, rules)) == len(CLIENTS)
    caught = PausingSender(smtp_server.settings())
    sent: list[int] = []

    def announce_first() -> None:
        try:
            sent.append(announcer(first, rules).announce(caught))
        finally:
            caught.inside.set()  # failing before its first send, it must not leave the test waiting

    worker = threading.Thread(target=announce_first)
    worker.start()
    caught.inside.wait()
    # The first sender holds the first notice, mid-conversation; the second sees every
    # change unannounced and sends all it can claim.
    with SmtpSender(smtp_server.settings()) as other:
        sent.append(announcer(second, rules).announce(other))
    caught.go.set()
    worker.join()
    caught.close()
    assert sorted(sent) == [1, len(CLIENTS) - 1]
    counted = notices(smtp_server)
    assert len(counted) == len(CLIENTS) and set(counted.values()) == {1}, counted
    assert first.changes.unannounced() == [] and second.changes.unannounced() == []


def test_a_killed_senders_claim_lapses_and_its_notice_goes_later(two: tuple[Store, Store], smtp_server: SmtpCatcher) -> None:
    rules = load_rules(RULES)
    first, second = two
    dead, *rest = changes(first, rules)
    # A sender claimed the first notice and was killed before sending it.
    assert first.changes.claim_announcement(dead, "killed:1", 3600)
    with SmtpSender(smtp_server.settings()) as smtp:
        assert announcer(second, rules).announce(smtp) == len(rest)
        assert [c.id for c in second.changes.unannounced()] == [dead]  # claimed: not sent twice
        assert first.changes.claim_announcement(dead, "killed:1", 0)  # (its claim, as if run out)
        assert announcer(second, rules).announce(smtp) == 1
    assert second.changes.unannounced() == [] and set(notices(smtp_server).values()) == {1}


def test_a_claim_is_the_holders_until_it_lapses(two: tuple[Store, Store]) -> None:
    rules = load_rules(RULES)
    first, second = two
    (one, *_) = changes(first, rules)
    assert first.changes.claim_announcement(one, "a", 3600)
    assert not second.changes.claim_announcement(one, "b", 3600)
    assert second.changes.claim_announcement(one, "a", 3600)  # the holder again (a retry)
    assert first.changes.claim_announcement(one, "a", -1)  # lapsed at once
    assert second.changes.claim_announcement(one, "b", 3600)
    second.changes.mark_announced(one, T0 + timedelta(minutes=1))
    assert not first.changes.claim_announcement(one, "a", 3600)  # announced: never again
    assert not first.changes.claim_announcement(99, "a", 3600)
