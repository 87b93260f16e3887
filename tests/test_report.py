"""The distribution report: aggregates from a journal built through its public methods,
the mail sent through a real aiosmtpd and parsed back, the charts, the CLI, the
re-decision of a period with the real pipeline, and the HTML in headless Chromium.

    .venv/bin/python tests/test_report.py      # writes docs/screenshots/report.png
"""

from __future__ import annotations

import email
import io
import random
import re
import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from email import policy
from email.header import Header
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from inboxbot.cli import cli
from inboxbot.compose.charts import render_charts
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.report import WAITING_SHOWN, build_report, day_bounds, fair_shares, percentiles
from inboxbot.compose.report_data import ChangedDecision, Changes, Report
from inboxbot.compose.report_mail import compose_report, render_report_html
from inboxbot.compose.report_view import period_text, report_view
from inboxbot.compose.template_check import check_report_templates
from inboxbot.compose.templates import TemplateError, Templates
from inboxbot.config import ServerSettings
from inboxbot.io.imap import Mailbox
from inboxbot.io.mailsource import read_mail
from inboxbot.io.smtp import SmtpSender
from inboxbot.mail.message import Address, parse
from inboxbot.model.decision import Decision
from inboxbot.model.records import MessageKey
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Absence, Pool, Rules
from inboxbot.run.pipeline import Pipeline
from inboxbot.run.recheck import gather_changes, recheck
from inboxbot.store.factory import memory_store, open_store
from inboxbot.store.interfaces import Store
from inboxbot.tools.demo import free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from samples import DEMO_MAIL, demo_department
from samples import RULES as RULES_PATH
from servers import SmtpCatcher

REPO = Path(__file__).resolve().parents[1]
MSK = ZoneInfo("Europe/Moscow")
PNG = b"\x89PNG\r\n\x1a\n"
FIRST, LAST = date(2026, 11, 16), date(2026, 11, 22)  # Monday to Sunday


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(RULES_PATH)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def raw_mail(uid: int, subject: str = "Заявка", sender: str = "client@example.ru", body: str = "",
             sent: datetime | None = None) -> bytes:
    sent = sent or at(16, 10)
    return (
        f"From: {sender}\r\nTo: sales@severkarton.test\r\nSubject: {Header(subject, 'utf-8').encode()}\r\n"
        f"Message-ID: <m{uid}@client.test>\r\nDate: {email.utils.format_datetime(sent)}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body or f'Текст заявки {uid}'}\r\n"
    ).encode()


def report_of(store: Store, rules: Rules, since: datetime, until: datetime, **options: Any) -> Report:
    """build_report over what `store` holds for [since, until), as the worker calls it."""
    return build_report(store.queries.requests(since, until), store.requests.awaiting_answer(), rules, since, until,
                        **options)


class Book:
    """Writes journal rows as the worker would: decision, forward, answer, done."""

    def __init__(self, journal: Store) -> None:
        self.journal = journal
        self.uid = 0

    def add(
        self,
        decision: Decision,
        seen: datetime,
        *,
        subject: str = "Заявка",
        sender: str = "client@example.ru",
        region: tuple[str, str, str] | None = None,
        company: str | None = None,
        forwarded: datetime | None = None,
        answered: datetime | None = None,
        error: str | None = None,
        raw: bytes | None = None,
    ) -> MessageKey:
        self.uid += 1
        key = MessageKey("INBOX", 7, self.uid)
        msg = parse(raw or raw_mail(self.uid, sender=sender, sent=seen))
        msg = replace(msg, subject=subject)  # any text, CR/LF included, as a broken mail could carry
        details = {
            "company": {"name": company, "inn": "7707083893"} if company else None,
            "region": {"code": region[0], "name": region[1], "district": region[2]} if region else None,
        }
        self.journal.messages.record_decision(key, msg, decision, details=details, seen_at=seen)
        if decision.forwards and error is None:
            forward_id = f"fwd{self.uid}@bot.test"
            self.journal.messages.mark_forwarded(key, forward_id, decision.owner or "", decision.rule,
                                        at=forwarded or seen + timedelta(minutes=1))  # fmt: skip
            if answered is not None:
                assert self.journal.requests.record_answer([forward_id], decision.owner or "", answered, "reply")
        self.journal.messages.mark_done(key, error=error)
        return key


def fwd(owner: str, rule: str = "territory", **kw: object) -> Decision:
    return Decision("forward", owner, rule, (f"правило {rule} → {owner}",), **kw)  # type: ignore[arg-type]


def week(rules: Rules) -> tuple[datetime, datetime]:
    return day_bounds(rules, FIRST, LAST)


# --- aggregates ------------------------------------------------------------------------------


