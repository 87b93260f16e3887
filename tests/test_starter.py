"""`inboxbot init DIR`: a starter department that `check` accepts and that never overwrites."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from inboxbot.cli import cli
from inboxbot.rules.load import check, load_rules
from inboxbot.tools.starter import STARTER_FILES, starter_data


def init(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["init", str(folder)])
    return result.exit_code, result.output


def test_init_writes_a_department_that_check_accepts(tmp_path: Path) -> None:
    folder = tmp_path / "отдел" / "продажи"  # created with its parents
    code, output = init(folder)
    assert code == 0, output
    assert sorted(p.name for p in folder.iterdir()) == sorted(STARTER_FILES)
    assert f"inboxbot check --rules {folder / 'rules.toml'}" in output
    assert check(folder / "rules.toml") == ([], [])
    result = CliRunner().invoke(cli, ["check", "--rules", str(folder / "rules.toml")])
    assert result.exit_code == 0, result.output
    rules = load_rules(folder / "rules.toml")
    assert sorted(rules.managers) == ["ivanov", "petrova"] and rules.department.head == "ivanov"
    assert rules.pool is not None and list(rules.pool.members) == ["ivanov", "petrova"]
    assert len(rules.clients) == 0  # no clients yet


def test_a_client_row_typed_under_the_template_header_is_read(tmp_path: Path) -> None:
    """The header is what [clients.columns] maps: a sales head fills rows in, nothing else."""
    init(tmp_path)
    with open(tmp_path / "clients.csv", "a", encoding="utf-8", newline="") as out:
        out.write("ООО «Ромашка»;7707083893;;;77;Москва;petrova;;romashka.example;Romashka;15.03.2021\r\n")
    errors, warnings = check(tmp_path / "rules.toml")
    assert (errors, warnings) == ([], [])
    client = load_rules(tmp_path / "rules.toml").clients.by_inn("7707083893")
    assert client is not None and client.manager == "petrova" and client.region_code == "77"
    assert client.domains == ("romashka.example",) and client.alt_names == ("Romashka",)


def test_the_commented_examples_are_valid_when_switched_on(tmp_path: Path) -> None:
    """The starter's «add later» examples are documentation: switched on, they still check."""
    init(tmp_path)
    rules = tmp_path / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    switched = re.sub(r"(?m)^# (\[|[a-z_]+ = )", r"\1", text)
    assert switched.count("[[absence]]") == 1 and "\n[followup]" in switched and "\nphone = " in switched
    rules.write_text(switched, encoding="utf-8")
    assert check(rules) == ([], [])


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_text("моя база\n", encoding="utf-8")
    code, output = init(tmp_path)
    assert code == 2
    assert "уже есть clients.csv" in output and "не перезаписывает" in output
    assert (tmp_path / "clients.csv").read_text(encoding="utf-8") == "моя база\n"
    assert not (tmp_path / "rules.toml").exists()  # nothing half-written either
    code, output = init(tmp_path / "clients.csv")
    assert code == 2 and "это файл, а не папка" in output


def test_the_starter_ships_in_the_package() -> None:
    assert all((starter_data() / name).is_file() for name in STARTER_FILES)
