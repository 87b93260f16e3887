"""Acknowledgements, answers, reminders, escalations and the scheduled report: the worker
against a real Dovecot and a real aiosmtpd, with a clock the test moves."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, pending, sample
from servers import SmtpCatcher, TcpProxy

from inboxbot.config import ServerSettings, Settings
from inboxbot.errors import FetchError
from inboxbot.rules.model import FollowUp
from inboxbot.run.jobs import Jobs
from inboxbot.run.pollreport import PollReport
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store

MSK = ZoneInfo("Europe/Moscow")
CLIENT_ID = "CAvRYDRPTLuAlOYAeH4QowFj7GwwAKVQHmPPuZAbQjdYrC@mail.gmail.com"  # sample 001 → sidorov
CLIENT = "gromova.liza@gmail.com"
SIDOROV, HEAD = "a.sidorov@severkarton.test", "a.volkov@severkarton.test"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, *args: int) -> None:
        self.now = datetime(*args, tzinfo=MSK)  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=MSK))  # a Monday, office hours


@pytest.fixture
def worker(tmp_path: Path, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock) -> Iterator[Worker]:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=str(tmp_path / "journal.sqlite"),
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    with open_store(settings.journal) as journal:
        bot = Worker(settings, RULES, journal, clock=clock, processes=0)
        yield bot
        bot.close()


def once(worker: Worker) -> PollReport:
    """What `inboxbot run --once` does: the poll, then the follow-ups, then the report."""
    return Jobs(worker).run_once()


def sent(smtp: SmtpCatcher, kind: str) -> list[tuple[tuple[str, ...], EmailMessage]]:
    """What the bot sent of one kind (forwarded, ack, reminder, escalation, report…),
    told apart by its own loop header."""
    found = []
    for message in smtp.messages:
        parsed = email.message_from_bytes(message.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if str(parsed.get("X-Inboxbot", "")).startswith(kind):
            found.append((message.rcpt_tos, parsed))
    return found


def manager_reply(sender: str, to: str, in_reply_to: str, *, cc: str = "sales@severkarton.test") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nCc: {cc}\r\nSubject: Re: request\r\n"
        f"Message-ID: <reply.{abs(hash((sender, to, in_reply_to)))}@severkarton.test>\r\n"
        f"In-Reply-To: <{in_reply_to}>\r\nReferences: <{in_reply_to}>\r\n"
        "Date: Mon, 23 Nov 2026 11:00:00 +0300\r\n\r\nДобрый день! Счёт во вложении.\r\n"
    ).encode()


def test_client_gets_one_acknowledgement_per_thread(worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher) -> None:
    deliver(imap_inbox, sample("001"), sample("015"))  # a request and an auto-reply
    report = once(worker)
    assert report.forwarded == 1 and report.acknowledged == 1
    ((rcpts, ack),) = sent(smtp_server, "ack")
    assert rcpts == (CLIENT,)
    assert ack["Reply-To"].addresses[0].addr_spec == SIDOROV  # the client reaches the manager directly
    assert ack["In-Reply-To"] == f"<{CLIENT_ID}>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["From"].addresses[0].addr_spec == "sales@severkarton.test"
    body = ack.get_body(("plain",))
    assert body is not None and "Сидоров" in body.get_content()

    # The client writes again in the same thread: forwarded to the same manager, no second ack.
    follow_up = (
        f"From: {CLIENT}\r\nTo: sales@severkarton.test\r\nSubject: Re: request\r\n"
        f"Message-ID: <second@mail.gmail.com>\r\nIn-Reply-To: <{CLIENT_ID}>\r\nReferences: <{CLIENT_ID}>\r\n"
        "Date: Mon, 23 Nov 2026 10:30:00 +0300\r\n\r\nИ ещё 200 коробок, пожалуйста.\r\n"
    ).encode()
    deliver(imap_inbox, follow_up)
    again = once(worker)
    assert again.forwarded == 1 and again.acknowledged == 0
    assert [r for r, _ in sent(smtp_server, "forwarded")] == [(SIDOROV,), (SIDOROV,)]
    assert len(sent(smtp_server, "ack")) == 1


def test_manager_reply_with_the_shared_address_in_copy_answers_the_request(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    deliver(imap_inbox, sample("001"))
    once(worker)
    clock.at(2026, 11, 23, 11, 0)
    deliver(imap_inbox, manager_reply(SIDOROV, CLIENT, CLIENT_ID))
    report = once(worker)
    assert report.answers == 1 and report.skipped == 1  # internal mail is not a request
    (row,) = [r for r in worker.store.queries.requests(clock.now - timedelta(days=1)) if r.forward_id]
    assert row.answered_by == "sidorov" and row.answer_how == "reply"
    clock.at(2026, 11, 24, 17, 0)  # far past both thresholds: nothing to chase
    later = once(worker)
    assert later.reminded == 0 and later.escalated == 0
    assert sent(smtp_server, "reminder") == [] and sent(smtp_server, "escalation") == []


def test_internal_forward_to_a_colleague_is_not_an_answer(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    deliver(imap_inbox, sample("001"))
    once(worker)
    deliver(imap_inbox, manager_reply(SIDOROV, "d.petrov@severkarton.test", CLIENT_ID))
    assert once(worker).answers == 0


def test_answered_flag_set_from_the_shared_mailbox_counts(worker: Worker, imap_inbox: ServerSettings, clock: Clock) -> None:
    deliver(imap_inbox, sample("001"))
    once(worker)
    client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
    client.login(imap_inbox.user, imap_inbox.password)
    client.select_folder("INBOX")
    client.add_flags(client.search("ALL"), [b"\\Answered"])  # a human replied from the shared box
    client.logout()
    clock.at(2026, 11, 23, 12, 0)
    assert once(worker).answers == 1
    (row,) = worker.store.queries.requests(clock.now - timedelta(days=1))
    assert row.answer_how == "flag"


def test_unanswered_request_is_reminded_then_escalated_in_working_time(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    deliver(imap_inbox, sample("001"))  # Monday 10:00
    once(worker)
    (forward,) = [m for _, m in sent(smtp_server, "forwarded")]

    clock.at(2026, 11, 23, 13, 59)  # 3 h 59 min: not yet
    assert once(worker).reminded == 0
    clock.at(2026, 11, 23, 14, 0)  # remind_after = 4h
    assert once(worker).reminded == 1
    ((rcpts, reminder),) = sent(smtp_server, "reminder")
    assert rcpts == (SIDOROV,)
    assert reminder["In-Reply-To"] == forward["Message-ID"]  # threads under the forward
    clock.at(2026, 11, 23, 17, 0)
    assert once(worker).reminded == 0  # once

    clock.at(2026, 11, 24, 8, 30)  # Tuesday before office hours: nobody to tell
    assert once(worker).escalated == 0
    clock.at(2026, 11, 24, 10, 0)  # 8 h Monday + 1 h Tuesday = escalate_after "1d" (9 h)
    assert once(worker).escalated == 1
    ((rcpts, _escalation),) = sent(smtp_server, "escalation")
    assert set(rcpts) == {HEAD, SIDOROV}
    clock.at(2026, 11, 25, 10, 0)
    assert once(worker).escalated == 0
    (row,) = worker.store.queries.requests(datetime(2026, 11, 23, tzinfo=MSK))
    assert row.reminded_at is not None and row.escalated_to == "volkov"


def test_reassign_hands_the_request_to_a_colleague_and_moves_the_thread(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    rules = worker.holder.rules
    worker.holder.rules = replace(rules, followup=FollowUp(timedelta(hours=4), timedelta(hours=9), "reassign"))
    deliver(imap_inbox, sample("001"))
    once(worker)
    clock.at(2026, 11, 24, 10, 0)
    report = once(worker)
    assert report.escalated == 1
    forwards = sent(smtp_server, "forwarded")
    assert len(forwards) == 2
    (new_owner,), second = forwards[1]
    assert new_owner != SIDOROV
    assert second.get_body(("plain",)) is not None
    assert "не ответил" in second.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    ((rcpts, _),) = sent(smtp_server, "escalation")
    assert HEAD in rcpts
    # The client's next mail in the thread goes to the new owner.
    deliver(imap_inbox, (
        f"From: {CLIENT}\r\nTo: sales@severkarton.test\r\nSubject: Re: request\r\nMessage-ID: <third@mail.gmail.com>\r\n"
        f"In-Reply-To: <{CLIENT_ID}>\r\nReferences: <{CLIENT_ID}>\r\nDate: Tue, 24 Nov 2026 11:00:00 +0300\r\n\r\nАу?\r\n"
    ).encode())  # fmt: skip
    clock.at(2026, 11, 24, 11, 0)
    once(worker)
    assert sent(smtp_server, "forwarded")[-1][0] == (new_owner,)
    assert pending(imap_inbox) == []


def test_weekly_report_goes_to_the_head_once_per_period(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    deliver(imap_inbox, sample("001"), sample("019"))
    once(worker)  # Monday 10:00: the first poll notes the schedule, no report about the past
    assert once(worker).reports == 0
    clock.at(2026, 11, 30, 9, 5)  # next Monday after 09:00
    report = once(worker)
    assert report.reports == 1
    ((rcpts, mail),) = sent(smtp_server, "report")
    assert rcpts == (HEAD,)
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert images and all(p.get_content().startswith(b"\x89PNG") for p in images)
    html = mail.get_body(("html",))
    assert html is not None
    for part in images:
        assert f"cid:{part['Content-ID'].strip('<>')}" in html.get_content()
    clock.at(2026, 11, 30, 15, 0)
    assert once(worker).reports == 0


def test_follow_ups_go_out_when_the_poll_fails(
    tmp_path: Path, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    """The follow-ups are a job of their own, on their own IMAP connection: a poll whose
    login fails (here the link drops at LOGIN, once) no longer holds back the reminder
    due, and `run --once` still reports the poll's failure."""
    armed = {"cut_login": False}

    def client_side(data: bytes) -> tuple[bytes, bool]:
        if armed["cut_login"] and b" LOGIN " in data.upper():
            armed["cut_login"] = False
            return b"", True
        return data, False

    with TcpProxy(imap_inbox.port, client_hook=client_side) as proxy, open_store(tmp_path / "j.sqlite") as journal:
        settings = Settings(imap=replace(imap_inbox, port=proxy.port), smtp=smtp_server.settings(),
                            journal=journal.path, bot_address="sales-bot@severkarton.test")  # fmt: skip
        bot = Worker(settings, RULES, journal, clock=clock, processes=0)
        try:
            deliver(imap_inbox, sample("001"))  # Monday 10:00
            assert once(bot).forwarded == 1
            clock.at(2026, 11, 23, 14, 0)  # remind_after = 4h
            armed["cut_login"] = True
            with pytest.raises(FetchError):
                once(bot)
            assert proxy.cuts == 1 and bot.last_report.seen == 0  # the poll got nowhere
            assert bot.last_report.reminded == 1
            ((rcpts, _),) = sent(smtp_server, "reminder")
            assert rcpts == (SIDOROV,)
            clock.at(2026, 11, 23, 15, 0)
            assert once(bot).reminded == 0  # the next poll works; the reminder is not sent again
        finally:
            bot.close()
    assert len(sent(smtp_server, "reminder")) == 1


