"""rules.toml: the shipped example loads cleanly; every broken file in tests/rules/ gives
exactly the errors in its .expected twin (file, line, section, what, valid options)."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path

import pytest
from samples import RULES as EXAMPLE
from samples import demo_department

from inboxbot.errors import RulesError
from inboxbot.route.conditions.catalog import CONDITIONS
from inboxbot.rules.forms import derive_forms, inflections
from inboxbot.rules.load import check, load_rules
from inboxbot.rules.model import OWN_LOOP_HEADER, absence_chain
from inboxbot.rules.positions import Positions

BROKEN = sorted((Path(__file__).parent / "rules").glob("*.toml"))


def test_example_loads_without_errors_or_warnings() -> None:
    errors, warnings = check(EXAMPLE)
    assert errors == []
    assert warnings == []
    rules = load_rules(EXAMPLE)
    assert list(rules.managers) == ["volkov", "ivanova", "petrov", "sidorov", "kuznetsova", "orlov", "smirnova"]
    assert [r.id for r in rules.rules] == [
        "not_a_request", "thread", "repeat", "addressed", "vip", "public_sector", "client_inn",
        "client_domain", "client_name", "ledger", "group", "territory", "duty", "pool", "fallback",
    ]  # fmt: skip
    assert rules.department.loop_headers[0] == OWN_LOOP_HEADER
    assert "X-SK-Triage" in rules.department.loop_headers
    assert rules.department.head == "volkov"
    assert str(rules.department.timezone) == "Europe/Moscow"
    assert rules.territory.regions == {"77": "smirnova", "52": "ivanova", "02": "sidorov"}
    assert rules.territory.districts["ПФО"] == "petrov"
    assert rules.territory.foreign == "smirnova"
    assert rules.pool is not None and rules.pool.members == ("ivanova", "petrov", "sidorov", "orlov", "smirnova")
    assert [m.id for m in rules.managers.values() if m.in_pool] == list(rules.pool.members)
    assert len(rules.clients) == 263
    assert {g.name for g in rules.groups} >= {"Молочная страна", "ЮгАгроХолдинг"}
    assert any(v.inn == "3435051172" for v in rules.vip)
    assert [(a.manager, a.start, a.end, a.backup) for a in rules.absences] == [
        ("kuznetsova", date(2025, 6, 16), date(2025, 6, 27), "orlov"),
        ("petrov", date(2025, 7, 7), date(2025, 7, 20), "ivanova"),
        ("sidorov", date(2025, 8, 4), date(2025, 8, 15), "petrov"),
        ("orlov", date(2026, 6, 3), date(2026, 6, 3), "smirnova"),
    ]
    assert (rules.absences[-1].start_time, rules.absences[-1].end_time) == (time(14), time(18))
    # Two halves of five weekdays of a week, the 14 Mondays, Wednesdays, Fridays of July 2026,
    # and 08.06–14.06 on working days: four, 12.06 is Russia Day.
    assert len(rules.roster.shifts) == 10 + 14 + 4
    assert {p.name for p in rules.source_files} == {"clients.csv", "groups.csv", "vip.csv"}
    assert re.fullmatch(r"[0-9a-f]{64}", rules.fingerprint)


def test_example_documents_every_condition_and_option() -> None:
    """The example file is the documentation: every condition and option appears in it."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for condition, declared in CONDITIONS.items():
        assert re.search(rf"\b{condition}\b", text), f"condition {condition} is not described in rules.toml"
        for option in declared.option_names:
            assert re.search(rf"\b{option}\s*=", text), f"option {option} of {condition} is not shown in rules.toml"
    for key in ("daily_cap", "monthly_cap", "duty", "weight", "window_days", "method", "backup_chain",
                "templates", "encoding", "delimiter", "sheet", "cities", "foreign", "enabled", "note",
                "working_hours", "working_days", "phone", "acknowledge", "remind_after", "escalate_after",
                "escalate", "reassign_to", "every", "weekday",
                "extra_days_off", "extra_work_days", "shortened_days"):  # fmt: skip
        assert key in text, f"{key} is not shown in rules.toml"


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_rules_file(path: Path) -> None:
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").strip().splitlines()
    errors, _ = check(path)
    assert errors == expected
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(info.value).splitlines() == expected


def test_broken_files_each_name_file_and_line() -> None:
    for path in BROKEN:
        for line in path.with_suffix(".expected").read_text(encoding="utf-8").strip().splitlines():
            assert line.startswith(path.name), line
            if path.stem != "no_rules":
                assert re.match(rf"{re.escape(path.name)}, строка \d+", line), line


