"""The ledger's changes end to end, on a real Dovecot and a real aiosmtpd: the head's
«передать Сидорову» in reply to a forward moves the client (its next mail goes to the new
owner), a forged command is refused and the head told, an undo moves it back, and a kill
right after a command neither loses nor doubles it."""

from __future__ import annotations

import email
import signal
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import RULES, deliver, demo_department, pending
from servers import Received, SmtpCatcher
from test_crash import run_worker, worker_env
from test_ledger_worker import forward_text, request

from inboxbot.config import ServerSettings, Settings
from inboxbot.model.ledger import ClientKey
from inboxbot.rules.load import load_rules
from inboxbot.run.handover import assign, undo
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

HEAD = "a.volkov@severkarton.test"
EMAILS = {"volkov": HEAD, "ivanova": "i.ivanova@severkarton.test", "petrov": "d.petrov@severkarton.test",
          "sidorov": "a.sidorov@severkarton.test", "kuznetsova": "e.kuznetsova@severkarton.test",
          "orlov": "m.orlov@severkarton.test", "smirnova": "o.smirnova@severkarton.test"}  # fmt: skip
WHO = {v: k for k, v in EMAILS.items()}
PASS = ("mx.severkarton.test; spf=pass smtp.mailfrom={sender}; dkim=pass header.d=severkarton.test; "
        "dmarc=pass header.from=severkarton.test")  # fmt: skip
ANNA = "Анна Белова <anna@polimer-trade.ru>"


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def command(n: int, sender: str, parent: str, text: str, *, auth: str | None = PASS) -> bytes:
    msg = EmailMessage()
    if auth is not None:
        msg["Authentication-Results"] = auth.format(sender=sender)
    msg["Received"] = "from mail.severkarton.test (mail.severkarton.test [192.0.2.10]) by mx.severkarton.test"
    msg["From"], msg["To"] = sender, "sales-bot@severkarton.test"
    msg["Subject"] = "Re: пересылка заявки"
    msg["Date"] = "Mon, 09 Jun 2025 12:00:00 +0300"
    msg["Message-ID"] = f"<cmd{n}@severkarton.test>"
    msg["In-Reply-To"] = msg["References"] = f"<{parent}>"
    msg.set_content(f"{text}\n\n09.06.2025 10:01, Сортировщик заявок пишет:\n> Заявка на коробки\n")
    return msg.as_bytes()


def mail_id(sent: Received) -> str:
    return str(email.message_from_bytes(sent.raw, policy=policy.default)["Message-ID"]).strip("<>")


def text_of(sent: Received) -> str:
    return forward_text(sent.raw)


def kinds(sent: list[Received]) -> list[tuple[str, tuple[str, ...]]]:
    """Each mail as (its kind, its recipients by manager id): the scenario's mail log."""
    out = []
    for m in sent:
        head = email.message_from_bytes(m.raw, policy=policy.default)
        kind = str(head.get("X-Inboxbot", "?")).replace(";", " ").split()[0]
        out.append((kind, tuple(sorted(WHO.get(r, r) for r in m.rcpt_tos))))
    return out


