"""Who is there when a mail arrives: part-day absences with times, the dated duty roster
with hours — routing at the mail's moment in the department's time zone."""

from __future__ import annotations

import email
from datetime import datetime, time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from samples import RULES, deliver, demo_department
from servers import SmtpCatcher

from inboxbot.config import ServerSettings, Settings
from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.run.jobs import Jobs
from inboxbot.run.worker import Worker
from inboxbot.store.factory import memory_store, open_store

MSK = ZoneInfo("Europe/Moscow")


def rules_with(tmp_path: Path, extra: str) -> Rules:
    path = demo_department(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return load_rules(path)


def to_petrov(when: datetime) -> ParsedMessage:
    raw = (
        "From: kuzmin@gmail.com\nTo: d.petrov@severkarton.test\nSubject: Коробки\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S %z}\nMessage-ID: <{when:%d%H%M}@client.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\nДобрый день! Нужны коробки.\n"
    )
    return parse(raw.encode())


def route(rules: Rules, when: datetime) -> Decision:
    return decide(to_petrov(when), Facts(), rules, memory_store().history)


PART_DAY = """
[[absence]]
manager = "petrov"
from = 2025-06-16T14:00:00
to = 2025-06-17T12:00:00
backup = "ivanova"
reason = "у врача"
"""


def test_absence_from_a_time_of_day_leaves_the_morning_to_the_owner(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, PART_DAY)
    assert route(rules, datetime(2025, 6, 16, 10, 0, tzinfo=MSK)).owner == "petrov"  # went to ivanova before
    d = route(rules, datetime(2025, 6, 16, 15, 0, tzinfo=MSK))
    assert (d.owner, d.base_owner) == ("ivanova", "petrov")
    assert "Петров у врача 16.06 14:00–17.06 12:00 → заместитель Иванова" in d.reasons
    assert "время письма 16.06.2025 15:00" in d.trail[-1].detail
    assert route(rules, datetime(2025, 6, 17, 11, 59, tzinfo=MSK)).owner == "ivanova"
    assert route(rules, datetime(2025, 6, 17, 12, 0, tzinfo=MSK)).owner == "petrov"  # back at 12:00


def test_absence_times_are_the_department_s_wall_clock(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, PART_DAY)
    # 10:30 UTC is 13:30 in Moscow: still before the absence; 11:30 UTC is 14:30: away.
    assert route(rules, datetime(2025, 6, 16, 10, 30, tzinfo=ZoneInfo("UTC"))).owner == "petrov"
    assert route(rules, datetime(2025, 6, 16, 11, 30, tzinfo=ZoneInfo("UTC"))).owner == "ivanova"


def test_absence_in_hours_of_one_day_and_written_as_text(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, PART_DAY.replace("2025-06-16T14:00:00", '"18.06.2025 10:00"').replace(
        "2025-06-17T12:00:00", '"18.06.2025 13:00"'))
    assert route(rules, datetime(2025, 6, 18, 9, 59, tzinfo=MSK)).owner == "petrov"
    d = route(rules, datetime(2025, 6, 18, 10, 0, tzinfo=MSK))
    assert d.owner == "ivanova" and "Петров у врача 18.06 10:00–13:00 → заместитель Иванова" in d.reasons
    assert route(rules, datetime(2025, 6, 18, 13, 0, tzinfo=MSK)).owner == "petrov"


def test_whole_day_absence_ends_with_the_day(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, PART_DAY.replace("2025-06-16T14:00:00", "2025-06-16").replace("2025-06-17T12:00:00", "2025-06-16"))
    assert route(rules, datetime(2025, 6, 16, 23, 59, tzinfo=MSK)).owner == "ivanova"
    assert route(rules, datetime(2025, 6, 17, 0, 0, tzinfo=MSK)).owner == "petrov"


# --- the duty roster --------------------------------------------------------------------------------------------------


def unknown_sender(when: datetime) -> ParsedMessage:
    raw = (
        "From: kuzmin@gmail.com\nTo: sales@severkarton.test\nSubject: Коробки\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S %z}\nMessage-ID: <u{when:%d%H%M}@client.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\nДобрый день! Нужны коробки.\n"
    )
    return parse(raw.encode())


def new_request(rules: Rules, when: datetime) -> Decision:
    return decide(unknown_sender(when), Facts(), rules, memory_store().history)


def test_roster_hands_duty_over_at_13_00(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "")  # the demo: petrov 09–13, ivanova 13–18 on weekdays of 01.06.2026's week
    d = new_request(rules, datetime(2026, 6, 2, 12, 59, tzinfo=MSK))
    assert (d.owner, d.rule) == ("petrov", "duty")
    assert "дежурный по графику на 02.06 09:00–13:00 → Петров (письмо 02.06 12:59, по заголовку Date)" in d.reasons
    d = new_request(rules, datetime(2026, 6, 2, 13, 0, tzinfo=MSK))
    assert (d.owner, d.rule) == ("ivanova", "duty")
    assert "дежурный по графику на 02.06 13:00–18:00 → Иванова (письмо 02.06 13:00, по заголовку Date)" in d.reasons


def test_no_one_on_duty_goes_on_to_the_pool(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "")
    for when in (datetime(2026, 6, 2, 18, 30, tzinfo=MSK), datetime(2026, 6, 6, 11, 0, tzinfo=MSK)):  # evening; Saturday
        d = new_request(rules, when)
        assert d.rule == "pool"
        step = next(s for s in d.trail if s.rule == "duty")
        assert not step.matched and f"по графику на {when:%d.%m %H:%M} никто не дежурит" in step.detail


def test_whole_days_of_a_month_on_given_weekdays(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "")  # orlov: July 2026, Mon, Wed, Fri, all day
    d = new_request(rules, datetime(2026, 7, 1, 23, 30, tzinfo=MSK))
    assert d.owner == "orlov" and "дежурный по графику на 01.07 (весь день) → Орлов (письмо 01.07 23:30, по заголовку Date)" in d.reasons
    assert new_request(rules, datetime(2026, 7, 2, 10, 0, tzinfo=MSK)).rule == "pool"  # Thursday


def test_an_absent_duty_manager_is_replaced_by_the_backup(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, PART_DAY.replace("2025-06-16T14:00:00", "2026-06-02T10:00:00").replace(
        "2025-06-17T12:00:00", "2026-06-02T12:00:00"))
    d = new_request(rules, datetime(2026, 6, 2, 11, 0, tzinfo=MSK))
    assert (d.owner, d.base_owner, d.base_rule) == ("ivanova", "petrov", "duty")
    assert "Петров у врача 02.06 10:00–12:00 → заместитель Иванова" in d.reasons


ROSTER_CSV = "дата;с;до;менеджер\n15.06.2026;09:00;13:00;petrov\n15.06.2026;13:00;24:00;Смирнова\n2026-06-16;;;sidorov\n"


def test_roster_file_is_read_and_reloaded_when_it_changes(tmp_path: Path) -> None:
    from inboxbot.run.rulesholder import RulesHolder

    (tmp_path / "duty.csv").write_text(ROSTER_CSV, encoding="utf-8")
    rules_with(tmp_path, '[roster]\nfile = "duty.csv"\n')
    holder = RulesHolder(tmp_path / "rules.toml")
    assert new_request(holder.rules, datetime(2026, 6, 15, 12, 0, tzinfo=MSK)).owner == "petrov"
    d = new_request(holder.rules, datetime(2026, 6, 15, 23, 0, tzinfo=MSK))
    assert d.owner == "smirnova" and "дежурный по графику на 15.06 13:00–24:00 → Смирнова (письмо 15.06 23:00, по заголовку Date)" in d.reasons
    assert new_request(holder.rules, datetime(2026, 6, 16, 3, 0, tzinfo=MSK)).owner == "sidorov"
    # The secretary swaps Tuesday's duty: the next poll's refresh takes it.
    (tmp_path / "duty.csv").write_text(ROSTER_CSV.replace("2026-06-16;;;sidorov", "16.06.2026;;;Орлов"), encoding="utf-8")
    assert holder.refresh()
    assert new_request(holder.rules, datetime(2026, 6, 16, 3, 0, tzinfo=MSK)).owner == "orlov"
    # A broken edit is rejected with the file and line; the last good roster stays.
    (tmp_path / "duty.csv").write_text(ROSTER_CSV + "17.06.2026;09:00;25:00;petrov\n", encoding="utf-8")
    assert not holder.refresh()
    assert holder.last_error is not None and "duty.csv, строка 5: времени «25:00» не бывает" in holder.last_error
    assert new_request(holder.rules, datetime(2026, 6, 16, 3, 0, tzinfo=MSK)).owner == "orlov"


def test_days_and_hours_as_the_head_writes_them() -> None:
    from inboxbot.model.roster import parse_days, parse_hours

    assert parse_days("пн-пт") == (0, 1, 2, 3, 4)
    assert parse_days("пт-пн") == (0, 4, 5, 6)  # through the weekend
    assert parse_days("Пн, ср; ПТ.") == (0, 2, 4)
    assert parse_hours("9–13") == (time(9), time(13))
    assert parse_hours("13:00 - 24:00") == (time(13), None)


# --- the worker on real servers, with a clock the test moves ---------------------------------------------------------


def mail_at(when: datetime, sender: str, to: str = "sales@severkarton.test") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Коробки {when:%H:%M}\r\n"
        f"Date: {when:%a, %d %b %Y %H:%M:%S %z}\r\nMessage-ID: <{when:%d%H%M}.{sender}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nДобрый день! Нужны коробки 400х300х200, 1000 шт.\r\n"
    ).encode()