def test_counts_shares_rules_regions_and_substitutions(rules: Rules) -> None:
    book = Book(memory_store())
    pool = {"pool": "main"}
    for owner in ("ivanova", "ivanova", "petrov", "sidorov"):
        book.add(fwd(owner, "pool", **pool), at(17, 11))
    book.add(fwd("petrov"), at(17, 12), region=("35", "Вологодская область", "СЗФО"))
    book.add(fwd("petrov"), at(18, 12), region=("35", "Вологодская область", "СЗФО"))
    book.add(Decision("tag", "sidorov", "client_inn", ("клиент из базы",)), at(18, 13), region=("66", "Свердловская область", "УФО"))
    book.add(Decision("skip", None, "not_a_request", ("автоответ",)), at(18, 14))
    book.add(Decision("skip", "ivanova", "duplicate", ("уже обработано",)), at(18, 15))
    book.add(Decision("triage", None, "no_rule", ("ни одно правило не подошло",)), at(19, 10), subject="Непонятное")
    book.add(fwd("smirnova", "client_domain"), at(19, 11), subject="Отказ", error="SMTP 550: нет такого ящика")
    book.add(Decision("forward", "orlov", "absence_backup", ("Кузнецова в отпуске → Орлов",),
                      base_rule="client_inn", base_owner="kuznetsova"), at(19, 12))  # fmt: skip
    book.add(fwd("ivanova"), at(15, 12))  # the Sunday before: not in the period
    since, until = week(rules)
    report = report_of(book.journal, rules, since, until, now=at(23, 10))

    t = report.totals
    assert (t.received, t.forwarded, t.tagged, t.skipped, t.duplicates, t.triage, t.pending) == (12, 7, 1, 1, 1, 2, 0)
    lines = {m.id: m for m in report.managers}
    assert {k: (v.total, v.pool) for k, v in lines.items()} == {
        "ivanova": (2, 2), "petrov": (3, 1), "sidorov": (2, 1), "orlov": (1, 0), "smirnova": (0, 0),
    }  # fmt: skip
    assert lines["ivanova"].pool_share == pytest.approx(0.5)
    assert all(lines[m].target == pytest.approx(0.2) for m in rules.pool.members)  # type: ignore[union-attr]
    assert report.pool is not None and report.pool.total == 4 and report.pool.worst_gap == pytest.approx(30)
    by_rule = {r.key: r.count for r in report.rules}
    # The substitution is counted under the rule that chose Кузнецова.
    assert by_rule == {"pool": 4, "territory": 2, "client_inn": 2, "not_a_request": 1, "duplicate": 1, "no_rule": 1,
                       "client_domain": 1}
    assert [(s.absent, s.backup, s.count) for s in report.substitutions] == [("Кузнецова Е. П.", "Орлов М. И.", 1)]
    assert [(r.label, r.count) for r in report.regions][:2] == [("35 Вологодская область", 2), ("66 Свердловская область", 1)]
    assert report.regions[-1].label == "не определён"
    assert {(d.key, d.count) for d in report.districts} >= {("СЗФО", 2), ("УФО", 1)}
    triaged = {t.subject: t.reason for t in report.triaged}
    assert triaged == {"Непонятное": "ни одно правило не подошло", "Отказ": "SMTP 550: нет такого ящика"}
    assert [b.count for b in report.buckets] == [0, 5, 2, 3, 0, 0, 0]  # skipped mail is not a request


def test_fair_share_follows_weights_and_who_was_there(rules: Rules) -> None:
    managers = dict(rules.managers)
    managers["ivanova"] = replace(managers["ivanova"], weight=2.0)
    weighted = replace(rules, managers=managers, pool=replace(rules.pool, method="weighted"))  # type: ignore[type-var]
    assert fair_shares([], weighted, weighted.pool)["ivanova"] == pytest.approx(2 / 6)
    assert fair_shares([], rules, rules.pool)["ivanova"] == pytest.approx(1 / 5)

    book = Book(memory_store())
    for day in (16, 17):  # Monday: everyone; Tuesday: Петров away
        book.add(fwd("ivanova", "pool", pool="main"), at(day, 11))
    away = replace(rules, absences=(Absence("petrov", date(2026, 11, 17), date(2026, 11, 17), "ivanova"),))
    shares = fair_shares(book.journal.queries.requests(*week(rules)), away, rules.pool)
    assert shares["petrov"] == pytest.approx((1 / 5 + 0) / 2)
    assert shares["orlov"] == pytest.approx((1 / 5 + 1 / 4) / 2)
    assert sum(shares.values()) == pytest.approx(1)


