"""Pool weights from conversion (directory/conversion.py, [pool] weights_file): the file
read and checked like the client base, the weight rule with its floor, the weight in the
forward and the report, reloading on change."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import DEMO_DATA, RULES, demo_department

from inboxbot.directory.conversion import Conversion, conversion_weights, load_conversion
from inboxbot.errors import RulesError
from inboxbot.model.facts import Facts
from inboxbot.route.decide import decide
from inboxbot.rules.load import check, load_rules
from inboxbot.store.factory import memory_store
from inboxbot.tools.fair_month import anonymous_request


def _rules_text(extra: str = 'weights_file = "conversion.csv"') -> str:
    text = RULES.read_text(encoding="utf-8")
    return text.replace('method = "round_robin"', 'method = "weighted"').replace('# weights_file = "conversion.csv"', extra)


def _folder(tmp_path: Path, csv: str | None = None, extra: str = 'weights_file = "conversion.csv"') -> Path:
    rules = demo_department(tmp_path, _rules_text(extra))
    if csv is None:
        shutil.copyfile(DEMO_DATA / "conversion.csv", tmp_path / "conversion.csv")
    else:
        (tmp_path / "conversion.csv").write_text(csv, encoding="utf-8")
    return rules


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_weight_is_conversion_over_the_average_with_a_floor() -> None:
    rows = (Conversion("a", 100, 30, 2), Conversion("b", 100, 10, 3), Conversion("c", 100, 2, 4), Conversion("d", 0, 0, 5))
    # rates .30 .10 .02 (d has no requests), average .14
    assert conversion_weights(rows, ("a", "b", "c", "d"), 0.3) == {"a": 2.14, "b": 0.71, "c": 0.3}
    assert conversion_weights(rows, ("b",), 0.3) == {"b": 1.0}  # alone: the average is his own
    assert conversion_weights((), ("a",), 0.3) == {}


def test_the_demo_file_loads_and_weights_the_pool(tmp_path: Path) -> None:
    rules = load_rules(_folder(tmp_path))
    assert rules.pool is not None
    # rates .25 .18 .30 .15 .20, average .216
    assert dict(rules.pool.weights) == {"ivanova": 1.16, "petrov": 0.83, "sidorov": 1.39, "orlov": 0.69, "smirnova": 0.93}
    assert rules.pool.weight_text(rules.managers["sidorov"]) == "вес 1.39 (конверсия 30%)"
    assert "conversion.csv" in {p.name for p in rules.source_files}


def test_the_forward_shows_the_weight_and_the_conversion(tmp_path: Path) -> None:
    rules = load_rules(_folder(tmp_path))
    moment = datetime(2025, 6, 9, 9, 0, tzinfo=UTC)
    d = decide(anonymous_request(1, moment), Facts(), rules, memory_store().history, received_at=moment)
    assert d.reasons[1] == "очередь «main»: по весам: 0 писем из пула за 30 дн., вес 1.39 (конверсия 30%) → Сидоров"


def test_a_changed_file_changes_the_rules(tmp_path: Path) -> None:
    path = _folder(tmp_path)
    first = load_rules(path)
    (tmp_path / "conversion.csv").write_text("manager;requests;deals\nsidorov;90;9\norlov;80;40\n", encoding="utf-8")
    second = load_rules(path)
    assert second.fingerprint != first.fingerprint
    assert second.pool is not None and second.pool.weights["orlov"] > second.pool.weights["sidorov"]


def test_russian_headers_of_a_1c_export(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Менеджер;Заявки;Сделки\nivanova;10;4\n", encoding="cp1251")
    assert load_conversion(path) == (Conversion("ivanova", 10, 4, 2),)


def test_bad_rows_each_named_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("manager;requests;deals\n;10;2\nivanova;десять;2\npetrov;10;12\npetrov;5;1\n", encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_conversion(path)
    assert str(info.value).splitlines() == [
        "k.csv, строка 2: не указан менеджер (колонка manager)",
        "k.csv, строка 3: requests — целое число заявок, 0 или больше; указано «десять»",
        "k.csv, строка 4: сделок (12) больше, чем заявок (10) — проверьте выгрузку",
        "k.csv, строка 5: менеджер «petrov» уже указан в строке 4; оставьте одну строку",
    ]


def test_check_reports_the_file_problems_on_the_weights_file_line(tmp_path: Path) -> None:
    path = _folder(tmp_path, "manager;requests;deals\nivanov;10;2\nivanova;10;x\n")
    line = _line(_rules_text(), 'weights_file = "conversion.csv"')
    errors, warnings = check(path)
    assert errors == [
        f"rules.toml, строка {line}, [pool]: conversion.csv, строка 3: deals — целое число сделок, 0 или больше; указано «x»",
    ]
    path = _folder(tmp_path, "manager;requests;deals\nivanov;10;2\nivanova;10;3\n")
    errors, warnings = check(path)
    assert errors == [
        f"rules.toml, строка {line}, [pool]: conversion.csv, строка 2: неизвестный менеджер «ivanov» (возможно, «ivanova»). "
        "Допустимые: volkov, ivanova, petrov, sidorov, kuznetsova, orlov, smirnova",
    ]
    assert f"rules.toml, строка {line}, [pool]: conversion.csv: нет заявок менеджера «petrov» — его вес берётся из [[manager]] weight" in warnings


def test_check_missing_columns_and_file(tmp_path: Path) -> None:
    line = _line(_rules_text(), 'weights_file = "conversion.csv"')
    errors, _ = check(_folder(tmp_path, "Менеджер;Сделки\nivanova;3\n"))
    assert errors == [
        f"rules.toml, строка {line}, [pool]: conversion.csv: нет колонок requests. Найдены колонки: Менеджер, Сделки. "
        "Нужны три колонки: manager (id менеджера), requests (заявок), deals (сделок)"
    ]
    errors, _ = check(_folder(tmp_path / "b", extra='weights_file = "konversia.csv"'))
    assert errors == [
        f"rules.toml, строка {line}, [pool]: файл «konversia.csv» не найден (путь считается от папки, где лежит rules.toml)"
    ]


def test_check_weights_file_needs_the_weighted_method(tmp_path: Path) -> None:
    text = _rules_text().replace('method = "weighted"', 'method = "least_loaded"')
    rules = demo_department(tmp_path, text)
    shutil.copyfile(DEMO_DATA / "conversion.csv", tmp_path / "conversion.csv")
    errors, _ = check(rules)
    assert errors == [
        f"rules.toml, строка {_line(text, 'weights_file =')}, [pool]: weights_file (веса по конверсии) работает только с "
        "method = \"weighted\"; укажите его или уберите weights_file"
    ]


def test_check_weight_floor_bounds(tmp_path: Path) -> None:
    extra = 'weights_file = "conversion.csv"\nweight_floor = 0'
    errors, _ = check(_folder(tmp_path, extra=extra))
    line = _line(_rules_text(extra), "weight_floor = 0\n")
    assert errors == [
        f"rules.toml, строка {line}, [pool]: weight_floor — наименьший вес по конверсии, число от 0.05 до 1, "
        "например weight_floor = 0.3; указано число 0"
    ]


def test_the_report_shows_the_weight_and_the_conversion(tmp_path: Path) -> None:
    from inboxbot.compose.report import build_report
    from inboxbot.compose.report_mail import render_report_html
    from inboxbot.compose.templates import Templates
    from inboxbot.model.records import MessageKey

    rules = load_rules(_folder(tmp_path))
    store = memory_store()
    start = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
    for n in range(12):
        moment = start.replace(minute=n)
        msg = anonymous_request(n, moment)
        d = decide(msg, Facts(), rules, store.history, received_at=moment)
        store.messages.record_decision(MessageKey("INBOX", 1, n + 1), msg, d, seen_at=moment)
    since, until = datetime(2025, 6, 9, tzinfo=UTC), datetime(2025, 6, 10, tzinfo=UTC)
    report = build_report(store.queries.requests(since, until), (), rules, since, until, now=until)
    lines = {m.id: m for m in report.managers}
    assert lines["sidorov"].weight == "вес 1.39 (конверсия 30%)" and lines["sidorov"].pool > lines["orlov"].pool
    assert "(вес 0.69 (конверсия 15%))" in render_report_html(report, Templates())


def test_the_worker_takes_a_new_export_and_keeps_the_old_weights_on_a_broken_one(tmp_path: Path) -> None:
    import os

    from inboxbot.run.rulesholder import RulesHolder

    holder = RulesHolder(_folder(tmp_path))
    assert holder.rules.pool is not None and holder.rules.pool.weights["orlov"] == 0.69
    csv = tmp_path / "conversion.csv"
    csv.write_text("manager;requests;deals\nivanova;100;20\norlov;100;40\n", encoding="utf-8")
    os.utime(csv, ns=(1, 2))  # a new mtime whatever the clock's resolution
    assert holder.refresh() is True
    assert holder.rules.pool is not None and holder.rules.pool.weights["orlov"] == 1.33
    csv.write_text("manager;requests;deals\norlov;100;400\n", encoding="utf-8")
    os.utime(csv, ns=(3, 4))
    assert holder.refresh() is False  # broken: more deals than requests
    assert holder.rules.pool.weights["orlov"] == 1.33
    assert holder.unreported_error is not None and "conversion.csv, строка 2: сделок (400) больше, чем заявок (100)" in holder.unreported_error
