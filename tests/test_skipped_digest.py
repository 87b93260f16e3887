"""The head's daily digest of skipped mail and the release by a reply «переслать N»,
end to end against a real Dovecot and a real aiosmtpd on loopback."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from samples import RULES, deliver, sample
from servers import SmtpCatcher

from inboxbot.config import ServerSettings, Settings
from inboxbot.model.worktime import WorkingHours
from inboxbot.run.jobs import Jobs
from inboxbot.run.pollreport import PollReport
from inboxbot.run.skipped import digest_due
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

HEAD = "a.volkov@severkarton.test"
# What our receiving server ([department] auth_server) writes on the head's real mail.
GENUINE = ("mx.severkarton.test; spf=pass smtp.mailfrom=a.volkov@severkarton.test; "
           "dkim=pass header.d=severkarton.test; dmarc=pass header.from=severkarton.test")  # fmt: skip
MONDAY_0800 = datetime(2025, 6, 16, 5, 0, tzinfo=UTC)  # 08:00 in Moscow


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_0800)


@pytest.fixture
def jobs(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, clock: Clock) -> Iterator[Jobs]:
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    worker = Worker(settings, RULES, journal, clock=clock, processes=0)
    yield Jobs(worker)
    worker.close()


def mailing_from_a_client() -> bytes:
    """A client's mail that looks like a mailing (List-Id): skipped, but a request."""
    return (
        "From: Агроимпульс <news@agroimpuls.ru>\r\nTo: sales@severkarton.test\r\n"
        "Subject: Заявка на гофрокороб, 3 квартал\r\nMessage-ID: <list-1@agroimpuls.ru>\r\n"
        "List-Id: <news.agroimpuls.ru>\r\nDate: Mon, 16 Jun 2025 08:10:00 +0300\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Добрый день! Просим выставить счёт на 2000 гофрокоробов, АО «Агроимпульс», ИНН 2221555396.\r\n"
    ).encode()


def reply_to(digest: EmailMessage, text: str, *, sender: str = HEAD, extra: str = "", mid: str = "r1",
             auth: str | None = GENUINE) -> bytes:
    """The head's reply; `auth`: the Authentication-Results our server puts on top (None:
    none), `extra`: headers below it (the sender's own)."""
    digest_id = str(digest["Message-ID"])
    top = f"Authentication-Results: {auth}\r\n" if auth is not None else ""
    return (
        f"{top}From: Волков <{sender}>\r\nTo: sales-bot@severkarton.test\r\nSubject: Re: {digest['Subject']}\r\n"
        f"Message-ID: <{mid}@severkarton.test>\r\nIn-Reply-To: {digest_id}\r\nReferences: {digest_id}\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\n> переслать 1\r\n"
    ).encode()


def mails(smtp: SmtpCatcher) -> list[tuple[tuple[str, ...], EmailMessage]]:
    return [(r.rcpt_tos, email.message_from_bytes(r.raw, policy=policy.default)) for r in smtp.messages]


def digests(smtp: SmtpCatcher) -> list[EmailMessage]:
    return [m for _, m in mails(smtp) if "skipped-digest" in str(m.get("X-Inboxbot", ""))]


def run(jobs: Jobs, clock: Clock, at: datetime) -> PollReport:
    clock.now = at
    return jobs.run_once()


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def skipped_then_digest(jobs: Jobs, clock: Clock, imap: ServerSettings, smtp: SmtpCatcher) -> EmailMessage:
    """The first run notes the period; two skipped mails come; the 09:00 digest lists them."""
    assert run(jobs, clock, MONDAY_0800).digests == 0  # the first run only notes the period
    deliver(imap, sample("015"), mailing_from_a_client())
    polled = run(jobs, clock, MONDAY_0800 + timedelta(minutes=30))
    assert polled.skipped == 2 and polled.digests == 0 and digests(smtp) == []
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=5)).digests == 1
    (digest,) = digests(smtp)
    return digest


