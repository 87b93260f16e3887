"""«сегодня нет: Петров» by mail, end to end on a real Dovecot and a real aiosmtpd: the
head's mail records the day away in the store (not in any file), the head hears what
changed, that day's mail for Петров goes to the stand-in (or the head), the next day's
to Петров again; a forged sender or a manager is refused, an unknown name answered, and
nothing changes then."""

from __future__ import annotations

import email
import signal
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from samples import RULES, deliver, demo_department, pending
from servers import SmtpCatcher
from test_roster import forwards, mail_at

from inboxbot.config import ServerSettings, Settings
from inboxbot.route.presence_command import is_presence_command, read_presence
from inboxbot.rules.load import load_rules
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

MSK = ZoneInfo("Europe/Moscow")
HEAD = "a.volkov@severkarton.test"
PETROV = "d.petrov@severkarton.test"
PASS = ("mx.severkarton.test; spf=pass smtp.mailfrom={sender}; dkim=pass header.d=severkarton.test; "
        "dmarc=pass header.from=severkarton.test")  # fmt: skip
FAIL = "mx.severkarton.test; spf=fail smtp.mailfrom={sender}; dmarc=fail"

@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j

def command(n: int, sender: str, text: str, *, auth: str = PASS, subject: str = "Присутствие") -> bytes:
    msg = EmailMessage()
    msg["Authentication-Results"] = auth.format(sender=sender)
    msg["From"], msg["To"] = sender, "sales-bot@severkarton.test"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 16 Jun 2026 08:50:00 +0300"
    msg["Message-ID"] = f"<presence{n}@severkarton.test>"
    msg.set_content(f"{text}\n\n-- \nВолков Андрей\n")
    return msg.as_bytes()