def test_missing_rules_file(tmp_path: Path) -> None:
    errors, _ = check(tmp_path / "rules.toml")
    assert errors == [f"rules.toml: файл правил не найден ({(tmp_path / 'rules.toml').resolve()})"]


def test_positions_skip_strings_comments_and_multiline_arrays() -> None:
    text = "\n".join(
        [
            "[department]",  # 1
            'name = "a = b"  # x = y',  # 2
            "members = [",  # 3
            '  "ivanova",  # owner = 1',  # 4
            '  "petrof",',  # 5
            "]",  # 6
            'districts = { "ЦФО" = "ivanova", "ПФО" = "petrov" }  # comment',  # 7
            '"quoted key" = 1',  # 8
            "[[rule]]",  # 9
            'id = "a"',  # 10
            "[[rule]]",  # 11
            "  # id = 'commented'",  # 12
            'id = "b"',  # 13
            'note = """',  # 14
            "owner = not a key",  # 15
            '"""',  # 16
            "owner = 'x'",  # 17
        ]
    )
    pos = Positions(text)
    assert pos.line("department", "name") == 2
    assert pos.line("department", "members") == 3
    assert pos.value_line(("department", "members"), "petrof") == 5
    assert pos.line("department", "districts", "ПФО") == 7
    assert pos.line("department", "quoted key") == 8
    assert pos.line("rule", 0, "id") == 10
    assert pos.line("rule", 1) == 11
    assert pos.line("rule", 1, "id") == 13
    assert pos.line("rule", 1, "owner") == 17
    assert pos.line("rule", 1, "missing") == 11


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('head = "volkov"', 'head = "volkof"').replace('backup = "orlov"', 'backpu = "orlov"')
    text = text.replace('method = "round_robin"', 'method = "roundrobin"')
    errors, _ = check(demo_department(tmp_path, text))
    assert len(errors) == 4, errors
    assert "неизвестный менеджер «volkof» (возможно, «volkov»)" in errors[0]
    assert any("неизвестный параметр «backpu» (возможно, «backup»)" in e for e in errors)
    assert any("не указан заместитель" in e for e in errors)
    assert any("неизвестный способ «roundrobin» (возможно, «round_robin»)" in e for e in errors)
    lines = [int(re.search(r"строка (\d+)", e).group(1)) for e in errors]  # type: ignore[union-attr]
    assert lines == sorted(lines)


def test_fingerprint_follows_loaded_files(tmp_path: Path) -> None:
    demo_department(tmp_path)
    first = load_rules(tmp_path / "rules.toml").fingerprint
    assert load_rules(tmp_path / "rules.toml").fingerprint == first
    with open(tmp_path / "vip.csv", "a", encoding="utf-8") as f:
        f.write("ООО «Новый VIP»,7707083893,volkov,2025-01-01\n")
    assert load_rules(tmp_path / "rules.toml").fingerprint != first


def test_client_base_problems_are_warnings(tmp_path: Path) -> None:
    demo_department(tmp_path)
    with open(tmp_path / "clients.csv", "a", encoding="utf-8") as f:
        f.write("ООО «Ромашка»,1234567890,,,77,Москва,petrova,,romashka.ru,\n")
    errors, warnings = check(tmp_path / "rules.toml")
    assert errors == []
    assert any("1234567890" in w for w in warnings)
    assert any("менеджер «petrova» (строки 265) не описан в rules.toml" in w for w in warnings)


def test_derived_forms_and_inflections() -> None:
    forms = derive_forms("Петров Дмитрий Сергеевич")
    for form in ("Дмитрий", "Дима", "Дмитрий Сергеевич", "Петров", "Дмитрий Петров", "Dmitry Petrov", "Mr. Petrov"):
        assert form in forms
    assert "Ms. Ivanova" in derive_forms("Иванова Ирина Александровна")
    assert "Лёша" in derive_forms("Сидоров Алексей Викторович")
    assert {"дмитрию", "дмитрия"} <= inflections("Дмитрий")
    assert {"ире", "иру"} <= inflections("Ира")
    assert {"ивановой"} <= inflections("Иванова")
    assert {"викторовне"} <= inflections("Викторовна")


