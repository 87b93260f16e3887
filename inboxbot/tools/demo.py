"""`inboxbot demo`: the real worker on a real (local) mailbox with the sample requests.

A pure-Python IMAP server (pymap) and an SMTP catcher (aiosmtpd) are started on
loopback, the sample requests are delivered to the shared mailbox, one poll handles
them, and every mail the bot sends (forwards, notices, acknowledgements) lands as an
.eml file in the output folder. Then a manager answers one request with the shared
address in copy, the clock moves on by the reminder time (the worker takes a clock),
a poll sends the reminders for the rest, and the distribution report is written as HTML.

The demo company (its rules.toml, client base and 30 sample requests) ships inside the
package, in inboxbot/demo_data/, so `inboxbot demo` works from any folder after
`pip install`.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import secrets
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import click
from aiosmtpd.controller import Controller

from inboxbot.compose.report import build_report
from inboxbot.compose.report_mail import render_report_html
from inboxbot.compose.report_view import period_days, period_text
from inboxbot.config import ServerSettings, Settings
from inboxbot.errors import InboxbotError
from inboxbot.io.imap import Mailbox
from inboxbot.io.mailsource import read_mail
from inboxbot.mail.message import parse
from inboxbot.run.jobs import Jobs
from inboxbot.run.pollreport import PollReport
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.tools.starter import REINSTALL
from inboxbot.web.passwords import PasswordFile

DEMO_USER = "sales"


@dataclass(frozen=True, slots=True)
class DemoFiles:
    """What a demo run reads: the rules (their client files sit beside them) and the mail."""

    rules: Path
    mail: Path


def packaged_demo() -> Path:
    """The folder of the demo company inside the installed package."""
    # A plain pip install (wheel or editable) unpacks the package to disk; the worker and
    # the rules loader need real paths, so a zipped install shows as missing data.
    return Path(str(importlib.resources.files("inboxbot") / "demo_data"))


def demo_files(rules: Path | None, mail: Path | None, data: Path | None = None) -> DemoFiles:
    """The rules and mail the demo uses: the given ones, else the demo company's from the
    package (`data`). Raises InboxbotError saying what to do when something is missing."""
    data = packaged_demo() if data is None else data
    if rules is None or mail is None:
        missing = [name for name in ("rules.toml", "mail") if not (data / name).exists()]
        if missing:
            raise InboxbotError(
                f"демо-данные не найдены: в {data} нет {', '.join(missing)} (пакет установлен не полностью). "
                f"Что сделать: {REINSTALL} — или укажите свои правила и письма: "
                f"inboxbot demo --rules rules.toml --mail папка-с-письмами"
            )
    files = DemoFiles(rules or data / "rules.toml", mail or data / "mail")
    if not files.rules.is_file():
        raise InboxbotError(
            f"файл правил {files.rules} не найден. Что сделать: укажите существующий файл в --rules "
            f"или уберите --rules — тогда демо возьмёт правила демо-компании"
        )
    if not files.mail.exists():
        raise InboxbotError(
            f"папка с демо-письмами {files.mail} не найдена. Что сделать: укажите в --mail папку с письмами "
            f"(файлы .eml или Maildir) или уберите --mail — тогда демо возьмёт 30 образцов заявок"
        )
    return files


# The server ends with the process that started it, however that one ends (a SIGTERM or a
# SIGKILL of the demo or of the tests, where no `finally` runs): its stdin is a pipe only
# the starter holds, and its end is the signal to exit.
_PYMAP_MAIN = """import os, sys, threading
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
from pymap.main import main
sys.exit(main())"""


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 20.0) -> None:
    """Wait until something listens on 127.0.0.1:`port`; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise InboxbotError(f"сервер завершился (код {proc.returncode}), не открыв порт {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise InboxbotError(f"на 127.0.0.1:{port} никто не ответил за {timeout:.0f} с")


@contextlib.contextmanager
def pymap_server(password: str | None = None) -> Iterator[ServerSettings]:
    """An in-memory IMAP server (pymap's dict backend) on a free loopback port, with one
    account (a random password unless one is given). It answers OK to STORE of a custom
    keyword and drops it: the worker marks by moving instead."""
    port = free_port()
    password = secrets.token_urlsafe(12) if password is None else password
    # pymap's entry point run by this interpreter: no console script needs to be on PATH or
    # beside sys.executable (pip install --user, a venv not activated, a wheel whose
    # dependencies come from another environment).
    # --opt=value: a value of its own argument that starts with '-' (token_urlsafe gives one
    # in 64) would be read by pymap's argparse as an unknown option, and the server exits.
    cmd = [sys.executable, "-c", _PYMAP_MAIN,
           "--no-service=admin", "--host=127.0.0.1", f"--port={port}",
           "dict", f"--demo-user={DEMO_USER}", f"--demo-password={password}"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield ServerSettings(host="127.0.0.1", port=port, tls="none", user=DEMO_USER, password=password)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()


class _SaveToFolder:
    """aiosmtpd handler: every mail received becomes NNN-recipient.eml in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        rcpt = envelope.rcpt_tos[0].split("@")[0] if envelope.rcpt_tos else "unknown"  # type: ignore[attr-defined]
        name = f"{self.count:03d}-{rcpt}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@contextlib.contextmanager
def smtp_catcher(folder: Path) -> Iterator[ServerSettings]:
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_SaveToFolder(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield ServerSettings(host="127.0.0.1", port=controller.port, tls="none", user="", password="")
    finally:
        controller.stop()


# The head's password for the demo's web pages (its password file lives in the demo's output only).
DEMO_WEB_PASSWORD = "demo-demo"


def run_demo(rules_path: Path | None, mail_dir: Path | None, out_dir: Path) -> PollReport:
    """The demo with the given rules and mail, by default the demo company's from the package."""
    files = demo_files(rules_path, mail_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    forwards = out_dir / "forwards"
    out_dir.mkdir(parents=True)
    samples = list(read_mail([files.mail]))
    click.echo(click.style("inboxbot — демонстрация", bold=True))
    click.echo(f"Запускаю IMAP-сервер (pymap) и SMTP-сервер (aiosmtpd) на 127.0.0.1, "
               f"кладу {len(samples)} заявок в общий ящик…")
    with pymap_server() as imap, smtp_catcher(forwards) as smtp:
        with Mailbox(imap, "INBOX") as box:
            for sample in samples:
                box.append(sample.raw)
        settings = Settings(imap=imap, smtp=smtp, journal=str(out_dir / "journal.sqlite"), poll_seconds=60)
        with open_store(settings.journal) as store:
            started = time.monotonic()
            first, last = _mail_period([sample.raw for sample in samples])
            clock = _Clock(last)
            worker = Worker(settings, files.rules, store, clock=clock)
            # The bot reads the mailbox in the mail's own time (the first working minute after
            # the last mail), so its answers, reminders and the report fall in the mail's period.
            clock.start = clock.now = worker.rules.department.hours.add(last, timedelta(minutes=1))
            jobs = Jobs(worker)
            try:
                report = jobs.run_once()
                elapsed = time.monotonic() - started
                again = jobs.run_once()
                answered = _answer_one(box_settings=imap, report=report, worker=worker)
                later = _poll_later(jobs, clock)
            finally:
                worker.close()
            report_file = out_dir / "report.html"
            since, until = _day_start(min(first, clock.start), worker), clock.now + timedelta(hours=1)
            data = build_report(store.queries.requests(since, until), store.requests.awaiting_answer(), worker.rules,
                                since, until, now=clock.now)  # fmt: skip
            report_file.write_text(render_report_html(data, worker.templates, "data"), encoding="utf-8")
        _print_table(report, worker)
        click.echo()
        click.echo(
            f"Итого: {report.seen} писем за {elapsed:.1f} с — переслано {report.forwarded}, "
            f"не заявки {report.skipped}, на ручной разбор {report.triaged}; "
            f"клиентам отправлено подтверждений: {report.acknowledged}."
        )
        click.echo(f"Повторный опрос ящика: новых писем {again.seen} (каждое письмо обрабатывается один раз).")
        if answered and later is not None:
            click.echo(
                f"Менеджер {answered} ответил клиенту с копией на общий ящик — бот это увидел "
                f"(ответов замечено: {later[1].answers + again.answers})."
            )
            click.echo(
                f"Часы сдвинуты на {later[0]} рабочего времени вперёд: напоминаний менеджерам о заявках "
                f"без ответа — {later[1].reminded}, писем руководителю — {later[1].escalated}."
            )
        totals = data.totals
        click.echo(
            f"В отчёте за {period_text(*period_days(data))}: писем в ящике {totals.received} — переслано "
            f"{totals.forwarded}, не заявки {totals.skipped}"
            + (" (в том числе ответ менеджера с копией на общий ящик)" if answered and totals.received > report.seen else "")
            + "."
        )
    click.echo(f"Письма бота: {forwards}/ (откройте любой .eml почтовой программой)")
    click.echo(f"Отчёт о распределении заявок: {report_file} (откройте в браузере)")
    click.echo(f"Журнал решений: {settings.journal} (inboxbot status --journal {settings.journal})")
    head = worker.rules.managers.get(worker.rules.department.head)
    if head is not None:
        passwords = out_dir / "web-passwords"
        PasswordFile(passwords).set(head.email, DEMO_WEB_PASSWORD)
        click.echo(f"Веб-страницы: INBOXBOT_WEB_PASSWORDS={passwords} inboxbot web --rules {files.rules} "
                   f"--journal {settings.journal}")  # fmt: skip
        click.echo(f"  откройте http://127.0.0.1:8080/ и войдите как руководитель: {head.email}, пароль {DEMO_WEB_PASSWORD}")
    return report


class _Clock:
    """The worker's clock in the demo: set to the mail's time, moved on by the demo."""

    def __init__(self, start: datetime) -> None:
        self.start = self.now = start

    def __call__(self) -> datetime:
        return self.now


def _mail_period(raws: list[bytes]) -> tuple[datetime, datetime]:
    """(first, last) of the mails' Date headers; now, both, when none has a usable one."""
    dates = [d for d in (_sent(raw) for raw in raws) if d is not None]
    if not dates:
        now = datetime.now(UTC)
        return now, now
    return min(dates), max(dates)


def _sent(raw: bytes) -> datetime | None:
    try:
        value = parsedate_to_datetime(parse(raw).header("date") or "")
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None


def _day_start(moment: datetime, worker: Worker) -> datetime:
    tz = worker.rules.department.timezone
    return datetime.combine(moment.astimezone(tz).date(), datetime.min.time(), tzinfo=tz).astimezone(UTC)


def _answer_one(*, box_settings: ServerSettings, report: PollReport, worker: Worker) -> str | None:
    """A manager replies to the first forwarded request, copying the shared address, as
    the team is asked to: the reply lands in the shared mailbox."""
    rules = worker.rules
    for handled in report.handled:
        decision, message_id = handled.decision, handled.message_id
        if not decision.forwards or decision.owner not in rules.managers:
            continue
        client = handled.reply_to or handled.sender
        if client is None or message_id is None:
            continue
        manager = rules.managers[decision.owner or ""]
        shared = rules.department.shared_addresses[0]
        reply = (
            f"From: {manager.email}\r\nTo: {client.email}\r\nCc: {shared}\r\nSubject: Re: request\r\n"
            f"Message-ID: <demo-answer.{secrets.token_hex(8)}@{manager.email.split('@')[1]}>\r\n"
            f"In-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\n"
            f"Date: {format_datetime(worker.clock() + timedelta(minutes=25))}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nДобрый день! Счёт во вложении.\r\n"
        ).encode()
        with Mailbox(box_settings, "INBOX") as box:
            box.append(reply)
        return manager.name
    return None


def _poll_later(jobs: Jobs, clock: _Clock) -> tuple[str, PollReport] | None:
    """Move the clock on by the reminder time (working time) and poll: the manager's
    answer is seen, and every other forwarded request gets its reminder."""
    rules = jobs.worker.rules
    policy = rules.followup
    if policy is None:
        return None
    hours = rules.department.hours
    clock.now = hours.add(clock.now, policy.remind_after + timedelta(minutes=1))
    from inboxbot.model.worktime import describe_duration

    return describe_duration(policy.remind_after), jobs.run_once()


def _print_table(report: PollReport, worker: Worker) -> None:
    managers = worker.rules.managers
    width = min(shutil.get_terminal_size((140, 20)).columns, 160)
    reason_col = 3 + 2 + 34 + 1 + 18 + 1 + 15 + 1
    reason_width = max(30, width - reason_col)
    click.echo()
    click.echo(click.style(f"{'№':>3}  {'Заявка':<34} {'Менеджер':<18} {'Правило':<15} Почему", bold=True))
    click.echo("─" * width)
    for index, handled in enumerate(report.handled, start=1):
        decision, sender = handled.decision, handled.sender
        who = (sender.name or sender.email) if sender else "?"
        request = _clip(f"{who}: {handled.subject}", 34)
        # Pad before styling: ANSI codes would otherwise count as width.
        if decision.action == "skip":
            owner = click.style(f"{'не заявка':<18}", fg="bright_black")
        elif (manager := managers.get(decision.owner or "")) is not None:
            owner = f"{_clip(_short_name(manager.name), 18):<18}"
        else:
            owner = click.style(f"{'ручной разбор':<18}", fg="yellow")
        lines = textwrap.wrap(" → ".join(decision.reasons) or decision.rule, reason_width)[:3] or [""]
        if len(lines) == 3 and len(" ".join(lines)) < len(" → ".join(decision.reasons)):
            lines[2] = _clip(lines[2] + " …", reason_width)
        click.echo(f"{index:>3}  {request:<34} {owner} {decision.rule:<15} {lines[0]}")
        for more in lines[1:]:
            click.echo(" " * reason_col + more)


def _short_name(full: str) -> str:
    """"Петров Дмитрий Сергеевич" → "Петров Д. С."."""
    parts = full.split()
    return parts[0] + "".join(f" {p[0]}." for p in parts[1:3]) if len(parts) > 1 else full


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