def answers(smtp: SmtpCatcher) -> list[tuple[str, tuple[str, ...], str]]:
    """(kind, recipients, text) of each answer to a presence or credit-back command."""
    found = []
    for m in smtp.messages:
        parsed = email.message_from_bytes(m.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        kind = str(parsed.get("X-Inboxbot", ""))
        if kind.startswith(("presence-", "credit-")):
            body = parsed.get_body(("plain",))
            assert body is not None
            found.append((kind, tuple(m.rcpt_tos), body.get_content()))
    return found

def notices(smtp: SmtpCatcher) -> list[tuple[tuple[str, ...], str]]:
    """(recipients, text) of each notice to an absent manager that their request went to a stand-in."""
    found = []
    for m in smtp.messages:
        parsed = email.message_from_bytes(m.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if str(parsed.get("X-Inboxbot", "")).startswith("notice"):
            body = parsed.get_body(("plain",))
            assert body is not None
            found.append((tuple(m.rcpt_tos), body.get_content()))
    return found

class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

def worker(imap: ServerSettings, smtp: SmtpCatcher, journal: Store, clock: Clock) -> Worker:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=journal.path, bot_address="sales-bot@severkarton.test")
    return Worker(settings, RULES, journal, clock=clock, processes=0)

def test_the_heads_mail_sends_petrovs_mail_of_the_day_to_the_stand_in(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    clock = Clock(datetime(2026, 6, 16, 9, 0, tzinfo=MSK))
    bot = worker(imap_inbox, smtp_server, journal, clock)
    try:
        deliver(imap_inbox, command(1, HEAD, "Сегодня нет: Петров, замещает Сидорова"))
        bot.poll_once()
        (away,) = journal.presence.on(date(2026, 6, 16), date(2026, 6, 16))
        assert (away.manager, away.backup, away.by, away.command) == ("petrov", "sidorov", "volkov", "presence1@severkarton.test")
        ((kind, to, text),) = answers(smtp_server)
        assert kind == "presence-answer" and to == (HEAD,)
        assert "Записал: Петров Дмитрий Сергеевич сегодня (16 июня 2026) не на месте." in text
        assert "получит Сидоров Алексей Викторович" in text
        assert smtp_server.forwards == [] and pending(imap_inbox) == []  # the command itself is no request

        clock.now = datetime(2026, 6, 16, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 10, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        (to, text), = forwards(smtp_server).values()
        assert to == ("a.sidorov@severkarton.test",)
        assert "Петров нет на месте 16.06 → заместитель Сидоров" in text
        ((to, text),) = notices(smtp_server)  # the recorded day is known to the notice too
        assert to == (PETROV,) and "Пока вас нет (до 16 июня 2026 включительно), заявку" in text

        clock.now = datetime(2026, 6, 17, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 17, 10, 0, tzinfo=MSK), "lebedev@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == [PETROV]  # the next day: back with Петров
    finally:
        bot.close()

def test_tomorrow_without_a_stand_in_goes_to_the_head(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    clock = Clock(datetime(2026, 6, 16, 17, 0, tzinfo=MSK))
    bot = worker(imap_inbox, smtp_server, journal, clock)
    try:
        deliver(imap_inbox, command(1, HEAD, "Петров завтра отсутствует"))
        bot.poll_once()
        ((_, _, text),) = answers(smtp_server)
        assert "Петров Дмитрий Сергеевич завтра (17 июня 2026) не на месте" in text and "получит Волков" in text
        clock.now = datetime(2026, 6, 17, 11, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 17, 11, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == [HEAD]
    finally:
        bot.close()

def test_a_forgery_a_manager_and_an_unknown_name_change_nothing(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    clock = Clock(datetime(2026, 6, 16, 9, 0, tzinfo=MSK))
    bot = worker(imap_inbox, smtp_server, journal, clock)
    try:
        deliver(imap_inbox, command(1, HEAD, "сегодня нет: Петров", auth=FAIL),
                command(2, "m.orlov@severkarton.test", "сегодня нет: Петров"),
                command(3, HEAD, "сегодня нет: Пупкин"))  # fmt: skip
        bot.poll_once()
        assert journal.presence.on(date(2026, 6, 1), date(2026, 6, 30)) == []
        sent = answers(smtp_server)
        # Orlov's mail is no command: it is routed as any colleague's mail, never refused.
        assert [(k, to) for k, to, _ in sent] == [("presence-forged", (HEAD,)), ("presence-answer", (HEAD,))]
        assert "не прошло проверку подлинности" in sent[0][2] and "Ничего не изменилось" in sent[0][2]
        assert "Ничего не записано: не понятно, кого нет: «Пупкин» — нет такого менеджера" in sent[1][2]
        rows = journal.queries.requests(datetime(2026, 6, 1, tzinfo=MSK), datetime(2026, 7, 1, tzinfo=MSK))
        (orlov,) = [r for r in rows if r.sender == "m.orlov@severkarton.test"]
        assert orlov.rule != "presence_command"

        clock.now = datetime(2026, 6, 16, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 10, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == [PETROV]
    finally:
        bot.close()

@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("сегодня нет: Петров", ("petrov", date(2026, 6, 16), None)),
        ("Петров сегодня отсутствует", ("petrov", date(2026, 6, 16), None)),
        ("завтра нет: петров, замещает Сидорова", ("petrov", date(2026, 6, 17), "sidorov")),
        ("Сегодня нет: Орлов (замещает Иванова)", ("orlov", date(2026, 6, 16), "ivanova")),
        ("Орлова сегодня нет", ("orlov", date(2026, 6, 16), None)),
    ],
)
def test_the_command_as_the_head_writes_it(line: str, expected: tuple[str, date, str | None]) -> None:
    read = read_presence([line], load_rules(RULES), date(2026, 6, 16))
    assert (read.manager, read.day, read.backup, read.refusal) == (*expected, None)

def test_a_stand_in_for_oneself_is_refused() -> None:
    read = read_presence(["сегодня нет: Петров, замещает Петров"], load_rules(RULES), date(2026, 6, 16))
    assert read.manager is None and read.refusal is not None and "не может замещать сам себя" in read.refusal


def test_a_kill_right_after_the_command_neither_loses_nor_doubles_it(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    """The worker as a process, killed after carrying the command out but before marking
    it: run again, the day away stays one record and the answer keeps its Message-ID."""
    from test_crash import run_worker, worker_env

    path = tmp_path / "journal.sqlite"
    deliver(imap_inbox, command(1, HEAD, "сегодня нет: Петров, замещает Иванова"))
    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, path, "after_command:1"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    finished = run_worker(worker_env(imap_inbox, smtp_server.port, path))
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert pending(imap_inbox) == []
    with open_store(path) as journal:
        (away,) = journal.presence.on(date(2000, 1, 1), date(2100, 1, 1))
        assert (away.manager, away.backup) == ("petrov", "ivanova")
    ids = {email.message_from_bytes(m.raw, policy=policy.default)["Message-ID"] for m in smtp_server.messages}
    assert len(smtp_server.messages) == 2 and len(ids) == 1  # sent again after the kill, the same answer
    assert "Уже записано по этому письму" in answers(smtp_server)[-1][2]


def test_with_after_absence_owner_the_stand_in_keeps_the_request_until_the_day_is_over(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path
) -> None:
    """Before, the return-after-absence job did not know the head's «сегодня нет: …» and
    gave Петров's mail back to him within the same day."""
    from samples import demo_department

    text = RULES.read_text(encoding="utf-8").replace('after_absence = "backup"', 'after_absence = "owner"')
    rules = demo_department(tmp_path / "rules", text)
    clock = Clock(datetime(2026, 6, 16, 9, 0, tzinfo=MSK))
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    bot = Worker(settings, rules, journal, clock=clock, processes=0)
    try:
        deliver(imap_inbox, command(1, HEAD, "сегодня нет: Петров, замещает Сидорова"))
        bot.poll_once()
        clock.now = datetime(2026, 6, 16, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 10, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == ["a.sidorov@severkarton.test"]
        clock.now = datetime(2026, 6, 16, 15, 0, tzinfo=MSK)
        assert bot.poll_once().announced == 0 and journal.changes.history() == []
        clock.now = datetime(2026, 6, 17, 9, 5, tzinfo=MSK)  # back
        assert bot.poll_once().announced == 1
        (change,) = journal.changes.history()
        assert (change.previous, change.owner) == ("sidorov", "petrov")
    finally:
        bot.close()


@pytest.mark.parametrize(("until", "said"), [("2026-06-16T18:00:00", "до 18:00"), ("2026-06-17T12:00:00", "до 17.06 12:00")])
def test_the_notice_of_a_part_day_absence_says_until_when(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path, until: str, said: str
) -> None:
    rules = demo_department(tmp_path / "rules", RULES.read_text(encoding="utf-8") + f"""
[[absence]]
manager = "petrov"
from = 2026-06-16T14:00:00
to = {until}
backup = "ivanova"
reason = "у врача"
""")
    clock = Clock(datetime(2026, 6, 16, 15, 5, tzinfo=MSK))
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    bot = Worker(settings, rules, journal, clock=clock, processes=0)
    try:
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 15, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        ((to, text),) = notices(smtp_server)
        assert to == (PETROV,) and f"Пока вас нет ({said}), заявку" in text
        (to, text), = forwards(smtp_server).values()
        assert to == ("i.ivanova@severkarton.test",) and f"Клиент менеджера: Петров Дмитрий Сергеевич (отсутствует {said})" in text
    finally:
        bot.close()


@pytest.mark.parametrize("line", ["Петров на месте", "отмена: Петров"])
def test_the_head_cancels_a_recorded_day_away_and_petrovs_mail_goes_to_him_again(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, line: str
) -> None:
    clock = Clock(datetime(2026, 6, 16, 9, 0, tzinfo=MSK))
    bot = worker(imap_inbox, smtp_server, journal, clock)
    try:
        deliver(imap_inbox, command(1, HEAD, "сегодня нет: Петров, замещает Сидорова"))
        bot.poll_once()
        clock.now = datetime(2026, 6, 16, 9, 30, tzinfo=MSK)
        deliver(imap_inbox, command(2, HEAD, line))
        bot.poll_once()
        (_, (kind, to, text)) = answers(smtp_server)
        assert kind == "presence-answer" and to == (HEAD,)
        assert "Отменил: Петров Дмитрий Сергеевич сегодня (16 июня 2026) на месте" in text
        assert smtp_server.forwards == []  # the command itself is no request

        clock.now = datetime(2026, 6, 16, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 10, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == [PETROV]
        assert notices(smtp_server) == []
    finally:
        bot.close()


def test_a_cancel_forged_or_with_nothing_recorded_changes_nothing(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    clock = Clock(datetime(2026, 6, 16, 9, 0, tzinfo=MSK))
    bot = worker(imap_inbox, smtp_server, journal, clock)
    try:
        deliver(imap_inbox, command(1, HEAD, "сегодня нет: Петров"))
        bot.poll_once()
        clock.now = datetime(2026, 6, 16, 9, 30, tzinfo=MSK)
        deliver(imap_inbox, command(2, HEAD, "отмена: Петров", auth=FAIL), command(3, HEAD, "Орлов на месте"))
        bot.poll_once()
        sent = answers(smtp_server)[1:]
        assert [(k, to) for k, to, _ in sent] == [("presence-forged", (HEAD,)), ("presence-answer", (HEAD,))]
        assert "не прошло проверку подлинности" in sent[0][2] and "Ничего не изменилось" in sent[0][2]
        assert ("Ничего не отменено: Орлов Максим Игоревич — нет записанного отсутствия на сегодня (16 июня 2026) "
                "и завтра (17 июня 2026)") in sent[1][2]  # fmt: skip

        clock.now = datetime(2026, 6, 16, 10, 5, tzinfo=MSK)
        deliver(imap_inbox, mail_at(datetime(2026, 6, 16, 10, 0, tzinfo=MSK), "kuzmin@gmail.com", PETROV))
        bot.poll_once()
        assert list(smtp_server.forwards[-1].rcpt_tos) == [HEAD]  # still away: the forgery cancelled nothing
    finally:
        bot.close()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Петров на месте", ("petrov", None)),
        ("Петров сегодня на месте.", ("petrov", date(2026, 6, 16))),
        ("отмена: Петров", ("petrov", None)),
        ("Отмена: завтра Петров", ("petrov", date(2026, 6, 17))),
        ("отменить — Орлова", ("orlov", None)),
    ],
)
def test_the_cancel_as_the_head_writes_it(line: str, expected: tuple[str, date | None]) -> None:
    read = read_presence([line], load_rules(RULES), date(2026, 6, 16))
    assert (read.manager, read.day, read.cancel, read.refusal) == (*expected, True, None)


def test_a_sentence_that_merely_mentions_being_in_is_no_command() -> None:
    assert not is_presence_command(["Петров на месте разберётся с клиентом"])