def test_skipped_mail_reaches_the_head_in_one_digest_with_reasons(
    jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher
) -> None:
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    (to, _), = [(t, m) for t, m in mails(smtp_server) if m is not None and "skipped-digest" in str(m.get("X-Inboxbot", ""))]
    assert to == (HEAD,)
    assert digest["Auto-Submitted"] == "auto-generated" and str(digest["Message-ID"]).startswith("<skipped.")
    assert "Не переслано 2 письма" in str(digest["Subject"])
    text = text_of(digest)
    assert "1. Автоответ" in text and "2. Заявка на гофрокороб, 3 квартал" in text
    assert "рассылка (заголовок List-Id)" in text and "news@agroimpuls.ru" in text
    html = digest.get_body(("html",))
    assert html is not None and "№&nbsp;2" in str(html.get_content())
    # Nothing skipped since: the next working day's run sends nothing.
    assert run(jobs, clock, MONDAY_0800 + timedelta(days=1, hours=1, minutes=5)).digests == 0
    assert len(digests(smtp_server)) == 1


def test_nothing_skipped_sends_no_digest(jobs: Jobs, clock: Clock, imap_inbox: ServerSettings,
                                         smtp_server: SmtpCatcher) -> None:  # fmt: skip
    run(jobs, clock, MONDAY_0800)
    deliver(imap_inbox, sample("001"))  # a request: forwarded, not skipped
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=30)).forwarded == 1
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=5)).digests == 0
    assert digests(smtp_server) == []


def test_the_heads_reply_releases_the_mail_to_its_owner_and_the_head_is_told(
    jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    before = len(smtp_server.messages)
    deliver(imap_inbox, reply_to(digest, "переслать 2"))
    report = run(jobs, clock, MONDAY_0800 + timedelta(hours=2))
    assert report.released == 1 and report.skipped == 1  # the reply itself is journalled, never routed
    new = mails(smtp_server)[before:]
    forward = [(to, m) for to, m in new if "forwarded" in str(m.get("X-Inboxbot", ""))]
    answers = [(to, m) for to, m in new if str(m.get("X-Inboxbot", "")) == "release-answer"]
    assert [to for to, _ in forward] == [("a.sidorov@severkarton.test",)]  # the client's manager by the rules
    assert "Заявка на гофрокороб" in str(forward[0][1]["Subject"])
    (to, answer), = answers
    assert to == (HEAD,) and answer["In-Reply-To"] == "<r1@severkarton.test>"
    assert "2. «Заявка на гофрокороб, 3 квартал» — переслано: Сидоров" in text_of(answer)
    (item1, item2) = journal.releases.items(str(digest["Message-ID"]).strip("<>"))
    assert item2.released and not item1.released and item2.decision is not None
    # Once: the next runs neither release nor answer again, and the reply is not listed.
    again = run(jobs, clock, MONDAY_0800 + timedelta(days=1, hours=1, minutes=5))
    assert again.released == 0 and again.digests == 0 and len(smtp_server.messages) == before + 2


@pytest.mark.parametrize(("sender", "auth", "text", "expected"), [
    ("ivanova@severkarton.test", GENUINE, "переслать 2", "может только руководитель отдела (Волков Андрей Николаевич)"),
    (HEAD, "mx.severkarton.test; spf=fail smtp.mailfrom=a.volkov@severkarton.test; dkim=none",
     "переслать 2", "не прошло проверку подлинности"),
    (HEAD, GENUINE, "переслать 7", "В сводке нет номера 7: в ней номера от 1 до 2."),
    (HEAD, GENUINE, "спасибо", "В ответе нет команды"),
])  # fmt: skip
def test_a_refused_reply_changes_nothing_and_says_why(
    jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store,
    sender: str, auth: str, text: str, expected: str,
) -> None:
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    before = len(smtp_server.messages)
    deliver(imap_inbox, reply_to(digest, text, sender=sender, auth=auth))
    report = run(jobs, clock, MONDAY_0800 + timedelta(hours=2))
    assert report.released == 0
    (to, answer), = mails(smtp_server)[before:]
    assert to == (sender,) and str(answer["X-Inboxbot"]) == "release-answer"
    assert expected in text_of(answer) and "Ничего не переслано." in text_of(answer)
    assert not any(i.released or i.decision for i in journal.releases.items(str(digest["Message-ID"]).strip("<>")))


def test_a_passing_authentication_result_is_accepted(
    jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher
) -> None:
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    passing = "mx.severkarton.test; dkim=pass header.d=severkarton.test"
    deliver(imap_inbox, reply_to(digest, "Переслать все, пожалуйста", auth=passing))
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=2)).released == 2