def test_every_named_queue_shows_its_shares_against_the_target(rules: Rules) -> None:
    """Before, only the first queue was in the report: «pharma» mail vanished from it."""
    assert rules.pool is not None
    pharma = Pool("pharma", ("smirnova", "orlov"))
    both = replace(rules, pools={rules.pool.name: rules.pool, "pharma": pharma})
    book = Book(memory_store())
    book.add(fwd("ivanova", "pool", pool="main"), at(16, 11))
    for owner in ("smirnova", "smirnova", "smirnova", "orlov"):
        book.add(fwd(owner, "pharma_queue", pool="pharma"), at(17, 11))
    report = report_of(book.journal, both, *week(rules), now=at(23, 10))
    assert report.pool is not None and report.pool.total == 1
    (queue,) = report.queues
    assert (queue.summary.name, queue.summary.total, queue.summary.worst_gap) == ("pharma", 4, pytest.approx(25))
    assert [(m.name, m.count, m.share, m.target) for m in queue.members] == [
        ("Смирнова О. В.", 3, 0.75, pytest.approx(0.5)), ("Орлов М. И.", 1, 0.25, pytest.approx(0.5))]
    text = Templates().render("report.txt.j2", **report_view(report, {}))
    assert "Очередь «pharma» (по кругу): роздано 4, наибольшее отклонение от положенной доли — 25 п. п." in text
    assert "Смирнова О. В.: 3 — 75\u00a0%, положено 50\u00a0%" in text
    html = render_report_html(report, Templates())
    assert "Очередь «pharma»" in html and "75\u00a0% / 50\u00a0%" in html


def test_response_times_skip_the_new_year_holidays(rules: Rules) -> None:
    """31.12.2025 and 01–11.01.2026 are days off by the production calendar: an answer on
    12 January to a request of 30 December took two working hours, not two weeks."""
    book = Book(memory_store())

    def msk(*args: int) -> datetime:
        return datetime(*args, tzinfo=MSK)  # type: ignore[misc]

    book.add(fwd("petrov"), msk(2025, 12, 30, 16, 59), forwarded=msk(2025, 12, 30, 17), answered=msk(2026, 1, 12, 10))
    book.add(fwd("petrov"), msk(2025, 12, 31, 12), forwarded=msk(2025, 12, 31, 12), answered=msk(2026, 1, 12, 9, 30))
    book.add(fwd("sidorov"), msk(2026, 1, 2, 10), forwarded=msk(2026, 1, 2, 10), subject="Ждёт")
    since, until = day_bounds(rules, date(2025, 12, 29), date(2026, 1, 11))
    report = report_of(book.journal, rules, since, until, now=msk(2026, 1, 12, 11))
    petrov = next(m for m in report.managers if m.id == "petrov")
    assert (petrov.answered, petrov.median, petrov.p90) == (2, timedelta(hours=1, minutes=15), None)  # two answers: no «9 из 10»
    assert [(w.subject, w.waited) for w in report.waiting] == [("Ждёт", timedelta(hours=2))]


def test_a_request_a_colleague_forwarded_shows_the_client_not_the_colleague(rules: Rules) -> None:
    """Reception forwards a client's mail to the shared box: the report names the client
    (RequestRow.client) in the waiting and the triaged lists, not reception."""
    book = Book(memory_store())
    book.add(fwd("petrov"), at(17, 10), subject="Ждёт", sender="reception@ourfirm.ru")
    book.add(Decision("triage", None, None, ("нет правила",)), at(17, 11), subject="Разбор", sender="reception@ourfirm.ru")
    since, until = week(rules)
    client = {"Ждёт": "buyer@client.ru", "Разбор": "other@client.ru"}
    rows = [replace(r, client=client[r.subject]) for r in book.journal.queries.requests(since, until)]
    awaiting = [replace(r, client=client[r.subject]) for r in book.journal.requests.awaiting_answer()]
    report = build_report(rows, awaiting, rules, since, until, now=at(23, 12))
    assert [(w.subject, w.sender) for w in report.waiting] == [("Ждёт", "buyer@client.ru")]
    assert [(t.subject, t.sender) for t in report.triaged] == [("Разбор", "other@client.ru")]


def test_response_times_count_working_hours_only(rules: Rules) -> None:
    book = Book(memory_store())
    # Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday — not 65 hours.
    book.add(fwd("petrov"), at(20, 16, 59), forwarded=at(20, 17), answered=at(23, 10))
    book.add(fwd("petrov"), at(16, 11), forwarded=at(16, 11), answered=at(16, 11, 30))
    book.add(fwd("petrov"), at(17, 9), forwarded=at(17, 9), answered=at(17, 13))
    book.add(fwd("sidorov"), at(18, 8), forwarded=at(18, 8), answered=at(18, 8, 50))  # before opening: 0
    waiting = book.add(fwd("orlov"), at(18, 10), forwarded=at(18, 10), subject="Ждёт")  # never answered
    book.journal.requests.record_reminder(book.journal.messages.entry(waiting).id, at(18, 14))  # type: ignore[union-attr]
    book.add(fwd("orlov"), at(10, 10), forwarded=at(10, 10), subject="С прошлой недели")
    since, until = week(rules)
    report = report_of(book.journal, rules, since, until, now=at(19, 12))

    petrov = next(m for m in report.managers if m.id == "petrov")
    assert (petrov.answered, petrov.median, petrov.p90) == (3, timedelta(hours=2), None)  # three answers: no «9 из 10»
    assert next(m for m in report.managers if m.id == "sidorov").median == timedelta(0)
    assert report.response.answered == 4 and report.response.forwarded == 5
    assert report.response.median == timedelta(hours=1, minutes=15)  # 0, 30 min | 2 h, 4 h
    assert [(w.subject, w.waited, w.earlier) for w in report.waiting] == [
        ("С прошлой недели", timedelta(hours=8 + 9 * 6 + 3), True),  # Tue 10th 10:00 → Thu 19th 12:00
        ("Ждёт", timedelta(hours=8 + 3), False),  # Wed 10:00–18:00, Thu 09:00–12:00
    ]
    assert report.waiting[1].reminded_at == at(18, 14)
    shown = [str(w["waited"]).replace("\u00a0", " ") for w in report_view(report, {})["waiting"]]  # type: ignore[attr-defined]
    assert shown == ["7 раб. дней 2 ч", "1 раб. день 2 ч"]  # 9-hour working days
    assert (report.waiting_total, report.waiting_earlier) == (2, 1)
    assert next(m for m in report.managers if m.id == "orlov").waiting == 1


