"""Command line: a thin layer over the library. Parse options, call, print."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import click

from inboxbot import __version__, clickru
from inboxbot.cli_ledger import conflicts, ledger_warnings
from inboxbot.clients_cli import clients
from inboxbot.cliopts import EXIT_CONFIG
from inboxbot.cliopts import existing_journal as _existing_journal
from inboxbot.cliopts import journal_option as _journal_option
from inboxbot.cliopts import rules_option as _rules_option
from inboxbot.cliopts import user_errors as _user_errors
from inboxbot.config import DEMO_OUT
from inboxbot.errors import ConfigError, InboxbotError
from inboxbot.web.command import web


class _Day(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A calendar day written as 2025-06-16; the error says how to write one."""

    name = "ГГГГ-ММ-ДД"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"«{value}» — не дата: нужна дата вида 2025-06-16 (год-месяц-день)", param, ctx)


DAY = _Day()


@click.group(cls=clickru.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="inboxbot")
@click.option("-v", "--verbose", count=True,
              help="Подробнее в журнал: каждое письмо и сообщения библиотек (-vv — всё для отладки).")
def cli(verbose: int) -> None:
    """inboxbot — разбор общего ящика отдела продаж: кому из менеджеров и почему."""
    from inboxbot.logsetup import configure

    configure(verbose)


@cli.command()
@_rules_option
@click.option("--once", is_flag=True, help="Один проход по новым письмам и выход (для cron).")
@_user_errors
def run(rules_path: Path, once: bool) -> None:
    """Опрашивать ящик и разбирать новые заявки.

    Подключение — из переменных окружения INBOXBOT_* или файла INBOXBOT_SECRETS_FILE.

    Пример: inboxbot run --rules /etc/inboxbot/rules.toml
    """
    from inboxbot.config import load_settings
    from inboxbot.logsetup import configure
    from inboxbot.run.jobs import Jobs
    from inboxbot.run.worker import Worker
    from inboxbot.store.factory import open_store

    # The worker's one line per poll, at INFO, without -v; the libraries stay quiet.
    configure(click.get_current_context().find_root().params.get("verbose", 0), service=True)
    settings = load_settings()
    with open_store(settings.store_location) as store:
        jobs = Jobs(Worker(settings, rules_path, store))
        if once:
            try:
                report = jobs.run_once()
            finally:
                jobs.worker.close()
            click.echo(report.summary())
        else:
            jobs.run_forever()


@cli.command()
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Свой файл правил (по умолчанию — правила демо-компании из пакета).")
@click.option("--mail", "mail_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Папка с письмами для демо (по умолчанию — 30 образцов заявок из пакета).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path(DEMO_OUT),
              show_default=True, help="Куда сложить пересланные письма (.eml).")
@_user_errors
def demo(rules_path: Path | None, mail_dir: Path | None, out_dir: Path) -> None:
    """Показать работу на примере: настоящий IMAP-сервер с образцами заявок, пересылка через SMTP.

    Пример: inboxbot demo
    """
    try:
        from inboxbot.tools.demo import run_demo
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in DEMO_SERVERS:
            raise
        click.echo(f"ошибка: для демо нужен пакет {missing} (свои IMAP- и SMTP-серверы демо); "
                   "установите: pip install 'inboxbot[demo]'", err=True)
        sys.exit(EXIT_CONFIG)
    run_demo(rules_path, mail_dir, out_dir)


# The demo's own servers: an optional extra, not needed by a department's worker.
DEMO_SERVERS = ("aiosmtpd", "pymap")


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@_user_errors
def init(folder: Path) -> None:
    """Заготовка для нового отдела: rules.toml с пояснениями и пустая база клиентов.

    Существующие файлы не перезаписываются.

    Пример: inboxbot init /etc/inboxbot
    """
    from inboxbot.tools.starter import write_starter

    rules, clients = write_starter(folder)
    click.echo(f"Созданы файлы:\n  {rules} — правила: замените примеры (адреса, менеджеров) своими"
               f"\n  {clients} — база клиентов: пока пустая, колонки — как в разделе [clients.columns]")
    click.echo(f"Проверьте правила после правки: inboxbot check --rules {rules}")