def test_a_request_reception_forwarded_is_answered_to_the_client_and_the_answer_counts(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    """Issue 15: reception@ forwarded the client's mail; the forward, the reminder and
    their reply paths name and reach the client, with the shared address kept on."""
    reception, client, shared = "reception@severkarton.test", "smolin.egor@yandex.ru", "sales@severkarton.test"
    deliver(imap_inbox, sample("012"))
    once(worker)
    ((rcpts, forward),) = sent(smtp_server, "forwarded")
    assert [a.addr_spec for a in forward["Reply-To"].addresses] == [client, shared]
    clock.at(2026, 11, 23, 14, 0)
    assert once(worker).reminded == 1
    ((_, reminder),) = sent(smtp_server, "reminder")
    text = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert client in text and reception not in text
    html = reminder.get_body(("html",)).get_content()  # type: ignore[union-attr]
    link = urlsplit(html.split('<a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&"))
    fields = dict(parse_qsl(link.query))
    assert unquote(link.path) == client and fields["cc"] == shared
    # The manager answers from the reminder's button: the bot counts it.
    owner = rcpts[0]
    answer = (
        f"From: {owner}\r\nTo: {unquote(link.path)}\r\nCc: {fields['cc']}\r\nSubject: {fields['subject']}\r\n"
        f"Message-ID: <answer.reception@severkarton.test>\r\nIn-Reply-To: {fields['In-Reply-To']}\r\n"
        f"References: {fields['In-Reply-To']}\r\nDate: Mon, 23 Nov 2026 14:30:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nДобрый день! Счёт во вложении.\r\n"
    ).encode()
    clock.at(2026, 11, 23, 14, 30)
    deliver(imap_inbox, answer)
    assert once(worker).answers == 1


def test_the_bots_mails_are_dated_by_the_workers_clock(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    """The worker passes its own clock to every composer (the core reads none): a forward and an
    acknowledgement carry the worker's time, so a moved clock moves them too."""
    clock.at(2026, 11, 24, 11, 15)
    deliver(imap_inbox, sample("001"))
    once(worker)
    for kind in ("forwarded", "ack"):
        ((_, mail),) = sent(smtp_server, kind)
        assert mail["Date"].datetime == clock.now, kind


def test_reminders_name_the_client_as_the_client_base_does(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, clock: Clock
) -> None:
    """Issue 15: 007 names its company «Алтайских сыров» (genitive), 004 only by its
    domain; the reminders name both by the client base: «ООО «Алтайские сыры»»."""
    deliver(imap_inbox, sample("007"), sample("004"))
    once(worker)
    clock.at(2026, 11, 23, 14, 0)
    assert once(worker).reminded == 2
    reminders = [m for _, m in sent(smtp_server, "reminder")]
    texts = [m.get_body(("plain",)).get_content() + str(m["Subject"]) for m in reminders]  # type: ignore[union-attr]
    altai = next(t for t in texts if "altsyr" in t)
    assert "ООО «Алтайские сыры»" in altai and "Алтайских сыров" not in altai
    karelia = next(t for t in texts if "kareliafish" in t)
    assert "ООО «Карельская форель»" in karelia
    rows = worker.store.queries.requests(datetime(2026, 11, 23, tzinfo=MSK))
    assert sorted(r.company or "" for r in rows) == ["ООО «Алтайские сыры»", "ООО «Карельская форель»"]


def test_a_client_who_wrote_in_english_gets_the_acknowledgement_in_english(
    worker: Worker, imap_inbox: ServerSettings, smtp_server: SmtpCatcher
) -> None:
    """Issue 15: corpus 018 is an English inquiry from Tashkent; its acknowledgement was
    Russian. Now English, text and HTML alike, the manager's name in Latin letters; a
    Russian client's stays Russian."""
    deliver(imap_inbox, sample("018"), sample("001"))
    assert once(worker).acknowledged == 2
    acks = {rcpts[0]: ack for rcpts, ack in sent(smtp_server, "ack")}
    english = acks["b.karimov@samarkandtex.uz"]
    text = english.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = english.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Hello,") and "passed it to your manager:\r\n\r\nOlga Smirnova\r\n" in text
    assert "Olga Smirnova will contact you" in text and "Здравствуйте" not in text
    assert '<html lang="en">' in html and ">Your manager<" in html and "Olga Smirnova" in html
    assert "o.smirnova@severkarton.test" in text and "+7 8172 55-10-18" in text
    assert english["Reply-To"].addresses[0].addr_spec == "o.smirnova@severkarton.test"
    russian = acks[CLIENT].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert russian.startswith("Здравствуйте!") and "Сидоров Алексей Викторович" in russian