def test_percentiles_by_nearest_rank() -> None:
    values = [timedelta(minutes=m) for m in (50, 10, 20, 40, 30, 60, 70, 80, 90, 100)]
    assert percentiles(values) == (timedelta(minutes=55), timedelta(minutes=90))
    # «у 9 из 10» of one answer (or nine) says nothing: no 90th percentile below ten.
    assert percentiles([timedelta(hours=3)]) == (timedelta(hours=3), None)
    assert percentiles(values[:9]) == (timedelta(minutes=50), None)
    assert percentiles([]) == (None, None)


def test_period_text_in_russian() -> None:
    assert period_text(FIRST, LAST) == "16–22 ноября 2026"
    assert period_text(date(2026, 10, 28), date(2026, 11, 3)) == "28 октября – 3 ноября 2026"
    assert period_text(date(2026, 12, 29), date(2027, 1, 4)) == "29 декабря 2026 – 4 января 2027"
    assert period_text(FIRST, FIRST) == "16 ноября 2026"


# --- charts ------------------------------------------------------------------------------------


def sample_report(rules: Rules, *, seed: int = 7, mails: int = 180) -> Report:
    """A plausible week of the demo company: pool and rule mail, regions, answers, a few
    waiting and triaged requests, a substitution."""
    rng = random.Random(seed)
    book = Book(memory_store())
    members = list(rules.pool.members)  # type: ignore[union-attr]
    regions = [("35", "Вологодская область", "СЗФО"), ("77", "г. Москва", "ЦФО"), ("63", "Самарская область", "ПФО"),
               ("66", "Свердловская область", "УФО"), ("52", "Нижегородская область", "ПФО"), None]  # fmt: skip
    subjects = ["Запрос КП на гофрокороба", "Счёт на упаковку", "Коробки 40×30×20, 500 шт.", "Re: поставка в декабре",
                "Прошу выставить счёт", "Заявка на картон"]  # fmt: skip
    companies = ["ООО «Вологодский молочный комбинат»", "АО «Самарские напитки»", "ИП Громова Е. А.", None]
    start = at(16, 9)
    for index in range(mails):
        seen = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        if seen.weekday() >= 5 and rng.random() < 0.7:
            seen -= timedelta(days=2)
        roll, owner = rng.random(), rng.choice(members)
        if roll < 0.12:
            decision = Decision("skip", None, "not_a_request", ("автоответ",))
        elif roll < 0.16:
            decision = Decision("triage", None, "no_rule", ("ни одно правило не подошло — письмо оставлено на ручной разбор",))
        elif roll < 0.5:
            decision = fwd(owner, "pool", pool="main")
        elif roll < 0.53:
            decision = Decision("forward", "orlov", "absence_backup", ("Кузнецова в отпуске → Орлов",),
                                base_rule="client_inn", base_owner="kuznetsova")  # fmt: skip
        else:
            decision = fwd(owner, rng.choice(["territory", "client_inn", "client_domain", "thread", "public_sector"]))
        answered = None
        if decision.forwards and rng.random() < 0.85:
            answered = rules.department.hours.add(seen, timedelta(minutes=rng.choice([15, 40, 90, 180, 300, 600])))
        book.add(decision, seen, subject=f"{rng.choice(subjects)} №{index + 1}", region=rng.choice(regions),
                 company=rng.choice(companies), answered=answered, sender=f"buyer{index}@example.ru")  # fmt: skip
    return report_of(book.journal, rules, *week(rules), now=at(23, 9))


def test_charts_are_png_600px_wide_and_the_same_every_time(rules: Rules) -> None:
    report = sample_report(rules)
    charts = render_charts(report)
    assert [c.name for c in charts] == ["managers", "fairness", "response", "rules", "days"]
    again = render_charts(report)
    for chart, second in zip(charts, again, strict=True):
        assert chart.png == second.png, f"{chart.name}: not deterministic"
        assert chart.png.startswith(PNG) and b"Software" not in chart.png and b"matplotlib" not in chart.png
        pixels = imread(io.BytesIO(chart.png))
        assert pixels.shape[1] == 1200 and chart.width == 600  # drawn at 2x for sharp phone screens
        assert chart.height == round(pixels.shape[0] / 2)
        assert pixels[..., :3].std() > 0.05, f"{chart.name}: blank"
        assert chart.alt and chart.title


