"""The shared store in use: `inboxbot run` with INBOXBOT_STORE=postgresql://… against real
Dovecot, aiosmtpd and PostgreSQL, and the setting itself (validated, masked, never logged)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import deliver, demo_department, pending, sample
from servers import Postgres, SmtpCatcher

from inboxbot.cli import cli
from inboxbot.config import ServerSettings, load_settings
from inboxbot.errors import ConfigError
from inboxbot.model.records import MARKED
from inboxbot.store.factory import open_store

BASE = {"INBOXBOT_IMAP_HOST": "127.0.0.1", "INBOXBOT_IMAP_TLS": "none", "INBOXBOT_IMAP_USER": "u",
        "INBOXBOT_IMAP_PASSWORD": "p"}  # fmt: skip


def test_inboxbot_run_keeps_its_journal_in_postgres(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, postgres: Postgres, tmp_path: Path
) -> None:
    deliver(imap_inbox, sample("001"), sample("015"))  # a known client's request, an auto-reply
    url = postgres.url(postgres.new_database())
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXBOT_")}
    env.update({
        "INBOXBOT_IMAP_HOST": imap_inbox.host, "INBOXBOT_IMAP_PORT": str(imap_inbox.port), "INBOXBOT_IMAP_TLS": "none",
        "INBOXBOT_IMAP_USER": imap_inbox.user, "INBOXBOT_IMAP_PASSWORD": imap_inbox.password,
        "INBOXBOT_SMTP_HOST": smtp_server.host, "INBOXBOT_SMTP_PORT": str(smtp_server.port), "INBOXBOT_SMTP_TLS": "none",
        "INBOXBOT_BOT_ADDRESS": "sales-bot@severkarton.test", "INBOXBOT_STORE": url,
    })  # fmt: skip
    rules = demo_department(tmp_path)
    command = [sys.executable, "-m", "inboxbot", "-vv", "run", "--once", "--rules", str(rules)]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert [f.rcpt_tos for f in smtp_server.forwards] == [("a.sidorov@severkarton.test",)]
    assert pending(imap_inbox) == []
    assert not list(tmp_path.glob("*.sqlite"))  # no SQLite journal on the side
    with open_store(url) as store:
        rows = store.queries.requests(datetime(2000, 1, 1, tzinfo=UTC))
        assert [(r.state, r.action) for r in rows] == [(MARKED, "forward"), (MARKED, "skip")]
        assert rows[0].owner == "sidorov" and rows[0].forward_id
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr
    assert len(smtp_server.forwards) == 1  # the second worker run reads the same store: nothing twice
    # status and report read the store `run` writes (INBOXBOT_STORE), not a journal file.
    status = subprocess.run([sys.executable, "-m", "inboxbot", "status", "--rules", str(rules)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert status.returncode == 0, status.stderr
    assert "postgresql://" in status.stdout and "Всего писем: 2" in status.stdout, status.stdout
    report = subprocess.run([sys.executable, "-m", "inboxbot", "report", "--rules", str(rules)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)
    assert report.returncode == 0, report.stderr
    assert "Сидоров" in report.stdout, report.stdout
    assert not list(tmp_path.glob("*.sqlite"))
    for output in (done.stdout, done.stderr, again.stdout, again.stderr, status.stdout, report.stdout):
        assert postgres.password not in output  # -vv logs everything, the password never


def test_the_store_url_comes_from_the_environment_or_the_secrets_file(tmp_path: Path) -> None:
    url = "postgresql://bot:s3cr3t@db.example:5432/inboxbot"
    settings = load_settings({**BASE, "INBOXBOT_STORE": url})
    assert settings.store_location == url and settings.masked()["store"] == "postgresql://bot:***@db.example:5432/inboxbot"
    assert "s3cr3t" not in repr(settings)
    assert load_settings(BASE).store_location == "inboxbot.sqlite"  # SQLite stays the default
    assert load_settings({**BASE, "INBOXBOT_JOURNAL": "/var/lib/x.sqlite"}).store_location == "/var/lib/x.sqlite"
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"INBOXBOT_STORE={url}\n")
    secrets.chmod(0o600)
    assert load_settings({**BASE, "INBOXBOT_SECRETS_FILE": str(secrets)}).store_location == url


@pytest.mark.parametrize("wrong", ["sqlite:///var/x.sqlite", "/var/x.sqlite", "postgresql://bot:s3cr3t@db:port/x"])
def test_a_store_that_is_not_a_postgres_url_is_refused_with_the_fix(wrong: str) -> None:
    with pytest.raises(ConfigError, match="INBOXBOT_STORE") as raised:
        load_settings({**BASE, "INBOXBOT_STORE": wrong})
    assert "s3cr3t" not in str(raised.value)


def test_dump_config_masks_the_store_password(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**BASE, "INBOXBOT_STORE": "postgresql://bot:s3cr3t@db.example/inboxbot"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["dump-config"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["store"] == "postgresql://bot:***@db.example/inboxbot"
    assert "s3cr3t" not in result.output