@cli.command()
@_rules_option
@click.argument("file", metavar="ПИСЬМО.eml", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Вывести решение как JSON.")
@_user_errors
def explain(rules_path: Path, file: Path, as_json: bool) -> None:
    """Решение для одного письма и его объяснение; ничего не отправляется.

    Пример: inboxbot explain заявка.eml
    """
    _replay(rules_path, [file], as_json, trail=True, first_only=True)


@cli.command()
@_rules_option
@click.argument("paths", metavar="ПИСЬМА...", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True))
@click.option("--json", "as_json", is_flag=True, help="Одна строка JSON на письмо.")
@click.option("--compare", "compare_with", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              default=None, help="Другие правила: показать, какие письма ушли бы иначе и как изменятся доли.")
@_user_errors
def replay(rules_path: Path, paths: tuple[Path, ...], as_json: bool, compare_with: Path | None) -> None:
    """Прогнать письма (папка .eml, mbox или Maildir) по правилам, как если бы они пришли по порядку.

    Переписки и очередь пула переходят от письма к письму; ничего не отправляется.
    С --compare НОВЫЕ.toml — что изменится, если заменить правила (--rules) на новые.

    Пример: inboxbot replay архив/ --json
    """
    if compare_with is not None:
        _compare(rules_path, compare_with, list(paths), as_json)
    else:
        _replay(rules_path, list(paths), as_json, trail=False)


def _replay(rules_path: Path, paths: list[Path], as_json: bool, *, trail: bool, first_only: bool = False) -> None:
    from inboxbot.io.mailsource import read_mail
    from inboxbot.rules.load import load_rules
    from inboxbot.run.pipeline import Pipeline
    from inboxbot.tools.replay_text import decision_lines, decision_record, shares_line
    from inboxbot.tools.whatif import Replayer, owner_of

    rules = load_rules(rules_path)
    replayer = Replayer(Pipeline(rules))
    shares: dict[str, int] = {}
    mails = list(read_mail(paths))
    if not mails:  # an empty answer would read as "nothing to change"
        names = ", ".join(str(path) for path in paths)
        raise InboxbotError(f"{names}: писем не найдено — нужны файлы .eml, .msg или .txt, mbox или Maildir "
                            "(вложенные папки не просматриваются)")
    if first_only and len(mails) > 1:
        click.echo(f"в файле {len(mails)} писем, объясняю первое; для всех — inboxbot replay", err=True)
        mails = mails[:1]
    for stored in mails:
        outcome = replayer.run(stored)
        owner = owner_of(outcome.decision)
        if owner:
            shares[owner] = shares.get(owner, 0) + 1
        if as_json:
            record = decision_record(stored.label, outcome.msg, outcome.facts, outcome.decision, rules, trail=trail)
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            for line in decision_lines(stored.label, outcome.msg.subject, outcome.decision, rules, trail=trail):
                click.echo(line)
    if not as_json and shares and not trail:
        click.echo(shares_line(shares))


def _compare(old_path: Path, new_path: Path, paths: list[Path], as_json: bool) -> None:
    from inboxbot.io.mailsource import read_mail
    from inboxbot.rules.load import load_rules
    from inboxbot.run.pipeline import Pipeline
    from inboxbot.tools.replay_text import comparison_lines, comparison_records
    from inboxbot.tools.whatif import compare

    old_rules, new_rules = load_rules(old_path), load_rules(new_path)
    before = Pipeline(old_rules)
    result = compare(read_mail(paths), before, Pipeline(new_rules, before.extractor))
    if as_json:
        for record in comparison_records(result):
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    for line in comparison_lines(result, old_rules, new_rules):
        click.echo(line)


@cli.command()
@_rules_option
@_journal_option
@_user_errors
def check(rules_path: Path, journal_path: Path | None) -> None:
    """Проверить правила и базу клиентов, и где журнал закреплений расходится с базой; код
    выхода 0 — всё в порядке (предупреждения его не меняют).

    Пример: inboxbot check --rules rules.toml
    """
    from inboxbot.tools.rules_check import check_rules

    verdict = check_rules(rules_path)
    warnings = list(verdict.warnings)
    if verdict.rules is not None:
        warnings.extend(ledger_warnings(verdict.rules, journal_path))
    for line in warnings:
        click.echo(f"предупреждение: {line}")
    for line in verdict.errors:
        click.echo(f"ошибка: {line}", err=True)
    if verdict.errors:
        sys.exit(EXIT_CONFIG)
    click.echo(f"{rules_path}: правила в порядке" + (f", предупреждений: {len(warnings)}" if warnings else ""))