def test_no_mail_no_charts_and_the_report_still_renders(rules: Rules) -> None:
    report = build_report((), (), rules, *week(rules), now=at(23, 9))
    assert render_charts(report) == ()
    html = render_report_html(report, Templates())
    assert "Заявок менеджерам за период не было" in html and "<img" not in html


# --- the mail ------------------------------------------------------------------------------------


def context() -> ForwardContext:
    head = Recipient("volkov", "Волков Андрей Николаевич", "a.volkov@severkarton.test")
    return ForwardContext("ТД «Северный Картон»", Address("", "sales-bot@severkarton.test"), ("X-Inboxbot",), head)


def test_report_mail_through_smtp_parts_cids_and_no_injection(rules: Rules, smtp_server: SmtpCatcher) -> None:
    book = Book(memory_store())
    book.add(fwd("petrov"), at(17, 10), subject="Счёт <script>alert(1)</script>\r\nBcc: evil@attacker.test",
             company="ООО «Ромашка»\r\nX-Evil: 1", sender="buyer@example.ru")  # fmt: skip
    book.add(fwd("ivanova", "pool", pool="main"), at(17, 11), answered=at(17, 12))
    report = report_of(book.journal, rules, *week(rules), now=at(23, 9))
    ctx = context()
    recipients = [ctx.owner, Recipient("ivanova", "Иванова Ирина\r\nBcc: evil@attacker.test", "i.ivanova@severkarton.test")]
    mail = compose_report(report, ctx, recipients, Templates(), now=at(23, 9))
    with SmtpSender(smtp_server.settings()) as smtp:
        smtp.send(mail, [r.email for r in recipients])

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ("a.volkov@severkarton.test", "i.ivanova@severkarton.test")
    head, _, _ = received.raw.partition(b"\r\n\r\n")
    # The CR/LF in the name became a space inside its encoded display name; no new header line.
    assert not re.search(rb"^(bcc|x-evil)\s*:", head, re.IGNORECASE | re.MULTILINE)
    parsed = email.message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Отчёт о распределении заявок: 16–22 ноября 2026"
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None and [a.addr_spec for a in parsed["To"].addresses] == [r.email for r in recipients]
    assert parsed["From"].addresses[0].addr_spec == "sales-bot@severkarton.test"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert str(parsed["X-Inboxbot"]).startswith("report; period=2026-11-16..2026-11-22")
    assert parsed["Message-ID"] == compose_report(report, ctx, recipients, Templates(), now=at(24, 9))["Message-ID"]
    assert re.fullmatch(r"<report\.20261116-20261122\.[0-9a-f]{16}@severkarton\.test>", parsed["Message-ID"])

    assert parsed.get_content_type() == "multipart/alternative"
    text_part, related = parsed.get_payload()  # type: ignore[misc]
    assert text_part.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == len(images) >= 3
    by_cid = {img["Content-ID"].strip("<>"): img for img in images}
    assert set(cids) == set(by_cid)
    for cid in cids:
        png = by_cid[cid].get_content()
        assert by_cid[cid].get_content_type() == "image/png" and png.startswith(PNG) and len(png) > 1000
        assert imread(io.BytesIO(png)).shape[1] == 1200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "data:image" not in html
    text = text_part.get_content()
    assert "Счёт <script>alert(1)</script> Bcc: evil@attacker.test" in text  # one line: no forged line in the text
    assert "\nBcc:" not in text and "Петров Д. С." in text


def test_html_file_has_data_images_and_escapes(rules: Rules) -> None:
    report = sample_report(rules, mails=60)
    html = render_report_html(report, Templates())
    images = re.findall(r'<img src="([^"]+)"', html)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert "cid:" not in html and "16–22 ноября 2026" in html


def test_a_broken_report_template_override_fails_the_start_up_check(tmp_path: Path, rules: Rules) -> None:
    check_report_templates(Templates(), rules)
    (tmp_path / "report.html.j2").write_text("<p>{{ totals.recieved }}</p>", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"report\.html\.j2.*recieved"):
        check_report_templates(Templates(tmp_path), rules)


# --- the CLI ----------------------------------------------------------------------------------


def journal_file(tmp_path: Path, rules: Rules) -> Path:
    path = tmp_path / "journal.sqlite"
    with open_store(path) as journal:
        book = Book(journal)
        book.add(fwd("petrov"), at(17, 10), answered=at(17, 12))
        book.add(fwd("ivanova", "pool", pool="main"), at(18, 10), subject="Коробки <b>срочно</b>")  # waiting: listed
    return path


