"""Near-duplicate requests end to end, against a real Dovecot and a real aiosmtpd on
loopback: a resend with a new Message-ID and the same request sent to sales@ and then to
zakaz@ reach the first request's manager, marked as a repeat, and count once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import RULES, deliver, pending
from servers import SmtpCatcher
from test_ledger_worker import forward_text

from inboxbot.compose.report import build_report
from inboxbot.config import ServerSettings, Settings
from inboxbot.rules.load import load_rules
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

TEXT = ("Добрый день!\nПросим выставить счёт на гофрокоробки 400х300х200, 1000 шт.,\n"
        "доставка до склада в пятницу.\n\nС уважением,\nАнна Белова\n")  # fmt: skip


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def request(tag: str, sender: str, to: str, minute: int, body: str = TEXT, subject: str = "Заявка на коробки") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = f"Mon, 09 Jun 2025 10:{minute:02d}:00 +0300"
    msg["Message-ID"] = f"<{tag}@client.example>"
    msg.set_content(body)
    return msg.as_bytes()


def test_a_resend_and_a_copy_to_the_second_address_reach_the_first_owner_once(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    anna, kuzmin = "Анна Белова <anna@gmail.com>", "Иван Кузьмин <kuzmin@mail.ru>"
    deliver(imap_inbox, request("a1", anna, "sales@severkarton.test", 14))
    assert worker.poll_once().forwarded == 1
    # «Не дошло?»: the same text again under a new Message-ID, quoted and re-wrapped by her mail program.
    resend = TEXT.replace(",\n", ", ") + "\n\n> " + TEXT.replace("\n", "\n> ")
    deliver(imap_inbox, request("a2", anna, "sales@severkarton.test", 40, resend, "Fwd: Заявка на коробки"))
    # Another client writes to both addresses, two mails, in the same poll.
    deliver(imap_inbox, request("k1", kuzmin, "sales@severkarton.test", 41, "Нужна стретч-плёнка 500 мм, 20 рулонов.\n"),
            request("k2", kuzmin, "zakaz@severkarton.test", 42, "Нужна стретч-плёнка 500 мм, 20 рулонов.\n"))  # fmt: skip
    assert worker.poll_once().forwarded == 3
    assert pending(imap_inbox) == []

    first, again, k1, k2 = smtp_server.forwards
    assert again.rcpt_tos == first.rcpt_tos and k2.rcpt_tos == k1.rcpt_tos
    assert "Повтор заявки от 09.06 10:14, первая ушла вам же." in forward_text(again.raw)
    assert "Повтор заявки от 09.06 10:41, первая ушла вам же." in forward_text(k2.raw)
    assert "Повтор" not in forward_text(first.raw) and "Повтор" not in forward_text(k1.raw)
    rows = journal.queries.requests(datetime(2000, 1, 1, tzinfo=UTC))
    assert [r.rule for r in rows] == ["pool", "repeat", "pool", "repeat"]
    # Counted once: two requests in the shares, the report and the follow-ups.
    since = datetime.now(UTC) - timedelta(days=1)
    assert sum(journal.history.owner_counts(since).values()) == 2
    report = build_report(rows, journal.requests.awaiting_answer(), load_rules(RULES), since,
                          datetime.now(UTC) + timedelta(days=1), now=datetime.now(UTC))  # fmt: skip
    assert (report.totals.forwarded, report.totals.repeats) == (2, 2)
    assert sum(m.total for m in report.managers) == 2
    assert len(journal.requests.awaiting_answer()) == 2
