"""A dispute over who owns a client, end to end against a real Dovecot and a real aiosmtpd
on loopback: Сидоров's client (the demo base, by the INN in the signature) writes to
Петров by name; the mail goes to Петров (the addressed rule), Сидоров is told once, the
dispute is listed, settled by the head, and not raised again."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import RULES, deliver, pending
from servers import Received, SmtpCatcher

from inboxbot.cli import cli
from inboxbot.config import ServerSettings, Settings
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

PETROV, SIDOROV = "d.petrov@severkarton.test", "a.sidorov@severkarton.test"


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def to_petrov(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "Ольга Миронова <snab@tula-pryanik.example>", PETROV
    msg["Cc"] = "sales@severkarton.test"
    msg["Subject"] = f"Коробки для пряников, партия {n}"
    msg["Date"] = f"Mon, 09 Jun 2025 1{n}:00:00 +0300"
    msg["Message-ID"] = f"<tula{n}@tula-pryanik.example>"
    msg.set_content(f"Дмитрий, добрый день!\nНужны коробки под пряники, {n}000 шт., как в прошлый раз.\n\n"
                    "С уважением,\nОльга Миронова\nООО «Тульская пряничная мануфактура»\nИНН 7106346026\n")  # fmt: skip
    return msg.as_bytes()


def notices(catcher: SmtpCatcher) -> list[Received]:
    return [m for m in catcher.messages if SIDOROV in m.rcpt_tos and b"X-Inboxbot: notice" in m.raw]


def text(raw: bytes) -> str:
    body = email.message_from_bytes(raw, policy=policy.default).get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def cli_out(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--rules", str(RULES)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_client_writing_to_a_colleague_is_noticed_listed_settled_and_not_raised_again(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    deliver(imap_inbox, to_petrov(1))
    assert worker.poll_once().forwarded == 1
    (forward,) = smtp_server.forwards
    assert forward.rcpt_tos == (PETROV,)
    (notice,) = notices(smtp_server)
    said = text(notice.raw).replace("\r\n", "\n")
    assert said.startswith("Здравствуйте, Алексей Викторович!\n\nВаш клиент ООО «Тульская пряничная мануфактура» "
                           "(ИНН 7106346026) написал напрямую коллеге — Петров Дмитрий Сергеевич.\n")  # fmt: skip
    assert "Спор № 1 записан и попадёт в отчёт руководителю" in said
    # The same client writes to Петров again: the same dispute, Сидоров is not told twice.
    deliver(imap_inbox, to_petrov(2))
    assert worker.poll_once().forwarded == 1
    assert len(notices(smtp_server)) == 1
    listed = cli_out("conflicts", "--journal", journal.path)
    assert "№ 1  " in listed and "письмо не владельцу клиента" in listed and "Петров / Сидоров; не решён" in listed
    assert "№ 2" not in listed
    settled = cli_out("conflicts", "settle", "1", "--keep", "--why", "договорились: заказы ведёт Петров", "--journal", journal.path)
    assert settled.strip() == "Спор № 1 решён: оставить как есть: договорились: заказы ведёт Петров."
    # Settled: the same facts raise nothing and tell nobody.
    deliver(imap_inbox, to_petrov(3))
    assert worker.poll_once().forwarded == 1
    assert len(notices(smtp_server)) == 1
    assert cli_out("conflicts", "--journal", journal.path).strip() == "Нерешённых споров нет."
    assert [c.number for c in journal.conflicts.listing(open_only=False)] == [1]
    assert pending(imap_inbox) == []
