"""The command line, through click's runner: fields of --json, exit codes, docs."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import CORPUS, demo_department, modules_loaded_by
from samples import RULES as RULES_PATH

from inboxbot.cli import cli
from inboxbot.cliopts import EXIT_RUNTIME

RULES = str(RULES_PATH)
JSON_FIELDS = {"file", "message_id", "action", "owner", "rule", "reasons", "company", "region"}


def test_every_command_is_documented_with_an_example() -> None:
    for name, command in cli.commands.items():
        assert command.help and "Пример:" in command.help, name


def test_replay_answers_every_sample_with_the_json_fields() -> None:
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli, ["replay", "--rules", RULES, "--json", str(CORPUS)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["file"] for r in records] == sorted(labels)
    for record in records:
        assert record.keys() >= JSON_FIELDS
        assert record["action"] in ("forward", "tag", "skip")
        assert record["reasons"] and all(isinstance(r, str) for r in record["reasons"])
        if record["company"] is not None:
            assert {"name", "inn", "kpp", "ogrn", "client"} <= record["company"].keys()
        if record["region"] is not None:
            assert {"code", "name", "district"} <= record["region"].keys()
    by_file = {r["file"]: r for r in records}
    assert by_file["001-pryaniki-korobki-inn.eml"]["company"]["inn"] == "7106346026"
    assert by_file["001-pryaniki-korobki-inn.eml"]["region"]["code"] == "71"


def test_explain_prints_the_trail() -> None:
    sample = next(CORPUS.glob("014-*.eml"))
    result = CliRunner().invoke(cli, ["explain", "--rules", RULES, str(sample)])
    assert result.exit_code == 0, result.output
    assert "Иванова" in result.output and "в отпуске" in result.output
    assert "проверенные правила" in result.output


def test_check_accepts_the_example_and_rejects_a_broken_file(tmp_path: Path) -> None:
    ok = CliRunner().invoke(cli, ["check", "--rules", RULES])
    assert ok.exit_code == 0, ok.output
    broken = tmp_path / "rules.toml"
    broken.write_text('[department]\nname = "x"\ntimezone = \n', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["check", "--rules", str(broken)])
    assert bad.exit_code == 2
    assert "rules.toml" in bad.output and "строк" in bad.output


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        (lambda lines: lines.__setitem__(10, '"' + lines[10]), "clients.csv, строка 11: кавычка в начале ячейки не закрыта"),
        (lambda lines: lines.__setitem__(0, lines[0].replace("inn", "ИНН")), "clients.csv: есть колонка «ИНН»"),
    ],
)
def test_check_fails_on_a_damaged_client_base(tmp_path: Path, damage, warning: str) -> None:  # type: ignore[no-untyped-def]
    rules = demo_department(tmp_path)
    lines = (tmp_path / "clients.csv").read_text(encoding="utf-8").splitlines()
    assert CliRunner().invoke(cli, ["check", "--rules", str(rules)]).exit_code == 0
    damage(lines)
    (tmp_path / "clients.csv").write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--rules", str(rules)])
    assert result.exit_code == 2, result.output
    assert f"предупреждение: {warning}" in result.output
    assert "база клиентов повреждена" in result.output and "правила в порядке" not in result.output


def test_status_without_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "--journal", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2
    assert "не найден" in result.output


@pytest.mark.parametrize("env", [{}, {"INBOXBOT_IMAP_HOST": "imap.example.ru"}])
def test_run_without_settings_names_the_missing_variable(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("INBOXBOT_"):
            monkeypatch.delenv(key)
    result = CliRunner().invoke(cli, ["run", "--once", "--rules", RULES], env=env)
    assert result.exit_code == 2
    assert "INBOXBOT_" in result.output


def test_dump_config_masks_passwords() -> None:
    env = {"INBOXBOT_IMAP_HOST": "imap.example.ru", "INBOXBOT_IMAP_USER": "sales@example.ru",
           "INBOXBOT_IMAP_PASSWORD": "s3cret-pass", "INBOXBOT_SMTP_HOST": "smtp.example.ru"}
    result = CliRunner().invoke(cli, ["dump-config"], env=env)
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output and "imap.example.ru" in result.output


def test_replay_compare_lists_changed_decisions_and_shares(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    assert 'foreign = "smirnova"' in text
    new_rules = demo_department(tmp_path, text.replace('foreign = "smirnova"', 'foreign = "orlov"'))
    result = CliRunner().invoke(cli, ["replay", "--rules", RULES, "--compare", str(new_rules), "--json", str(CORPUS)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    *changes, summary = lines
    assert [c["file"] for c in changes] == ["018-tashkent-english-inquiry.eml"]
    assert changes[0]["before"]["owner"] == "smirnova" and changes[0]["after"]["owner"] == "orlov"
    assert summary["total"] == 30 and summary["changed"] == 1
    assert summary["shares_after"]["orlov"] == summary["shares_before"]["orlov"] + 1


HEAVY = ("spacy", "natasha", "matplotlib", "numpy", "thinc")


@pytest.mark.parametrize("args", [["check", "--rules", RULES], ["status"], ["--help"], ["check", "--help"]])
def test_light_commands_do_not_load_the_nlp_or_plotting_stacks(args: list[str], tmp_path: Path) -> None:
    """`check` ran 2–3 s and took 160 MB because the CLI imported spaCy and matplotlib
    through worker → report → pipeline → nlp; a sales head runs it after every edit."""
    assert modules_loaded_by(args, HEAVY, cwd=tmp_path) == []


def _click_messages() -> list[tuple[str, ...]]:
    """Every text click passes through gettext/ngettext, read from the installed click."""
    import ast

    import click as click_package

    found: list[tuple[str, ...]] = []
    for source in sorted(Path(click_package.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = tuple(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
            if node.func.id == "_" and texts:
                found.append(texts[:1])
            elif node.func.id == "ngettext" and len(texts) >= 2:
                found.append(texts[:2])
    return found


def test_every_click_text_has_a_russian_one_with_the_same_fields() -> None:
    from inboxbot.clickru import MESSAGES, PLURALS

    messages = _click_messages()
    assert len(messages) > 50, messages  # the source is still read
    missing = [m[0] for m in messages if m[0] not in (PLURALS if len(m) == 2 else MESSAGES)]
    assert missing == []

    def fields(text: str) -> set[str]:
        return set(re.findall(r"\{[^}]*\}|%\(\w+\)s", text))

    for english, russian in MESSAGES.items():
        assert fields(russian) == fields(english), english
    for (singular, plural) in (m for m in messages if len(m) == 2):
        for form in PLURALS[singular]:
            assert fields(form) <= fields(singular) | fields(plural), singular


CLICK_ENGLISH = ("Usage", "Options", "Commands", "Show this", "message and exit", "Error", "Missing", "argument",
                 "No such", "Try ", "for help", "Example", "default", "version", "Did you mean", "does not exist",
                 "PATH", "FILE", "DIRECTORY", "TEXT", "OPTIONS", "COMMAND", "ARGS", "%Y")  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [["--help"], ["check", "--help"], ["report", "--help"], ["replay", "--help"], ["check", "--bogus"],
     ["explain"], ["explain", "nofile.eml"], ["chek"], ["report", "--since", "2025-13-01"], ["--version"], []],
    ids=["help", "check-help", "report-help", "replay-help", "unknown-option", "missing-argument", "missing-file",
         "unknown-command", "bad-date", "version", "no-command"],
)  # fmt: skip
def test_click_speaks_russian(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = result.output
    assert text.strip()
    text = re.sub(r"--?[a-z][a-z-]*", "", text)  # option names stay English
    for word in CLICK_ENGLISH:
        assert word not in text, (word, text)
    if result.exit_code == 2:
        assert "Ошибка:" in text or "Использование:" in text


def test_library_chatter_only_with_verbose() -> None:
    import logging

    from inboxbot.logsetup import levels

    quiet, verbose = levels(0, service=True), levels(1, service=True)
    assert quiet["apscheduler"] == logging.WARNING and quiet["mailparser"] == logging.ERROR
    assert quiet["inboxbot.run.worker"] == logging.INFO and quiet["inboxbot"] == logging.WARNING
    assert levels(0)["inboxbot.run.worker"] == logging.WARNING  # check, status, report: no worker chatter
    assert verbose["apscheduler"] == logging.INFO and verbose["mailparser"] == logging.INFO
    assert verbose["inboxbot.run.worker"] == logging.DEBUG


def test_demo_without_its_servers_says_which_extra_to_install(tmp_path: Path) -> None:
    """aiosmtpd and pymap are the demo's extra, not the worker's dependencies: a plain
    `pip install inboxbot` runs the worker, and `inboxbot demo` says what to add."""
    script = ("import sys; sys.modules['aiosmtpd'] = None; sys.modules['pymap'] = None; "
              "from inboxbot.cli import main; sys.argv = ['inboxbot', 'demo']; main()")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                          timeout=600, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "pip install 'inboxbot[demo]'" in done.stderr and "Traceback" not in done.stderr


def test_replay_of_a_folder_without_mail_says_so(tmp_path: Path) -> None:
    """A folder whose mail sits in subfolders (like tests/mime-corpus) printed nothing and
    exited 0, which reads as «nothing to report»."""
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "a.eml").write_bytes(b"Subject: x\r\n\r\nhi\r\n")
    result = CliRunner().invoke(cli, ["replay", "--rules", RULES, "--json", str(tmp_path)])
    assert result.exit_code == EXIT_RUNTIME, result.output  # as for a path that does not exist
    assert "писем не найдено" in result.output and "вложенные папки" in result.output
