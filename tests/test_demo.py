"""`inboxbot demo` and the servers it starts."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from inboxbot.cli import cli
from inboxbot.errors import InboxbotError
from inboxbot.io.imap import Mailbox
from inboxbot.rules.load import load_rules
from inboxbot.tools.demo import demo_files, packaged_demo, pymap_server


@pytest.mark.parametrize("password", ["-dash-first", "--looks-like-an-option", "-h"])
def test_pymap_takes_a_password_that_looks_like_an_option(password: str) -> None:
    """token_urlsafe starts with '-' one time in 64: the server must not read it as an option."""
    with pymap_server(password) as imap, Mailbox(imap) as box:
        assert imap.password == password
        assert box.pending_uids() == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_pymap_ends_with_the_process_that_started_it(signum: int) -> None:
    """A demo (or a test run) killed where no `finally` runs leaves no IMAP server behind."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_PYMAP], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert holder.stdout is not None
    port = int(holder.stdout.readline())
    children = [int(p) for p in Path(f"/proc/{holder.pid}/task/{holder.pid}/children").read_text().split()]
    assert len(children) == 1 and f"--port={port}" in Path(f"/proc/{children[0]}/cmdline").read_text()
    holder.send_signal(signum)
    assert holder.wait() == -signum
    holder.stdout.close()
    deadline = time.monotonic() + 30  # a limit on the wait, not an assertion on speed
    while _running(children[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(children[0])


HOLD_PYMAP = """import time
from inboxbot.tools.demo import pymap_server
with pymap_server() as imap:
    print(imap.port, flush=True)
    while True:
        time.sleep(1)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit status may wait for a reaper)."""
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        return stat.read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z"
    return False


def test_the_demo_company_ships_in_the_package() -> None:
    files = demo_files(None, None)
    assert files.rules == packaged_demo() / "rules.toml"
    assert len(list(files.mail.glob("*.eml"))) == 30
    rules = load_rules(files.rules)  # its client files sit beside it, inside the package
    assert len(rules.clients.by_domain("tvm-group.ru")) > 0 and rules.managers


def test_missing_demo_data_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InboxbotError) as caught:
        demo_files(None, None, data=tmp_path)
    message = str(caught.value)
    assert "демо-данные не найдены" in message and "rules.toml, mail" in message
    assert "pip install --force-reinstall inboxbot" in message and "--mail" in message


def test_a_missing_mail_folder_names_the_option_and_the_default(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--mail", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "папка с демо-письмами" in result.output and "уберите --mail" in result.output
    assert not (tmp_path / "out").exists()  # nothing started, nothing written


def test_demo_runs_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No rules.toml and no demo/ in the current folder: the package's demo company runs."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, (result.output, result.exc_info)
    assert "Итого: 30 писем" in result.output and "переслано 25, не заявки 5" in result.output
    # Issue 15: the terminal and the report agree; the report covers the mail's period (2025,
    # not the wall clock's), and «у 9 из 10» is not said of the one answer there is.
    assert ("В отчёте за 3 июня – 27 августа 2025: писем в ящике 31 — переслано 25, не заявки 6 "
            "(в том числе ответ менеджера с копией на общий ящик).") in result.output
    report = (tmp_path / "demo-out" / "report.html").read_text(encoding="utf-8")
    assert "3 июня – 27 августа 2025" in report and "Всего писем в ящике: 31; не заявки (автоответы, рассылки, внутренние) — 6" in report
    assert "у 9 из 10" not in report and "медиана <b>25" in report
    forwards = sorted((tmp_path / "demo-out" / "forwards").glob("*.eml"))
    assert len(forwards) >= 25 and (tmp_path / "demo-out" / "report.html").is_file()