def phone_digest() -> str:
    """The digest's HTML as the head reads it, with three typical skipped mails."""
    from inboxbot.compose.context import ForwardContext, Recipient
    from inboxbot.compose.skipped_digest import Listed, compose_digest
    from inboxbot.compose.templates import Templates
    from inboxbot.mail.message import Address

    head = Recipient("volkov", "Волков Андрей Николаевич", HEAD)
    ctx = ForwardContext("ТД «Северный Картон»", Address("ТД «Северный Картон»", "sales-bot@severkarton.test"), (), head)
    at = datetime(2025, 6, 16, 6, 0, tzinfo=UTC)
    items = [
        Listed(1, at - timedelta(hours=20), "v.tikhonova@coffeehouse-roasters.ru", "Автоответ: Счёт № 1402",
               ("автоответ (заголовок Auto-Submitted: auto-replied)",)),
        Listed(2, at - timedelta(hours=15), "news@agroimpuls.ru", "Заявка на гофрокороб, 3 квартал",
               ("рассылка (заголовок List-Id)",)),
        Listed(3, at - timedelta(hours=2), "sales@gruz-perevozki.example",
               "Грузоперевозки по СЗФО: специальное предложение для вашей компании",
               ("предложение нам, а не запрос («Грузоперевозк»); признаки: предложение нам «Грузоперевозк» (+1); "
                "сумма 1",)),
    ]  # fmt: skip
    mail = compose_digest(items, ctx, [head], Templates(), since=at - timedelta(days=3), until=at, now=at)
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_no_digest_on_the_new_year_holidays() -> None:
    """31.12.2026 and 01–10.01.2027 are days off by the production calendar although
    weekdays: the digest of 30.12 is the last until 11.01, which lists all since."""
    msk = ZoneInfo("Europe/Moscow")
    hours = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4), msk)
    last = datetime(2026, 12, 30, 9, 0, tzinfo=msk)
    assert digest_due(time(9), hours, datetime(2026, 12, 31, 12, 0, tzinfo=msk), last) is None
    assert digest_due(time(9), hours, datetime(2027, 1, 1, 12, 0, tzinfo=msk), last) is None
    assert digest_due(time(9), hours, datetime(2027, 1, 11, 8, 59, tzinfo=msk), last) is None
    due = digest_due(time(9), hours, datetime(2027, 1, 11, 9, 30, tzinfo=msk), last)
    assert due == datetime(2027, 1, 11, 9, 0, tzinfo=msk)


def test_the_digest_fits_a_phone() -> None:
    from browser import layout

    page = layout(phone_digest())
    assert page.scroll_width <= page.width and page.widest <= page.width + 1, "sideways scroll on a phone"
    assert page.min_font_px >= 13 and "{{" not in page.text
    assert "переслать 2" in page.text and "Заявка на гофрокороб, 3 квартал" in page.text


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from browser import PHONE, layout, screenshot

    out = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "skipped-digest-phone.png"
    html_text = phone_digest()
    out.write_bytes(screenshot(html_text, (PHONE[0], layout(html_text).height), scale=2))
    print(out)


def test_a_kill_after_the_released_forward_resends_it_under_the_same_id_and_answers_once(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    """kill -9 of the real `inboxbot run --once` right after a released mail's forward
    went out, before the release was journalled: the restart sends it again under the
    same Message-ID (one mail in the manager's client), then the head's answer, once."""
    from test_crash import run_worker, worker_env

    path, clock = tmp_path / "journal.sqlite", Clock(MONDAY_0800)
    with open_store(path) as journal:
        settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                            bot_address="sales-bot@severkarton.test")  # fmt: skip
        worker = Worker(settings, RULES, journal, clock=clock, processes=0)
        try:
            digest = skipped_then_digest(Jobs(worker), clock, imap_inbox, smtp_server)
        finally:
            worker.close()
    deliver(imap_inbox, reply_to(digest, "переслать 2"))
    killed = run_worker(worker_env(imap_inbox, smtp_server.port, path, "after_release_smtp"))
    assert killed.returncode == -9, killed.stderr
    done = run_worker(worker_env(imap_inbox, smtp_server.port, path))
    assert done.returncode == 0, done.stderr
    sent = mails(smtp_server)
    forwards = {str(m["Message-ID"]) for _, m in sent if "forwarded" in str(m.get("X-Inboxbot", ""))}
    answers = [m for _, m in sent if str(m.get("X-Inboxbot", "")) == "release-answer"]
    assert len(forwards) == 1 and len(answers) == 1
    with open_store(path) as journal:
        assert journal.releases.open_commands() == []
        assert journal.releases.items(str(digest["Message-ID"]).strip("<>"))[1].released