def test_the_heads_reply_moves_the_client_a_forgery_is_refused_and_an_undo_moves_it_back(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
    assert worker.poll_once().forwarded == 1
    (first,) = smtp_server.forwards
    owner = WHO[first.rcpt_tos[0]]
    target, target_word = ("petrov", "петрову") if owner == "sidorov" else ("sidorov", "Сидорову")

    # A forged command: the head's address, but the server's check failed.
    deliver(imap_inbox, command(1, HEAD, mail_id(first), f"Передать {target_word}",
                                auth="mx.severkarton.test; spf=fail smtp.mailfrom=a.volkov@severkarton.test; dmarc=fail"))
    # A manager's command without any Authentication-Results at all (the server adds none).
    deliver(imap_inbox, command(2, EMAILS["orlov"], mail_id(first), f"передать {target_word}", auth=None))
    worker.poll_once()
    assert journal.ledger.find([ClientKey("domain", "polimer-trade.ru")]).owner == owner  # type: ignore[union-attr]
    assert journal.changes.history() == []
    refusals = [m for m in smtp_server.messages if kinds([m])[0][0] == "ledger-refusal"]
    assert kinds(refusals) == [("ledger-refusal", ("volkov",)), ("ledger-refusal", ("orlov",)),
                               ("ledger-refusal", ("volkov",))]  # fmt: skip
    assert "не прошло проверку подлинности" in text_of(refusals[0]) and "от a.volkov@severkarton.test" in text_of(refusals[0])
    assert "Команда не выполнена: письмо не прошло проверку подлинности" in text_of(refusals[1])
    assert "от m.orlov@severkarton.test" in text_of(refusals[2])

    # The real head, authenticated: the client moves, all three are told.
    deliver(imap_inbox, command(3, HEAD, mail_id(first), f"Передать {target_word}, пожалуйста"))
    report = worker.poll_once()
    assert report.announced == 1 and pending(imap_inbox) == []
    (change,) = journal.changes.history()
    assert (change.previous, change.owner, change.by, change.how, change.command) == (
        owner, target, "volkov", "head", "cmd3@severkarton.test")  # fmt: skip
    notice = smtp_server.messages[-1]
    assert kinds([notice]) == [("ledger-change", tuple(sorted({"volkov", owner, target})))]
    assert "теперь ведёт" in text_of(notice) and "Кто решил: Волков Андрей Николаевич" in text_of(notice)

    # The client's next mail goes to the new owner, who reads why.
    deliver(imap_inbox, request(2, ANNA, "Полимер-Трейд"))
    assert worker.poll_once().forwarded == 1
    second = smtp_server.forwards[-1]
    assert list(second.rcpt_tos) == [EMAILS[target]]
    assert "(решение руководителя)" in text_of(second)

    # Undone (the CLI's and the web page's function): back to the first owner, all told.
    assert undo(journal, load_rules(RULES), "командная строка", change.id, datetime.now(UTC)).change is not None
    assert worker.poll_once().announced == 1
    assert "Отменено изменение" in str(email.message_from_bytes(smtp_server.messages[-1].raw, policy=policy.default)["Subject"])
    deliver(imap_inbox, request(3, ANNA, "Полимер-Трейд"))
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS[owner]]