@cli.command()
@_journal_option
@_rules_option
@click.option("--list", "as_list", is_flag=True,
              help="Полный список: заявки без ответа и письма на ручном разборе — те, что перечисляет отчёт.")
@click.option("--since", "since_day", type=DAY, default=None,
              help="Для --list: ручной разбор с этого дня (по умолчанию — шесть дней назад, как в отчёте).")
@click.option("--json", "as_json", is_flag=True, help="Сводка как JSON.")
@_user_errors
def status(journal_path: Path | None, rules_path: Path, as_list: bool, since_day: date | None, as_json: bool) -> None:
    """Сводка журнала: сколько писем, кому, в каком состоянии; с --list — какие заявки ждут ответа
    и какие письма оставлены на ручной разбор.

    Пример: inboxbot status --list
    """
    from inboxbot.store.factory import open_store

    found = _existing_journal(journal_path)
    if as_list:
        _print_request_lists(found.location, rules_path, since_day)
        return
    with open_store(found.location) as store:
        summary = store.queries.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    from inboxbot.rules.load import read_names
    from inboxbot.tools.journal_status import status_lines

    for line in status_lines(summary, read_names(rules_path), found.shown):
        click.echo(line)


def _period(timezone: tzinfo, since_day: date | None, until_day: date | None) -> tuple[date, date]:
    """The days a report covers (also `status --list`'s): the week up to and including
    `until_day`, by default today in the department's time zone; the edge reads the clock."""
    last = until_day or datetime.now(timezone).date()
    return since_day or last - timedelta(days=6), last


def _print_request_lists(path: Path | str, rules_path: Path, since_day: date | None) -> None:
    from inboxbot.compose.report import build_report, day_bounds
    from inboxbot.compose.report_view import request_lists
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import open_store

    rules = load_rules(rules_path)  # working hours (how long a request waits) and names
    first, today = _period(rules.department.timezone, since_day, None)
    since, until = day_bounds(rules, min(first, today), today)
    with open_store(path) as store:
        result = build_report(store.queries.requests(since, until), store.requests.awaiting_answer(), rules, since, until,
                              now=datetime.now(UTC), waiting_shown=10**9)
    for line in request_lists(result):
        click.echo(line)


@cli.command("dump-config")
def dump_config() -> None:
    """Показать действующие настройки подключения (пароли скрыты).

    Пример: INBOXBOT_SECRETS_FILE=/etc/inboxbot/secrets inboxbot dump-config
    """
    from inboxbot.config import load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(f"Ошибка настройки: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    click.echo(json.dumps(settings.masked(), ensure_ascii=False, indent=2))


@cli.command()
@_rules_option
@click.argument("folder", metavar="ПАПКА", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Итог как JSON: fields (inn, company, region: found, right, wrong, precision, recall…), "
                   "route (action, owner, rule: n, right, accuracy), rules (ожидаемое правило: n, right, "
                   "rule_right, accuracy), misses (file, field, expected, found, verdict, why), "
                   "decisions (файл с промахом: action, owner, rule, reasons, trail).")
@_user_errors
def score(rules_path: Path, folder: Path, as_json: bool) -> None:
    """Точность извлечения (ИНН, компания, регион) и маршрутизации (действие, ответственный,
    правило) на размеченной папке; промахи — с причинами решения.

    В папке — письма .eml и labels.json в формате tests/corpus репозитория; письма идут по
    правилам по порядку, как в inboxbot replay. Правила подсчёта — в inboxbot/tools/scoring.py.

    Пример: inboxbot score --rules inboxbot/demo_data/rules.toml tests/corpus
    """
    from inboxbot.rules.load import load_rules
    from inboxbot.run.pipeline import Pipeline
    from inboxbot.tools.score_text import format_report
    from inboxbot.tools.scoring import score_folder

    report = score_folder(folder, Pipeline(load_rules(rules_path)))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report))


@cli.command()
@_rules_option
@click.option("--since", "since_day", type=DAY, default=None,
              help="Первый день периода, ГГГГ-ММ-ДД (по умолчанию — шесть дней назад).")
@click.option("--until", "until_day", type=DAY, default=None,
              help="Последний день периода включительно (по умолчанию — сегодня).")
@_journal_option
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Записать отчёт в HTML-файл (графики внутри файла).")
@click.option("--mail", "mail_dir", type=click.Path(path_type=Path, exists=True), default=None,
              help="Письма периода (папка .eml, mbox или Maildir) для раздела «что изменилось бы»; "
                   "без неё письма берутся из ящика по IMAP.")
