"""`check` on the fair-share options (issue 15): each mistake gives the file, the line and
the fix, in Russian, exactly."""

from __future__ import annotations

from pathlib import Path

from samples import RULES, demo_department

from inboxbot.rules.load import check, load_rules


def _errors(tmp_path: Path, old: str, new: str) -> list[str]:
    text = RULES.read_text(encoding="utf-8")
    assert old in text
    errors, _ = check(demo_department(tmp_path, text.replace(old, new, 1)))
    return errors


def _line(old: str) -> int:
    text = RULES.read_text(encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_month_period_loads(tmp_path: Path) -> None:
    errors = _errors(tmp_path, 'method = "round_robin"', 'method = "least_loaded"\nperiod = "month"')
    assert errors == []
    rules = load_rules(tmp_path / "rules.toml")
    assert rules.pool is not None and (rules.pool.period, rules.pool.method) == ("month", "least_loaded")


def test_month_period_with_round_robin_is_refused(tmp_path: Path) -> None:
    line = _line('method = "round_robin"') + 1
    assert _errors(tmp_path, 'method = "round_robin"', 'method = "round_robin"\nperiod = "month"') == [
        f"rules.toml, строка {line}, [pool]: period = \"month\" (доля за календарный месяц) работает с "
        "method = \"weighted\" или \"least_loaded\"; при round_robin письма идут строго по кругу. "
        "Укажите method = \"least_loaded\" (поровну) или \"weighted\" (по весам)"
    ]


def test_unknown_period_lists_the_valid_ones(tmp_path: Path) -> None:
    line = _line('method = "round_robin"') + 1
    assert _errors(tmp_path, 'method = "round_robin"', 'method = "weighted"\nperiod = "months"') == [
        f"rules.toml, строка {line}, [pool]: неизвестный период «months» (возможно, «month»). Допустимые: rolling, month"
    ]