def test_a_kill_right_after_a_command_neither_loses_nor_doubles_it(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite"
    deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
    assert run_worker(worker_env(imap_inbox, smtp_server.port, path)).returncode == 0
    (first,) = smtp_server.forwards
    target = "Петрову" if WHO[first.rcpt_tos[0]] != "petrov" else "Сидорову"
    deliver(imap_inbox, command(1, HEAD, mail_id(first), f"передать {target}"))
    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, path, "after_command:1"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    with open_store(path) as journal:
        assert len(journal.changes.history()) == 1 and len(journal.changes.unannounced()) == 1
    finished = run_worker(worker_env(imap_inbox, smtp_server.port, path))
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert pending(imap_inbox) == []
    with open_store(path) as journal:
        assert len(journal.changes.history()) == 1 and journal.changes.unannounced() == []
    assert [k for k, _ in kinds(smtp_server.messages)] == ["forwarded", "ack", "ledger-change"]


def answer(sender: str, request_id: str, n: int) -> bytes:
    """A colleague's answer to the client, the shared address in copy (run/followups.py)."""
    return (
        f"From: {sender}\r\nTo: anna@polimer-trade.ru\r\nCc: sales@severkarton.test\r\nSubject: Re: Заявка\r\n"
        f"Message-ID: <answer{n}@severkarton.test>\r\nIn-Reply-To: <{request_id}>\r\nReferences: <{request_id}>\r\n"
        "Date: Mon, 09 Jun 2025 11:00:00 +0300\r\n\r\nДобрый день! Счёт во вложении.\r\n"
    ).encode()


def client_reply(n: int, parents: list[str]) -> bytes:
    return (
        f"From: {ANNA}\r\nTo: sales@severkarton.test\r\nSubject: Re: Заявка\r\nMessage-ID: <creply{n}@polimer-trade.ru>\r\n"
        f"In-Reply-To: <{parents[-1]}>\r\nReferences: {' '.join(f'<{p}>' for p in parents)}\r\n"
        "Date: Mon, 09 Jun 2025 12:00:00 +0300\r\n\r\nСпасибо, а доставка когда?\r\n"
    ).encode()


@pytest.mark.parametrize("on_answer", ["thread", "client"])
def test_a_colleague_answering_takes_the_thread_and_by_policy_the_client(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path, on_answer: str
) -> None:
    text = RULES.read_text(encoding="utf-8")
    assert 'on_answer = "thread"' in text
    rules = demo_department(tmp_path / "rules", text.replace('on_answer = "thread"', f'on_answer = "{on_answer}"'))
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, rules, journal)
    deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
    worker.poll_once()
    (first,) = smtp_server.forwards
    owner = WHO[first.rcpt_tos[0]]
    colleague = "petrov" if owner != "petrov" else "sidorov"
    request_id = str(email.message_from_bytes(request(1, ANNA, "Полимер-Трейд"), policy=policy.default)["Message-ID"]).strip("<>")
    deliver(imap_inbox, answer(EMAILS[colleague], request_id, 1))
    assert worker.poll_once().announced == 1
    (change,) = journal.changes.history()
    assert (change.previous, change.owner, change.by, change.how) == (owner, colleague, colleague, "handover")
    assert change.threads_only == (on_answer == "thread")
    notice = smtp_server.messages[-1]
    assert kinds([notice]) == [("ledger-change", tuple(sorted({"volkov", owner, colleague})))]
    assert "ответил(а) клиенту на заявку" in text_of(notice)
    # The client's reply in that thread goes to whoever answered.
    deliver(imap_inbox, client_reply(1, [request_id, "answer1@severkarton.test"]))
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS[colleague]]
    # The client's next new request: the colleague's with "client", still the owner's with "thread".
    deliver(imap_inbox, request(2, ANNA, "Полимер-Трейд"))
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS[colleague if on_answer == "client" else owner]]


def test_a_client_base_change_moves_the_open_thread_and_both_are_told(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path
) -> None:
    rules = demo_department(tmp_path / "rules")
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, rules, journal)
    client = "Павел Ким <kim@agroimpuls.ru>"  # АО «Агроимпульс» of the demo base: Сидоров's
    deliver(imap_inbox, request(1, client, "Агроимпульс"))
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS["sidorov"]]
    base = tmp_path / "rules" / "clients.csv"
    text = base.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("АО «Агроимпульс»,"))
    base.write_text(text.replace(line, line.replace(",sidorov,", ",orlov,")), encoding="utf-8")
    assert worker.poll_once().announced == 1  # the rules reload reads the new base
    (change,) = journal.changes.history()
    assert (change.previous, change.owner, change.how, change.by, change.threads_only) == (
        "sidorov", "orlov", "import", "база клиентов", True)  # fmt: skip
    assert kinds([smtp_server.messages[-1]]) == [("ledger-change", ("orlov", "sidorov", "volkov"))]
    assert "изменение в базе клиентов" in text_of(smtp_server.messages[-1])
    request_id = str(email.message_from_bytes(request(1, client, "Агроимпульс"), policy=policy.default)["Message-ID"]).strip("<>")
    reply = client_reply(2, [request_id]).replace(ANNA.encode(), client.encode())
    deliver(imap_inbox, reply)
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS["orlov"]]  # the open thread follows the base
    assert worker.poll_once().announced == 0  # moved once