def test_manager_forms_from_file_are_kept(tmp_path: Path) -> None:
    rules = load_rules(EXAMPLE)
    assert rules.managers["volkov"].forms[:2] == ("Mr. Volkov", "Andrey Volkov")
    assert rules.managers["volkov"].surname == "Волков"


def test_absence_chain_follows_backups_or_goes_to_head(tmp_path: Path) -> None:
    demo_department(tmp_path)
    text = EXAMPLE.read_text(encoding="utf-8").replace("backup_chain = false", "backup_chain = true")
    text += '\n[[absence]]\nmanager = "ivanova"\nfrom = 2025-07-10\nto = 2025-07-12\nbackup = "orlov"\n'
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    rules = load_rules(tmp_path / "rules.toml")
    assert absence_chain(rules, "petrov", date(2025, 7, 9))[0] == "ivanova"
    owner, chain = absence_chain(rules, "petrov", date(2025, 7, 11))
    assert owner == "orlov" and [a.manager for a in chain] == ["petrov", "ivanova"]
    (tmp_path / "rules.toml").write_text(text.replace("backup_chain = true", "backup_chain = false"), encoding="utf-8")
    rules = load_rules(tmp_path / "rules.toml")
    assert absence_chain(rules, "petrov", date(2025, 7, 11))[0] == "volkov"
    assert absence_chain(rules, "orlov", date(2025, 7, 11)) == ("orlov", [])


def _tomllib_messages() -> list[str]:
    """Every message tomllib's parser raises with a position (`suffixed_err`), read from
    the source of the Python that runs the tests; f-string fields get a sample value."""
    import inspect
    import tomllib._parser as parser

    source = inspect.getsource(parser)
    found = re.findall(r"suffixed_err\(\s*src,\s*\w+,\s*(f?)(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", source)
    messages = []
    for is_f, literal in found:
        text = eval(literal)  # a string literal from the stdlib source
        if is_f:
            text = re.sub(r"\{[^}]*!r\}", "'x'", text)
            text = re.sub(r"\{[^}]*\}", "('a', 'b')", text)
        messages.append(text)
    return messages


def test_every_tomllib_message_has_a_russian_text() -> None:
    from inboxbot.rules.tomlerrors import known

    messages = _tomllib_messages()
    assert len(messages) >= 20, messages  # the regex still finds them
    assert [m for m in messages if not known(m)] == []


SYNTAX_SAMPLES = sorted((Path(__file__).parent / "rules").glob("syntax_*.toml"))


@pytest.mark.parametrize("path", SYNTAX_SAMPLES, ids=[p.stem for p in SYNTAX_SAMPLES])
def test_syntax_errors_are_russian(path: Path) -> None:
    """No English from tomllib reaches the user: beyond the file name, keys and examples,
    a syntax error has no Latin word of four letters or more."""
    (line,) = check(path)[0]
    text = line.removeprefix(path.name)
    allowed_re = r"\[\[?[a-z.]+\]\]?|\"[^\"]*\"|«[^»]*»|'[^']*'|[a-z_]+ = |UTF-8|U\+[0-9A-F]+|true|false|Windows|Word|PDF"
    for allowed in re.findall(allowed_re, text):
        text = text.replace(allowed, "")
    assert not re.search(r"[A-Za-z]{4,}", text), line


def test_command_authentication_settings_are_checked_with_line_and_fix(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace('auth_server = "mx.severkarton.test"', 'auth_server = "mx severkarton"')
    text = text.replace("relays = []  ", 'relays = ["relay ok", "10.0.0.5"]  ', 1)
    text = text.replace("keep_days = 365 ", 'relays = ["10.0.0.5"]\nkeep_days = 365 ', 1)
    errors, _ = check(demo_department(tmp_path, text))
    assert len(errors) == 3, errors
    assert "[department]: «mx severkarton» — не имя почтового сервера. Пример: auth_server = \"mx.company.ru\"" in errors[0]
    assert "«relays»: «relay ok» — не имя сервера и не IP-адрес. Пример: relays = [\"relay.company.ru\"" in errors[1]
    assert "правило «ledger»: неизвестный параметр «relays» (он перенесён в [department]" in errors[2]
    lines = [int(re.search(r"строка (\d+)", e).group(1)) for e in errors]  # type: ignore[union-attr]
    source = text.splitlines()
    assert source[lines[0] - 1].startswith("auth_server") and source[lines[2] - 1].startswith("relays = [\"10")
    rules = load_rules(EXAMPLE).department
    assert (rules.auth_server, rules.relays) == ("mx.severkarton.test", ())
