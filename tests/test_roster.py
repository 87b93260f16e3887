"""Who is there when a mail arrives: part-day absences with times, the dated duty roster
with hours — routing at the mail's moment in the department's time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from samples import demo_department

from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store

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