def test_an_answer_to_the_client_saying_передать_is_no_command(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
    worker.poll_once()
    (first,) = smtp_server.forwards
    owner = WHO[first.rcpt_tos[0]]
    reply = answer(EMAILS[owner], mail_id(first), 7).replace(
        "Счёт во вложении.".encode(), "Готовы передать документы курьером завтра.".encode())
    deliver(imap_inbox, reply)
    report = worker.poll_once()
    assert report.answers == 1 and journal.changes.history() == []
    assert [k for k, _ in kinds(smtp_server.messages)] == ["forwarded", "ack"]  # no refusal, no notice


def test_the_owner_replies_to_a_notice_and_hands_the_client_on(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal)
    deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
    worker.poll_once()
    rules = load_rules(RULES)
    done = assign(journal, rules, "volkov", "polimer-trade.ru", "Кузнецовой", datetime.now(UTC))
    assert done.change is not None
    assert worker.poll_once().announced == 1
    notice = mail_id(smtp_server.messages[-1])
    # Кузнецова, now the owner, passes the client to Орлов by replying to the notice.
    deliver(imap_inbox, command(1, EMAILS["kuznetsova"], notice, "Передать Орлову — у него этот район"))
    assert worker.poll_once().announced == 1
    latest = journal.changes.history()[0]
    assert (latest.previous, latest.owner, latest.by, latest.how) == ("kuznetsova", "orlov", "kuznetsova", "owner")
    assert latest.describe_how() == "передал(а) менеджер, который вёл клиента"
    # Петров, not the owner, may not: he hears why, the head is told.
    deliver(imap_inbox, command(2, EMAILS["petrov"], notice, "передать Петрову"))
    worker.poll_once()
    assert journal.changes.history()[0].id == latest.id
    assert kinds(smtp_server.messages[-2:]) == [("ledger-refusal", ("petrov",)), ("ledger-refusal", ("volkov",))]
    assert "руководитель отдела или менеджер, который ведёт этого клиента" in text_of(smtp_server.messages[-2])


@pytest.mark.parametrize("after_absence", ["owner", "backup"])
def test_after_an_absence_the_backups_open_thread_returns_or_stays_by_policy(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path, after_absence: str
) -> None:
    text = RULES.read_text(encoding="utf-8")
    rules = demo_department(tmp_path / "rules", text.replace('after_absence = "backup"', f'after_absence = "{after_absence}"'))
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    now = [datetime(2025, 8, 5, 7, 0, tzinfo=UTC)]  # Сидоров is away 04.08–15.08, Петров stands in
    worker = Worker(settings, rules, journal, clock=lambda: now[0])
    client = "Павел Ким <kim@agroimpuls.ru>"
    raw = request(1, client, "Агроимпульс").replace(b"Mon, 09 Jun 2025 10:01:00", b"Tue, 05 Aug 2025 10:01:00")
    deliver(imap_inbox, raw)
    worker.poll_once()
    assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS["petrov"]]
    assert worker.poll_once().announced == 0  # still away: the backup keeps it
    now[0] = datetime(2025, 8, 18, 7, 0, tzinfo=UTC)  # back
    returned = worker.poll_once().announced
    request_id = str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip("<>")
    deliver(imap_inbox, client_reply(3, [request_id]).replace(ANNA.encode(), client.encode()))
    worker.poll_once()
    if after_absence == "owner":
        assert returned == 1
        (change,) = journal.changes.history()
        assert (change.previous, change.owner, change.by) == ("petrov", "sidorov", "конец отсутствия")
        (notice,) = [m for m in smtp_server.messages if kinds([m])[0][0] == "ledger-change"]
        assert kinds([notice]) == [("ledger-change", ("petrov", "sidorov", "volkov"))]
        assert "вернулся(ась) из отсутствия" in text_of(notice)
        assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS["sidorov"]]
    else:
        # The backup keeps the thread, and the owner is told so once: which threads, with whom.
        assert returned == 1
        (change,) = journal.changes.history()
        assert (change.previous, change.owner, change.by, change.how) == ("sidorov", "petrov", "конец отсутствия", "kept")
        (notice,) = [m for m in smtp_server.messages if kinds([m])[0][0] == "ledger-change"]
        assert kinds([notice]) == [("ledger-change", ("petrov", "sidorov", "volkov"))]
        assert "Остаются у замещавшего (Петров Дмитрий Сергеевич)" in text_of(notice) and "«Заявка на коробки 1»" in text_of(notice)
        assert list(smtp_server.forwards[-1].rcpt_tos) == [EMAILS["petrov"]]
        assert worker.poll_once().announced == 0 and len(journal.changes.history()) == 1
