"""Settings from the environment and the secrets file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inboxbot.config import ServerSettings, Settings, is_loopback, load_settings
from inboxbot.errors import ConfigError

PASSWORD = "Tr0ub4dor&3-секрет"

BASE = {
    "INBOXBOT_IMAP_HOST": "imap.example.com",
    "INBOXBOT_IMAP_USER": "sales@example.com",
    "INBOXBOT_IMAP_PASSWORD": PASSWORD,
}


def load(**extra: str) -> Settings:
    return load_settings({**BASE, **extra})


def secrets_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.env"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_minimal_environment_gives_secure_defaults() -> None:
    settings = load()
    assert settings.imap == ServerSettings("imap.example.com", 993, "ssl", "sales@example.com", PASSWORD)
    assert settings.imap.verify is True and settings.imap.cafile is None
    assert settings.smtp is None
    assert (settings.folder, settings.journal, settings.poll_seconds, settings.batch_size) == (
        "INBOX", "inboxbot.sqlite", 60, 100)
    assert settings.bot_address == "sales@example.com"  # the IMAP user is an address


def test_all_variables() -> None:
    settings = load(
        INBOXBOT_IMAP_TLS="STARTTLS",
        INBOXBOT_IMAP_PORT="1143",
        INBOXBOT_SMTP_HOST="smtp.example.com",
        INBOXBOT_SMTP_TLS="starttls",
        INBOXBOT_SMTP_USER="bot",
        INBOXBOT_SMTP_PASSWORD="smtp-pw",
        INBOXBOT_FOLDER="Входящие/Заявки",
        INBOXBOT_JOURNAL="/var/lib/inboxbot/journal.sqlite",
        INBOXBOT_POLL_SECONDS="30",
        INBOXBOT_BATCH_SIZE="50",
        INBOXBOT_BOT_ADDRESS="robot@example.com",
        INBOXBOT_TLS_INSECURE_HOSTS=" SMTP.example.com , other.example.com",
    )
    assert (settings.imap.tls, settings.imap.port, settings.imap.verify) == ("starttls", 1143, True)
    assert settings.smtp == ServerSettings("smtp.example.com", 587, "starttls", "bot", "smtp-pw", verify=False)
    assert settings.folder == "Входящие/Заявки"
    assert settings.journal == "/var/lib/inboxbot/journal.sqlite"
    assert (settings.poll_seconds, settings.batch_size, settings.bot_address) == (30, 50, "robot@example.com")


@pytest.mark.parametrize(("tls", "imap_port", "smtp_port"), [("ssl", 993, 465), ("starttls", 143, 587)])
def test_default_ports_follow_tls_mode(tls: str, imap_port: int, smtp_port: int) -> None:
    settings = load(INBOXBOT_IMAP_TLS=tls, INBOXBOT_SMTP_HOST="smtp.example.com", INBOXBOT_SMTP_TLS=tls)
    assert settings.imap.port == imap_port
    assert settings.smtp is not None and settings.smtp.port == smtp_port


def test_loopback_smtp_relay_needs_no_credentials_and_may_be_plaintext() -> None:
    settings = load(INBOXBOT_SMTP_HOST="127.0.0.1", INBOXBOT_SMTP_TLS="none")
    assert settings.smtp == ServerSettings("127.0.0.1", 25, "none", "", "")


def test_password_from_file_drops_trailing_newline(tmp_path: Path) -> None:
    pw = tmp_path / "imap-password"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    env = {k: v for k, v in BASE.items() if k != "INBOXBOT_IMAP_PASSWORD"}
    settings = load_settings({**env, "INBOXBOT_IMAP_PASSWORD_FILE": str(pw)})
    assert settings.imap.password == PASSWORD


def test_both_password_and_password_file_is_an_error(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("x")
    with pytest.raises(ConfigError, match="INBOXBOT_IMAP_PASSWORD_FILE"):
        load(INBOXBOT_IMAP_PASSWORD_FILE=str(pw))


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("INBOXBOT_IMAP_HOST", "INBOXBOT_IMAP_HOST"),
        ("INBOXBOT_IMAP_USER", "INBOXBOT_IMAP_USER"),
        ("INBOXBOT_IMAP_PASSWORD", "INBOXBOT_IMAP_PASSWORD"),
    ],
)
def test_missing_required_value_names_the_variable(missing: str, named: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(ConfigError, match=named) as info:
        load_settings(env)
    assert "не задан" in str(info.value)


def test_smtp_user_without_password_is_an_error() -> None:
    with pytest.raises(ConfigError, match="INBOXBOT_SMTP_PASSWORD"):
        load(INBOXBOT_SMTP_HOST="smtp.example.com", INBOXBOT_SMTP_USER="bot")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("INBOXBOT_IMAP_PORT", "99x"),
        ("INBOXBOT_IMAP_PORT", "70000"),
        ("INBOXBOT_POLL_SECONDS", "soon"),
        ("INBOXBOT_POLL_SECONDS", "0"),
        ("INBOXBOT_BATCH_SIZE", "-5"),
    ],
)
def test_bad_number_names_variable_and_value(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(**{key: value})
    assert key in str(info.value) and value in str(info.value)


def test_unknown_tls_mode_lists_valid_ones() -> None:
    with pytest.raises(ConfigError, match="ssl, starttls, none"):
        load(INBOXBOT_IMAP_TLS="tls1.3")


@pytest.mark.parametrize("host", ["imap.example.com", "10.0.0.5", "::2", "localhost.example.com"])
def test_plaintext_refused_for_remote_hosts(host: str) -> None:
    with pytest.raises(ConfigError, match="ssl или starttls"):
        load(INBOXBOT_IMAP_HOST=host, INBOXBOT_IMAP_TLS="none")
    with pytest.raises(ConfigError):
        ServerSettings(host, 143, "none", "u", "p")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_plaintext_allowed_on_loopback(host: str) -> None:
    assert is_loopback(host)
    assert load(INBOXBOT_IMAP_HOST=host, INBOXBOT_IMAP_TLS="none").imap.port == 143


def test_verification_is_off_only_for_named_hosts() -> None:
    settings = load(INBOXBOT_TLS_INSECURE_HOSTS="test-imap.local")
    assert settings.imap.verify is True
    assert load(INBOXBOT_TLS_INSECURE_HOSTS="IMAP.example.com").imap.verify is False


def test_cafile_must_exist(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert load(INBOXBOT_CAFILE=str(ca)).imap.cafile == str(ca)
    with pytest.raises(ConfigError, match="INBOXBOT_CAFILE"):
        load(INBOXBOT_CAFILE=str(tmp_path / "absent.pem"))


def test_secrets_file_supplies_values_and_environment_wins(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, f"""
# inboxbot secrets
INBOXBOT_IMAP_HOST=imap.example.com
export INBOXBOT_IMAP_USER = file-user@example.com
INBOXBOT_IMAP_PASSWORD="{PASSWORD}"
INBOXBOT_POLL_SECONDS=15
INBOXBOT_SOMETHING_ELSE=ignored
""")
    settings = load_settings({"INBOXBOT_SECRETS_FILE": str(path), "INBOXBOT_POLL_SECONDS": "90"})
    assert settings.imap.user == "file-user@example.com"
    assert settings.imap.password == PASSWORD
    assert settings.poll_seconds == 90  # environment over file


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_secrets_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = secrets_file(tmp_path, f"INBOXBOT_IMAP_PASSWORD={PASSWORD}\n", mode)
    with pytest.raises(ConfigError) as info:
        load_settings({**BASE, "INBOXBOT_SECRETS_FILE": str(path)})
    assert f"chmod 600 {path}" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_secrets_file_errors_name_the_line_not_the_content(tmp_path: Path) -> None:
    path = secrets_file(tmp_path, f"INBOXBOT_IMAP_HOST=x\n{PASSWORD}\n")
    with pytest.raises(ConfigError, match="строка 2") as info:
        load_settings({"INBOXBOT_SECRETS_FILE": str(path)})
    assert PASSWORD not in str(info.value)
    with pytest.raises(ConfigError, match="INBOXBOT_SECRETS_FILE"):
        load_settings({"INBOXBOT_SECRETS_FILE": str(tmp_path / "absent")})


def test_password_never_in_repr_or_masked() -> None:
    settings = load(INBOXBOT_SMTP_HOST="smtp.example.com", INBOXBOT_SMTP_USER="bot", INBOXBOT_SMTP_PASSWORD=PASSWORD)
    for text in (repr(settings), str(settings), repr(settings.imap), json.dumps(settings.masked(), ensure_ascii=False)):
        assert PASSWORD not in text
    masked = settings.masked()
    assert masked["imap"]["password"] == "***" and masked["smtp"]["password"] == "***"
    assert masked["imap"]["host"] == "imap.example.com" and masked["smtp"]["user"] == "bot"
    assert masked["folder"] == "INBOX" and masked["poll_seconds"] == 60


def test_settings_are_frozen() -> None:
    settings = load()
    with pytest.raises(AttributeError):
        settings.folder = "Other"  # type: ignore[misc]


def test_marking_settings_default_and_from_the_environment() -> None:
    default = load().marking
    assert (default.mode, default.done_folder, default.triage_folder, default.owner_keywords) == (
        "auto", "Inboxbot/Done", "Inboxbot/Triage", True)
    chosen = load(INBOXBOT_MARKING="Folders", INBOXBOT_DONE_FOLDER="Бот/Готово", INBOXBOT_TRIAGE_FOLDER="Бот/Разбор",
                  INBOXBOT_OWNER_KEYWORDS="no").marking
    assert (chosen.mode, chosen.done_folder, chosen.triage_folder, chosen.owner_keywords) == (
        "folders", "Бот/Готово", "Бот/Разбор", False)
    assert load().masked()["marking"]["done_folder"] == "Inboxbot/Done"


@pytest.mark.parametrize(("extra", "named"), [
    ({"INBOXBOT_MARKING": "labels"}, "auto, keywords, folders"),
    ({"INBOXBOT_OWNER_KEYWORDS": "maybe"}, "INBOXBOT_OWNER_KEYWORDS"),
    ({"INBOXBOT_DONE_FOLDER": "/"}, "INBOXBOT_DONE_FOLDER"),
    ({"INBOXBOT_DONE_FOLDER": "Бот", "INBOXBOT_TRIAGE_FOLDER": "Бот/"}, "совпадают"),
])
def test_bad_marking_settings_name_the_fix(extra: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(**extra)


# --- which journal read-only commands read -----------------------------------------------------


def test_find_journal_prefers_the_configured_one_then_the_default_then_the_demos(tmp_path: Path) -> None:
    from inboxbot.config import DEFAULT_JOURNAL, find_journal

    demo = tmp_path / "demo-out" / "journal.sqlite"
    demo.parent.mkdir()
    demo.write_bytes(b"")
    found = find_journal(None, env={}, cwd=tmp_path)
    assert found.location == demo and "журнал демо" in found.note  # right after `inboxbot demo`
    (tmp_path / DEFAULT_JOURNAL).write_bytes(b"")
    assert find_journal(None, env={}, cwd=tmp_path).location == tmp_path / DEFAULT_JOURNAL
    (tmp_path / "run.sqlite").write_bytes(b"")
    found = find_journal(None, env={"INBOXBOT_JOURNAL": "run.sqlite"}, cwd=tmp_path)
    assert found.location == tmp_path / "run.sqlite" and found.note == ""
    assert find_journal(Path("run.sqlite"), env={}, cwd=tmp_path).location == tmp_path / "run.sqlite"


def test_find_journal_says_where_it_looked(tmp_path: Path) -> None:
    from inboxbot.config import find_journal

    with pytest.raises(ConfigError) as none:
        find_journal(None, env={}, cwd=tmp_path)
    assert str(tmp_path / "inboxbot.sqlite") in str(none.value)
    assert str(tmp_path / "demo-out" / "journal.sqlite") in str(none.value)
    assert "--journal" in str(none.value)
    with pytest.raises(ConfigError, match="INBOXBOT_JOURNAL"):  # configured but absent: no guessing
        (tmp_path / "inboxbot.sqlite").write_bytes(b"")
        find_journal(None, env={"INBOXBOT_JOURNAL": "elsewhere.sqlite"}, cwd=tmp_path)
    secrets = tmp_path / "secrets"
    secrets.write_text("INBOXBOT_JOURNAL=from-secrets.sqlite\n", encoding="utf-8")
    secrets.chmod(0o600)
    with pytest.raises(ConfigError, match=re.escape("from-secrets.sqlite")):
        find_journal(None, env={"INBOXBOT_SECRETS_FILE": str(secrets)}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="--journal"):
        find_journal(Path("missing.sqlite"), env={}, cwd=tmp_path)


def test_idle_is_on_by_default_and_switched_off_by_inboxbot_idle() -> None:
    base = {"INBOXBOT_IMAP_HOST": "127.0.0.1", "INBOXBOT_IMAP_TLS": "none", "INBOXBOT_IMAP_USER": "u",
            "INBOXBOT_IMAP_PASSWORD": "p"}
    assert load_settings(base).idle is True
    assert load_settings({**base, "INBOXBOT_IDLE": "off"}).idle is False
    assert load_settings({**base, "INBOXBOT_IDLE": "on"}).masked()["idle"] is True
    with pytest.raises(ConfigError, match="INBOXBOT_IDLE='sometimes'"):
        load_settings({**base, "INBOXBOT_IDLE": "sometimes"})
