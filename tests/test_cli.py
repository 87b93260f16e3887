"""The command line, through click's runner: fields of --json, exit codes, docs."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import CORPUS, demo_department
from samples import RULES as RULES_PATH

from inboxbot.cli import cli

RULES = str(RULES_PATH)
JSON_FIELDS = {"file", "message_id", "action", "owner", "rule", "reasons", "company", "region"}


def test_every_command_is_documented_with_an_example() -> None:
    for name, command in cli.commands.items():
        assert command.help and "Example:" in command.help, name


def test_replay_answers_every_sample_with_the_json_fields() -> None:
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(cli, ["replay", "--rules", RULES, "--json", str(CORPUS)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["file"] for r in records] == sorted(labels)
    for record in records:
        assert JSON_FIELDS <= record.keys()
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
