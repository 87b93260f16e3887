"""`inboxbot clients assign | history | undo` on a real journal file, the notices through a
real aiosmtpd: bad input is a clear Russian answer, exit code 2 and nothing changed."""

from __future__ import annotations

import email
import os
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import RULES
from servers import SmtpCatcher

from inboxbot.cli import cli
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.store.factory import open_store

T0 = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
POLIMER = (ClientKey("domain", "polimer-trade.ru"), ClientKey("address", "anna@polimer-trade.ru"))


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("INBOXBOT_"):
            monkeypatch.delenv(name)
    path = tmp_path / "journal.sqlite"
    with open_store(path) as store:
        store.ledger.claim([Assignment(k, "petrov", T0, rule="pool", pool="main", source="m1@x") for k in POLIMER])
    return path


def clients(journal: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["clients", *args, "--rules", str(RULES), "--journal", str(journal)], env=env)
    return result.exit_code, result.output


def owners(journal: Path) -> list[str | None]:
    with open_store(journal) as store:
        return [e.owner if (e := store.ledger.find([k])) else None for k in POLIMER]


@pytest.mark.parametrize(("args", "said"), [
    (("7707083894", "Сидорову"), "контрольная цифра не сходится"),
    (("12345", "Сидорову"), "в ИНН 10 цифр"),
    (("polimer-trade.ru", "Пупкину"), "нет такого менеджера «Пупкину». Менеджеры: Волков (volkov)"),
    (("7707083893", "Сидорову"), "нет в журнале закреплений: бот ещё не закреплял этого клиента. Чтобы закрепить "
                                  "нового клиента, повторите команду с --new"),
    (("boris@other.ru", "Сидорову", "--new"), "По одному адресу нового клиента не закрепляют"),
    (("mail.ru", "Сидорову"), "бесплатная почта"),
    (("polimer-trade.ru", "petrov"), "уже ведёт Петров Дмитрий Сергеевич"),
    (("не клиент", "Сидорову"), "не ИНН, не домен и не адрес почты"),
])  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(journal: Path, args: tuple[str, ...], said: str) -> None:
    code, output = clients(journal, "assign", *args)
    assert code == 2, output
    assert said in output and "Ничего не изменено." in output
    assert owners(journal) == ["petrov", "petrov"]
    assert clients(journal, "history") == (0, "Изменений закреплений нет.\n")


def test_a_client_of_the_base_is_changed_in_the_base(journal: Path) -> None:
    code, output = clients(journal, "assign", "2221555396", "Петрову", "--new")  # «Агроимпульс» in the demo base
    assert code == 2 and "клиент из базы клиентов" in output and "меняют в базе клиентов" in output, output


def test_assign_history_undo_with_notices(journal: Path, smtp_server: SmtpCatcher) -> None:
    env = {"INBOXBOT_IMAP_HOST": "127.0.0.1", "INBOXBOT_IMAP_USER": "u", "INBOXBOT_IMAP_PASSWORD": "p",
           "INBOXBOT_SMTP_HOST": "127.0.0.1", "INBOXBOT_SMTP_PORT": str(smtp_server.port), "INBOXBOT_SMTP_TLS": "none",
           "INBOXBOT_BOT_ADDRESS": "sales-bot@severkarton.test"}  # fmt: skip
    code, output = clients(journal, "assign", "Anna@Polimer-Trade.ru", "сидорову", "--why", "просьба клиента", env=env)
    assert code == 0, output
    assert "Изменение №1: домен polimer-trade.ru; адрес anna@polimer-trade.ru — Петров Дмитрий Сергеевич → Сидоров" in output
    assert "Уведомления отправлены: 1." in output
    assert owners(journal) == ["sidorov", "sidorov"]
    (notice,) = smtp_server.messages
    assert sorted(notice.rcpt_tos) == ["a.sidorov@severkarton.test", "a.volkov@severkarton.test", "d.petrov@severkarton.test"]
    mail = email.message_from_bytes(notice.raw, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Клиента (домен polimer-trade.ru) теперь ведёт Сидоров Алексей Викторович (до этого — Петров" in text
    assert "Почему: просьба клиента" in text and "inboxbot clients undo 1" in text

    code, output = clients(journal, "history", "polimer-trade.ru")
    assert code == 0 and output.startswith("№1  ") and "Петров Дмитрий Сергеевич → Сидоров Алексей Викторович" in output

    assert clients(journal, "undo", "7", env=env)[0] == 2
    code, output = clients(journal, "undo", "1", env=env)
    assert code == 0 and "Изменение №2" in output, output
    assert owners(journal) == ["petrov", "petrov"]
    code, output = clients(journal, "undo", "1", env=env)
    assert code == 2 and "изменение №1 уже отменено (изменение №2)" in output
    assert len(smtp_server.messages) == 2
    assert "Отменено изменение" in str(email.message_from_bytes(smtp_server.messages[1].raw, policy=policy.default)["Subject"])
    code, output = clients(journal, "history")
    assert [line[:3] for line in output.splitlines()] == ["№2 ", "№1 "]


def test_a_new_client_by_inn_is_assigned_with_new(journal: Path) -> None:
    code, output = clients(journal, "assign", "7707083893", "Орлову", "--new")
    assert code == 0 and "Изменение №1: ИНН 7707083893 — никто → Орлов Максим Игоревич." in output, output
    assert "уйдут при следующем опросе" in output
    with open_store(journal) as store:
        entry = store.ledger.find([ClientKey("inn", "7707083893")])
        assert entry is not None and entry.owner == "orlov" and entry.how == "head"
        assert [c.id for c in store.changes.unannounced()] == [1]  # queued for the worker