def test_cli_report_out_writes_html_with_data_images(tmp_path: Path, rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INBOXBOT_IMAP_HOST", raising=False)
    monkeypatch.delenv("INBOXBOT_SECRETS_FILE", raising=False)
    path, out = journal_file(tmp_path, rules), tmp_path / "report.html"
    args = ["report", "--rules", str(RULES_PATH), "--journal", str(path), "--since", "2026-11-16", "--until", "2026-11-22"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "cid:" not in html
    assert "Коробки &lt;b&gt;срочно&lt;/b&gt;" in html
    assert "Не проверено:" in html and "ящик не настроен" in html  # no IMAP settings, no --mail: said, not failed

    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert text.output.startswith("Отчёт о распределении заявок: 16–22 ноября 2026")
    assert "2 заявки" in text.output and "Петров Д. С.: 1" in text.output


def test_cli_report_send_mails_the_report_to_its_recipients(
    tmp_path: Path, rules: Rules, smtp_server: SmtpCatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--send: to [report] to (Волков), through the configured SMTP relay. The mailbox
    is configured but down: the changes section says so, the report still goes."""
    monkeypatch.delenv("INBOXBOT_SECRETS_FILE", raising=False)
    env = {"INBOXBOT_IMAP_HOST": "127.0.0.1", "INBOXBOT_IMAP_PORT": str(free_port()), "INBOXBOT_IMAP_TLS": "none",
           "INBOXBOT_IMAP_USER": "sales@severkarton.test", "INBOXBOT_IMAP_PASSWORD": "pw",
           "INBOXBOT_SMTP_HOST": smtp_server.host, "INBOXBOT_SMTP_PORT": str(smtp_server.port),
           "INBOXBOT_SMTP_TLS": "none", "INBOXBOT_BOT_ADDRESS": "sales-bot@severkarton.test"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["report", "--rules", str(RULES_PATH), "--journal", str(journal_file(tmp_path, rules)),
                                      "--since", "2026-11-16", "--until", "2026-11-22", "--send"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Отчёт отправлен: a.volkov@severkarton.test"
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ("a.volkov@severkarton.test",) and received.mail_from == "sales-bot@severkarton.test"
    parsed = email.message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Отчёт о распределении заявок: 16–22 ноября 2026"
    html = parsed.get_body(("html",))
    assert html is not None
    assert "Не проверено: ящик 127.0.0.1 недоступен" in html.get_content()


def test_cli_report_errors_are_one_line(tmp_path: Path) -> None:
    base = ["report", "--rules", str(RULES_PATH)]
    missing = CliRunner().invoke(cli, [*base, "--journal", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "журнал" in missing.output and "не найден" in missing.output
    backwards = CliRunner().invoke(cli, [*base, "--since", "2026-11-22", "--until", "2026-11-16"])
    assert backwards.exit_code == 2 and "позже" in backwards.output


def demo_like_journal(folder: Path) -> Path:
    """A journal where `inboxbot demo` leaves one: demo-out/journal.sqlite under `folder`."""
    path = folder / "demo-out" / "journal.sqlite"
    path.parent.mkdir()
    with open_store(path) as journal:
        book = Book(journal)
        book.add(fwd("petrov"), at(17, 10), answered=at(17, 12))
        book.add(fwd("ivanova", "pool", pool="main"), at(18, 10), subject="Коробки для пельменей")  # waiting
        book.add(Decision("triage", None, "quarantine", ("письмо не читается",)), at(18, 11), subject="Битое письмо")
        book.add(Decision("skip", None, "not_a_request", ("автоответ",)), at(18, 12), subject="Автоответ")
    return path


def test_status_right_after_the_demo_finds_its_journal_and_speaks_russian(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`inboxbot status` after `inboxbot demo` exited 2 until --journal demo-out/journal.sqlite
    was given, and then printed raw ids («marked: 31», «forward: 25»)."""
    for name in ("INBOXBOT_JOURNAL", "INBOXBOT_SECRETS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    journal = demo_like_journal(tmp_path)
    result = CliRunner().invoke(cli, ["status", "--rules", str(RULES_PATH)])
    assert result.exit_code == 0, result.output
    assert "журнал демо: demo-out/journal.sqlite" in result.stderr
    out = result.stdout
    assert f"Журнал: {journal}" in out and "Всего писем: 4" in out
    assert "Состояние: обработано — 4" in out
    assert "Решение: переслать — 2, на ручной разбор — 1, не заявка — 1" in out
    assert "Менеджеры: Иванова И. А. — 1, Петров Д. С. — 1" in out
    assert "очередь (pool) — 1" in out and "письмо не разобрано (quarantine) — 1" in out
    for raw in ("marked", "forward:", "triage", "skip"):
        assert raw not in out
    assert "inboxbot status --list" in out


def test_status_list_names_every_waiting_request_and_every_triaged_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("INBOXBOT_JOURNAL", "INBOXBOT_SECRETS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = demo_like_journal(tmp_path)
    with open_store(path) as journal:  # more waiting requests than the report lists
        book = Book(journal)
        book.uid = 100
        for i in range(WAITING_SHOWN + 3):
            book.add(fwd("orlov"), at(19, 10, i), subject=f"Заявка на коробки №{i}")
    result = CliRunner().invoke(cli, ["status", "--list", "--rules", str(RULES_PATH), "--since", "2026-11-16"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Без ответа сейчас: {WAITING_SHOWN + 4}" in out
    assert "Коробки для пельменей — client@example.ru" in out and "Иванова И. А., ждёт" in out
    assert all(f"Заявка на коробки №{i} " in out for i in range(WAITING_SHOWN + 3))  # all, not the report's 15
    assert "…и ещё" not in out
    assert re.search(r"На ручном разборе \(16 ноября (\d+ )?– .+\): 1\n", out), out
    assert "Битое письмо" in out and "Письмо не читается" in out


# --- what the rules would change ------------------------------------------------------------------

POOL_BODY = "Здравствуйте! Сколько стоят коробки 40x30x20, 500 штук? Иван"


def test_recheck_carries_the_round_robin_over_and_lists_real_changes(tmp_path: Path, rules: Rules) -> None:
    """Before the period the pool's last mail went to Петров; in the period the journal
    has the next three members by round robin. Re-deciding from an empty history would
    start with Иванова and call all three changed; seeded from the journal, none is. One
    mail recorded for a manager the rules would not choose is the one change listed."""
    book = Book(open_store(tmp_path / "j.sqlite"))
    book.add(fwd("petrov", "pool", pool="main"), at(13, 10))  # Friday before the period
    raws = {}
    for index, owner in enumerate(("sidorov", "orlov", "smirnova"), start=1):
        raw = raw_mail(100 + index, f"Коробки {index}", f"buyer{index}@gmail.com", POOL_BODY, at(16, 10 + index))
        key = book.add(fwd(owner, "pool", pool="main"), at(16, 10 + index), raw=raw, subject=f"Коробки {index}")
        raws[key] = raw
    odd = raw_mail(200, "Коробки 4", "buyer4@gmail.com", POOL_BODY, at(16, 15))
    raws[book.add(fwd("petrov", "territory"), at(16, 15), raw=odd, subject="Коробки 4")] = odd  # RR says ivanova
    since, until = week(rules)
    rows = book.journal.queries.requests(since, until)
    pipeline = Pipeline(rules)
    changes = recheck(book.journal, rows, raws, pipeline, rules_label="действующие правила", source="тест")
    assert changes.available and changes.checked == 4 and changes.missing == 0
    assert [(c.subject, c.was_owner, c.now_owner, c.now_rule) for c in changes.items] == [
        ("Коробки 4", "Петров Д. С.", "Иванова И. А.", "pool")
    ]

    # The same through the CLI, with the mails as .eml files and new rules that send
    # the pool to one manager: every pool decision would change.
    folder = tmp_path / "mail"
    folder.mkdir()
    for key, raw in raws.items():
        (folder / f"{key.uid:03d}.eml").write_bytes(raw)
    new_rules = tmp_path / "new.toml"
    text = RULES_PATH.read_text(encoding="utf-8")
    new_rules.write_text(text.replace('members = ["ivanova", "petrov", "sidorov", "orlov", "smirnova"]',
                                      'members = ["orlov"]'), encoding="utf-8")  # fmt: skip
    assert new_rules.read_text(encoding="utf-8") != text
    demo_department(tmp_path)  # the client files new.toml names
    book.journal.close()
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--rules", str(RULES_PATH), "--journal", str(tmp_path / "j.sqlite"),
                                      "--since", "2026-11-16", "--until", "2026-11-22", "--mail", str(folder),
                                      "--compare", str(new_rules), "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exc_info)
    html = out.read_text(encoding="utf-8")
    assert "новые правила (new.toml)" in html and "проверено писем — 4" in html
    assert html.count("Стало бы: <b>Орлов М. И.</b>") == 3  # sidorov, smirnova and the odd one; orlov stays


def test_recheck_with_the_rules_that_decided_changes_nothing(rules: Rules) -> None:
    """The demo's 30 mails decided in order as the worker does (threads, the round
    robin and absences carry over), then re-decided from the journal: nothing moves."""
    journal, pipeline, raws = memory_store(), Pipeline(rules), {}
    for uid, stored in enumerate(read_mail([DEMO_MAIL]), start=1):
        key, seen = MessageKey("INBOX", 7, uid), at(16, 9) + timedelta(minutes=20 * uid)
        outcome = pipeline.run(stored.raw, journal.history, received_at=seen)
        journal.messages.record_decision(key, outcome.msg, outcome.decision, seen_at=seen)
        raws[key] = stored.raw
    rows = journal.queries.requests(*week(rules))
    assert len(rows) == 30 and len({r.owner for r in rows if r.owner}) >= 4
    changes = recheck(journal, rows, raws, pipeline, rules_label="действующие правила", source="demo/mail")
    assert (changes.available, changes.checked, changes.items) == (True, 30, ())


@pytest.mark.servers
def test_changes_from_the_mailbox_by_uid_where_uidvalidity_still_matches(rules: Rules, imap_inbox: ServerSettings) -> None:
    raws = [raw_mail(300 + n, f"Коробки {n}", f"buyer{n}@gmail.com", POOL_BODY, at(16, 10 + n)) for n in (1, 2)]
    with Mailbox(imap_inbox) as box:
        for raw in raws:
            box.append(raw)
        uids, uidvalidity = box.pending_uids(), box.uidvalidity
    book = Book(memory_store())
    for uid, raw in zip(uids, raws, strict=True):  # the journal as the worker keys it: the mailbox's own UIDs
        book.journal.messages.record_decision(MessageKey("INBOX", uidvalidity, uid), parse(raw), fwd("ivanova", "pool", pool="main"),
                                     seen_at=at(16, 12))  # fmt: skip
    # A row from before the folder was recreated: its UID means another mail now.
    book.journal.messages.record_decision(MessageKey("INBOX", uidvalidity - 1, uids[0]), parse(raw_mail(399)), fwd("petrov"),
                                 seen_at=at(16, 13))  # fmt: skip
    env = {"INBOXBOT_IMAP_HOST": imap_inbox.host, "INBOXBOT_IMAP_PORT": str(imap_inbox.port),
           "INBOXBOT_IMAP_TLS": "none", "INBOXBOT_IMAP_USER": imap_inbox.user,
           "INBOXBOT_IMAP_PASSWORD": imap_inbox.password}  # fmt: skip
    rows = book.journal.queries.requests(*week(rules))
    changes = gather_changes(book.journal, rows, rules, "действующие правила", env=env)
    assert (changes.available, changes.checked, changes.missing) == (True, 2, 1), changes.note
    assert "проверено писем — 2, не найдено — 1" in changes.note
    # Round robin: the first to Иванова (no pool history), the second to Петров, not Иванова.
    assert [(c.subject, c.now_owner) for c in changes.items] == [("Коробки 2", "Петров Д. С.")]
    with Mailbox(imap_inbox) as box:
        assert not any("\\Seen" in m.flags for m in box.fetch(uids))  # read with BODY.PEEK

    wrong = {**env, "INBOXBOT_IMAP_PASSWORD": "not-the-password"}
    refused = gather_changes(book.journal, rows, rules, "действующие правила", env=wrong)
    assert not refused.available and "недоступен" in refused.note


# --- in a browser --------------------------------------------------------------------------------


def test_report_renders_at_phone_width_without_sideways_scroll(rules: Rules) -> None:
    from browser import PHONE, decode_png, grey_stddev, layouts, screenshot

    pages = [render_report_html(sample_report(rules), Templates()),
             render_report_html(build_report((), (), rules, *week(rules), now=at(23, 9)), Templates())]  # fmt: skip
    shown = layouts(pages, PHONE)
    for page in shown:
        assert "Отчёт о распределении заявок" in page.text and "16–22 ноября 2026" in page.text
        assert page.scroll_width <= page.width and page.widest <= page.width + 0.5, "sideways scroll on a phone"
        assert page.min_font_px >= 13
        assert "{{" not in page.text and "{%" not in page.text
    assert shown[0].height > 3000 > shown[1].height  # the charts take their room: nothing collapsed
    shot = decode_png(screenshot(pages[0], (PHONE[0], 1200)))
    assert shot.width == PHONE[0] and grey_stddev(shot) > 10, "blank screenshot"


def write_screenshot(out: Path = REPO / "docs" / "screenshots" / "report.png") -> Path:
    """The sample week's report at phone width, whole page, at a phone's pixel ratio;
    its last section as `recheck` fills it when a new rules file moves two requests."""
    from browser import PHONE, layout, screenshot
    from PIL import Image  # matplotlib's own dependency

    moved = (
        ChangedDecision(at(17, 10, 42), "zakup@vologda-moloko.ru", "Запрос КП на гофрокороба", "Петров Д. С.", "forward",
                        "territory", "Смирнова О. В.", "forward", "segment", "отрасль: молочная продукция → Смирнова"),
        ChangedDecision(at(19, 15, 5), "info@samara-drinks.ru", "Счёт на упаковку", "Сидоров А. В.", "forward", "pool",
                        "Иванова И. А.", "forward", "pool", "очередь «main»: следующая по кругу → Иванова"),
    )  # fmt: skip
    changes = Changes(True, "письма из ящика mail.severkarton.test: проверено писем — 152", "новые правила (rules-new.toml)",
                      152, 0, moved)  # fmt: skip
    page = render_report_html(replace(sample_report(load_rules(RULES_PATH)), changes=changes), Templates())
    height = layout(page, PHONE).height
    out.parent.mkdir(parents=True, exist_ok=True)
    shot = Image.open(io.BytesIO(screenshot(page, (PHONE[0], height), scale=2))).convert("RGB")
    # 64 colours, no dithering: a third of the size, text and charts look the same.
    shot.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(write_screenshot(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots" / "report.png"))
