"""«не в счёт: спам» by mail, on a real Dovecot and a real aiosmtpd: the head's reply to a
forward takes the lead out of its manager's share of the queue (as `inboxbot
credit-back`), the head hears what changed; a second reply changes nothing and says so;
a forged reply or a manager's is refused and nothing is credited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import RULES, deliver, pending
from servers import SmtpCatcher
from test_ledger_command import HEAD, command, mail_id
from test_presence_command import answers

from inboxbot.config import ServerSettings, Settings
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

FAIL = "mx.severkarton.test; spf=fail smtp.mailfrom={sender}; dmarc=fail"


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def junk() -> bytes:
    return (
        "From: promo@cheap-leads.example\r\nTo: sales@severkarton.test\r\nSubject: Коробки оптом\r\n"
        "Date: Mon, 09 Jun 2025 10:00:00 +0300\r\nMessage-ID: <junk1@cheap-leads.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nДобрый день! Нужны коробки 400х300х200, 1000 шт.\r\n"
    ).encode()


def test_the_heads_reply_credits_the_lead_back_once_and_a_forgery_changes_nothing(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    bot = Worker(settings, RULES, journal)
    try:
        deliver(imap_inbox, junk())
        assert bot.poll_once().forwarded == 1
        (forward,) = smtp_server.forwards
        since = datetime(2025, 6, 1, tzinfo=UTC)
        owner_counts = journal.history.owner_counts(since)
        assert sum(owner_counts.values()) == 1

        deliver(imap_inbox, command(1, HEAD, mail_id(forward), "Не в счёт: спам", auth=FAIL),
                command(2, "m.orlov@severkarton.test", mail_id(forward), "не в счёт: спам"))  # fmt: skip
        bot.poll_once()
        assert journal.credits.credits(since) == [] and journal.history.owner_counts(since) == owner_counts
        sent = answers(smtp_server)
        assert [(k, to) for k, to, _ in sent] == [
            ("credit-forged", (HEAD,)), ("credit-forged", (HEAD,)), ("credit-answer", ("m.orlov@severkarton.test",))]
        assert "списывать заявки с доли может только руководитель отдела" in sent[2][2]

        deliver(imap_inbox, command(3, HEAD, mail_id(forward), "Не в счёт: спам, это рассылка"))
        bot.poll_once()
        (credit,) = journal.credits.credits(since)
        assert (credit.message_id, credit.by, credit.reason) == ("junk1@cheap-leads.example", "volkov", "спам, это рассылка")
        assert journal.history.owner_counts(since) == {}
        kind, to, text = answers(smtp_server)[-1]
        assert (kind, to) == ("credit-answer", (HEAD,))
        assert "Заявка «Коробки оптом» списана с доли:" in text and "(причина: спам, это рассылка)" in text

        deliver(imap_inbox, command(4, HEAD, mail_id(forward), "не в счёт"))
        bot.poll_once()
        assert len(journal.credits.credits(since)) == 1
        assert "уже списана с доли" in answers(smtp_server)[-1][2]
        assert len(smtp_server.forwards) == 1 and pending(imap_inbox) == []  # no command was routed as a request
    finally:
        bot.close()
