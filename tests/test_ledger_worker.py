"""The client ledger end to end: a new client writing again and again reaches the manager
its first request went to, against a real Dovecot and a real aiosmtpd on loopback."""

from __future__ import annotations

import email
import signal
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import RULES, deliver, pending
from servers import SmtpCatcher
from test_crash import run_worker, worker_env

from inboxbot.config import ServerSettings, Settings
from inboxbot.model.ledger import ClientKey
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def request(n: int, sender: str, company: str) -> bytes:
    """A new company's request with nothing that names a region: the pool decides it."""
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "sales@severkarton.test"
    msg["Subject"] = f"Заявка на коробки {n}"
    msg["Date"] = f"Mon, 09 Jun 2025 10:0{n}:00 +0300"
    msg["Message-ID"] = f"<req{n}.{abs(hash(sender))}@client.example>"
    msg.set_content(f"Добрый день!\nПросим выставить счёт на гофрокоробки 400х300х200, {n}000 шт.\n\n"
                    f"С уважением,\nАнна Белова\nООО «{company}»\n")  # fmt: skip
    return msg.as_bytes()


def forward_text(raw: bytes) -> str:
    forward = email.message_from_bytes(raw, policy=policy.default)
    body = forward.get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def test_a_new_client_writing_three_times_reaches_one_manager(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    anna = "Анна Белова <anna@polimer-trade.ru>"
    for n in (1, 2, 3):  # three polls, one mail each; the third from a colleague's address
        deliver(imap_inbox, request(n, anna if n < 3 else "Борис <boris@polimer-trade.ru>", "Полимер-Трейд"))
        assert worker.poll_once().forwarded == 1
    # Two mails of another new client in one poll: the second sees the first's assignment.
    deliver(imap_inbox, request(4, "olga@stekloplast.ru", "Стеклопласт"), request(5, "olga@stekloplast.ru", "Стеклопласт"))
    assert worker.poll_once().forwarded == 2
    assert pending(imap_inbox) == []

    forwards = smtp_server.forwards
    assert len(forwards) == 5
    first = forwards[0].rcpt_tos
    assert [f.rcpt_tos for f in forwards[:3]] == [first] * 3
    assert forwards[3].rcpt_tos == forwards[4].rcpt_tos != first  # the round robin moved on for the new one
    assert "закреплён" not in forward_text(forwards[0].raw)
    for sent in (forwards[1], forwards[2], forwards[4]):
        assert "Клиент закреплён за вами с " in forward_text(sent.raw)
        assert "(первая заявка, очередь «main»)" in forward_text(sent.raw)
    entry = journal.ledger.find([ClientKey("domain", "polimer-trade.ru")])
    assert entry is not None and entry.rule == "pool" and entry.pool == "main"
    assert journal.ledger.find([ClientKey("address", "boris@polimer-trade.ru")]) is None  # followed, not assigned
    rows = journal.queries.recent()
    assert [r["rule"] for r in reversed(rows)] == ["pool", "ledger", "ledger", "pool", "ledger"]


def test_a_kill_between_the_forward_and_the_ledger_loses_no_assignment(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite"
    deliver(imap_inbox, request(1, "anna@polimer-trade.ru", "Полимер-Трейд"))
    # Killed right after `forwarded` is journalled, before the first assignment is written.
    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, path, "after_forwarded:1"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    with open_store(path) as journal:
        assert journal.ledger.find([ClientKey("domain", "polimer-trade.ru")]) is None
    deliver(imap_inbox, request(2, "anna@polimer-trade.ru", "Полимер-Трейд"))
    finished = run_worker(worker_env(imap_inbox, smtp_server.port, path))
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert pending(imap_inbox) == []
    first, second = smtp_server.forwards
    assert first.rcpt_tos == second.rcpt_tos  # the resumed mail wrote its owner before the next was decided
    with open_store(path) as journal:
        entry = journal.ledger.find([ClientKey("domain", "polimer-trade.ru")])
        assert entry is not None and entry.source.startswith("req1.")  # written by the resumed mail
        assert [r["rule"] for r in reversed(journal.queries.recent())] == ["pool", "ledger"]