def forwards(smtp: SmtpCatcher) -> dict[str, tuple[tuple[str, ...], str]]:
    """Subject → (recipients, plain text) of every forward the bot sent."""
    found = {}
    for message in smtp.messages:
        parsed = email.message_from_bytes(message.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        if str(parsed.get("X-Inboxbot", "")).startswith("forwarded"):
            body = parsed.get_body(("plain",))
            assert body is not None
            found[str(parsed["Subject"])] = (message.rcpt_tos, body.get_content())
    return found


def run_worker(tmp_path: Path, imap: ServerSettings, smtp: SmtpCatcher, now: datetime) -> None:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=str(tmp_path / "journal.sqlite"),
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    with open_store(settings.journal) as journal:
        bot = Worker(settings, RULES, journal, clock=lambda: now, processes=0)
        try:
            Jobs(bot).run_once()
        finally:
            bot.close()


def test_worker_hands_duty_over_at_13_00(tmp_path: Path, imap_inbox: ServerSettings, smtp_server: SmtpCatcher) -> None:
    """The demo roster: Petrov 09:00–13:00, Ivanova 13:00–18:00 in the week of 01.06.2026."""
    deliver(imap_inbox, mail_at(datetime(2026, 6, 2, 12, 59, tzinfo=MSK), "first@gmail.com"),
            mail_at(datetime(2026, 6, 2, 13, 0, tzinfo=MSK), "second@gmail.com"))  # fmt: skip
    run_worker(tmp_path, imap_inbox, smtp_server, datetime(2026, 6, 2, 13, 2, tzinfo=MSK))
    sent = forwards(smtp_server)
    (petrov, before), (ivanova, after) = sent["[Заявка] Коробки 12:59"], sent["[Заявка] Коробки 13:00"]
    assert (petrov, ivanova) == (("d.petrov@severkarton.test",), ("i.ivanova@severkarton.test",))
    assert "дежурный по графику на 02.06 09:00–13:00 → Петров" in before
    assert "дежурный по графику на 02.06 13:00–18:00 → Иванова" in after


def test_worker_part_day_absence(tmp_path: Path, imap_inbox: ServerSettings, smtp_server: SmtpCatcher) -> None:
    """The demo: Orlov away 03.06.2026 14:00–18:00, Smirnova stands in."""
    orlov = "m.orlov@severkarton.test"
    deliver(imap_inbox, mail_at(datetime(2026, 6, 3, 10, 0, tzinfo=MSK), "morning@gmail.com", orlov),
            mail_at(datetime(2026, 6, 3, 15, 0, tzinfo=MSK), "afternoon@gmail.com", orlov))  # fmt: skip
    run_worker(tmp_path, imap_inbox, smtp_server, datetime(2026, 6, 3, 15, 5, tzinfo=MSK))
    sent = forwards(smtp_server)
    (morning, _), (afternoon, text) = sent["[Заявка] Коробки 10:00"], sent["[Заявка] Коробки 15:00"]
    assert morning == (orlov,)  # before this change the 10:00 mail went to the backup too
    assert afternoon == ("o.smirnova@severkarton.test",)
    assert "Орлов на выставке 03.06 14:00–18:00 → заместитель Смирнова" in text
    assert "(отсутствует до 18:00)" in text and "в отпуске до" not in text  # back at a time of day: no whole day to name


# --- «кто сегодня не на месте» ------------------------------------------------------------------------------------


PRESENCE_CSV = "дата;менеджер;заместитель;с;до;причина\n16.06.2026;Петров;Иванова;;;заболел\n17.06.2026;petrov;;14:00;;у врача\n"


def test_presence_table_stands_in_for_the_day_and_is_reloaded(tmp_path: Path) -> None:
    from inboxbot.run.rulesholder import RulesHolder

    (tmp_path / "presence.csv").write_text(PRESENCE_CSV, encoding="utf-8")
    rules_with(tmp_path, '[presence]\nfile = "presence.csv"\n')
    holder = RulesHolder(tmp_path / "rules.toml")
    d = route(holder.rules, datetime(2026, 6, 16, 10, 0, tzinfo=MSK))
    assert (d.owner, d.base_owner) == ("ivanova", "petrov") and "Петров заболел 16.06 → заместитель Иванова" in d.reasons
    assert route(holder.rules, datetime(2026, 6, 17, 10, 0, tzinfo=MSK)).owner == "petrov"  # away from 14:00 only
    d = route(holder.rules, datetime(2026, 6, 17, 15, 0, tzinfo=MSK))
    assert d.owner == "volkov" and "Петров у врача 17.06 с 14:00 → заместитель Волков" in d.reasons  # no backup: the head
    assert route(holder.rules, datetime(2026, 6, 18, 10, 0, tzinfo=MSK)).owner == "petrov"  # another day: nothing
    # The secretary removes Tuesday's row: the next refresh takes it.
    (tmp_path / "presence.csv").write_text(PRESENCE_CSV.splitlines()[0] + "\n", encoding="utf-8")
    assert holder.refresh()
    assert route(holder.rules, datetime(2026, 6, 16, 10, 0, tzinfo=MSK)).owner == "petrov"


def test_duty_on_working_days_skips_a_public_holiday(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "")  # sidorov, 08.06–14.06.2026, days = "рабочие", 09:00–18:00
    d = new_request(rules, datetime(2026, 6, 11, 17, 0, tzinfo=MSK))
    assert d.owner == "sidorov" and "дежурный по графику на 11.06 09:00–18:00 → Сидоров (письмо 11.06 17:00, по заголовку Date)" in d.reasons
    assert new_request(rules, datetime(2026, 6, 12, 10, 0, tzinfo=MSK)).rule == "pool"  # Russia Day: nobody on duty


# --- the queue at the mail's moment --------------------------------------------------------------------------------


def test_pool_skips_a_member_only_while_away(tmp_path: Path) -> None:
    """Ivanova (first in the queue) away from 14:00: the 10:00 mail is still hers."""
    absence = PART_DAY.replace('"petrov"', '"ivanova"').replace('"ivanova"\nreason', '"petrov"\nreason')
    rules = rules_with(tmp_path, absence)
    d = new_request(rules, datetime(2025, 6, 16, 10, 0, tzinfo=MSK))
    assert d.rule == "pool" and d.owner == "ivanova"  # was skipped «до 17.06» before
    assert not any(r.startswith("пропущены") for r in d.reasons)
    d = new_request(rules, datetime(2025, 6, 16, 15, 0, tzinfo=MSK))
    assert d.owner != "ivanova" and "пропущены: Иванова у врача до 17.06 12:00" in d.reasons
    same_day = rules_with(tmp_path, absence.replace("2025-06-17T12:00:00", "2025-06-16T18:00:00"))
    d = new_request(same_day, datetime(2025, 6, 16, 15, 0, tzinfo=MSK))
    assert "пропущены: Иванова у врача до 18:00" in d.reasons
    assert new_request(same_day, datetime(2025, 6, 16, 18, 0, tzinfo=MSK)).owner == "ivanova"