@click.option("--compare", "compare_with", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Новые правила: какие решения периода они изменили бы (по умолчанию — действующие --rules).")
@click.option("--send", is_flag=True, help="Отправить письмом: кому — [report] to в правилах, иначе руководителю.")
@_user_errors
def report(rules_path: Path, since_day: date | None, until_day: date | None, journal_path: Path | None, out_path: Path | None,
           mail_dir: Path | None, compare_with: Path | None, send: bool) -> None:
    """Отчёт о распределении заявок: по менеджерам и правилам, доли очереди, регионы,
    время ответа, заявки без ответа и на ручном разборе, графики.

    Без --out и --send печатает текстовую версию. Период — дни по часовому поясу отдела.

    Пример: inboxbot report --since 2026-11-16 --until 2026-11-22 --out report.html
    """
    from inboxbot.compose.report import build_report, day_bounds
    from inboxbot.compose.report_mail import compose_report, render_report_html, report_context, report_recipients
    from inboxbot.compose.report_view import report_view
    from inboxbot.compose.templates import Templates
    from inboxbot.rules.load import load_rules
    from inboxbot.run.recheck import gather_changes
    from inboxbot.store.factory import open_store

    rules = load_rules(rules_path)
    first, last = _period(rules.department.timezone, since_day, until_day)
    if first > last:
        raise ConfigError(f"начало периода ({first:%Y-%m-%d}) позже его конца ({last:%Y-%m-%d})")
    path = _existing_journal(journal_path).location
    target = load_rules(compare_with) if compare_with else rules
    label = f"новые правила ({compare_with.name})" if compare_with else f"действующие правила ({rules_path.name})"
    since, until = day_bounds(rules, first, last)
    with open_store(path) as store:
        rows = store.queries.requests(since, until)
        changes = gather_changes(store, rows, target, label, mail_dir=mail_dir)
        result = build_report(rows, store.requests.awaiting_answer(), rules, since, until,
                              now=datetime.now(UTC), changes=changes, conflicts=store.conflicts.listing(),
                              ledger=store.ledger.entries(), credited={c.message_id for c in store.credits.credits(since)})
    templates = Templates(rules.templates_dir)
    if out_path is not None:
        out_path.write_text(render_report_html(result, templates, "data"), encoding="utf-8")
        click.echo(f"Отчёт записан: {out_path}")
    if send:
        from inboxbot.config import load_settings
        from inboxbot.io.smtp import SmtpSender

        settings = load_settings()
        if settings.smtp is None:
            raise ConfigError("не задан SMTP-сервер для отправки отчёта: укажите INBOXBOT_SMTP_HOST")
        recipients = report_recipients(rules)
        if not recipients:
            raise ConfigError("некому отправить отчёт: укажите to в разделе [report] или head в [department]")
        mail = compose_report(result, report_context(rules, settings.bot_address, recipients), recipients, templates,
                              now=datetime.now(UTC))
        with SmtpSender(settings.smtp) as smtp:
            smtp.send(mail, [r.email for r in recipients])
        click.echo("Отчёт отправлен: " + ", ".join(r.email for r in recipients))
    if out_path is None and not send:
        click.echo(templates.render("report.txt.j2", **report_view(result, {})), nl=False)


@cli.command("credit-back")
@_rules_option
@_journal_option
@click.argument("ref", metavar="MESSAGE-ID")
@click.option("--reason", default="", help="Почему заявка не считается (спам, не наш профиль…), для журнала.")
@_user_errors
def credit_back(rules_path: Path, journal_path: Path | None, ref: str, reason: str) -> None:
    """Пустая заявка не в счёт: очередь возместит её менеджеру (по Message-ID письма клиента или пересылки).

    Пример: inboxbot credit-back "<fwd.3f2a@severkarton.test>" --reason спам
    """
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import open_store
    from inboxbot.tools.credit_back import credit_back as record

    rules = load_rules(rules_path)
    with open_store(_existing_journal(journal_path).location) as store:
        click.echo(record(store, rules, ref, reason, datetime.now(UTC)))


cli.add_command(conflicts)
cli.add_command(clients)


def main() -> None:
    cli()


# The web pages' commands live with the pages (web/command.py; it imports nothing heavy).
cli.add_command(web)
