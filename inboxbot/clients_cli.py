"""`inboxbot clients …`: the client ledger's changes from the command line — assign a
client to a manager, list the history, undo a change. A thin layer over run/handover.py
(the same functions the mail command and the web page call); cli.py adds the group."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from inboxbot import clickru
from inboxbot.cliopts import journal_option, rules_option
from inboxbot.model.ledger import ClientKey

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REFUSED = 2  # bad input: nothing changed (as cli.EXIT_CONFIG)


@click.group(cls=clickru.Group)
def clients() -> None:
    """Закрепления клиентов за менеджерами: передать, история, отмена, выгрузка.

    Пример: inboxbot clients assign polimer-trade.ru Сидорову
    """


@clients.command()
@click.argument("identity", metavar="ИНН|ДОМЕН|АДРЕС")
@click.argument("manager", metavar="МЕНЕДЖЕР")
@click.option("--why", default="", help="Почему (попадёт в историю и в уведомление).")
@click.option("--new", "create", is_flag=True, help="Закрепить клиента, которого ещё нет в журнале (по ИНН или домену).")
@click.option("--threads/--no-threads", default=True, show_default=True,
              help="Передать и открытые заявки клиента (ещё без ответа).")  # fmt: skip
@rules_option
@journal_option
def assign(identity: str, manager: str, why: str, create: bool, threads: bool, rules_path: Path,
           journal_path: Path | None) -> None:  # fmt: skip
    """Передать клиента (все его ИНН, домен, адреса) другому менеджеру.

    Менеджер — id, адрес или фамилия в любом падеже. Руководитель и оба менеджера
    получают уведомление.

    Пример: inboxbot clients assign 7707083893 Сидорову --why "просьба клиента"
    """
    from inboxbot.run.handover import assign as assign_client

    rules = _rules(rules_path)
    with _store(journal_path) as store:
        result = assign_client(store, rules, cli_actor(), identity, manager, datetime.now(UTC), why=why, threads=threads,
                               create=create)  # fmt: skip
        _done(store, rules, result)


@clients.command()
@click.argument("identity", metavar="[ИНН|ДОМЕН|АДРЕС]", required=False)
@click.option("--limit", default=50, show_default=True, help="Сколько последних изменений показать.")
@rules_option
@journal_option
def history(identity: str | None, limit: int, rules_path: Path, journal_path: Path | None) -> None:
    """Изменения закреплений, новые сверху: всех клиентов или одного.

    Пример: inboxbot clients history polimer-trade.ru
    """
    from inboxbot.model.handover import read_identity

    rules = _rules(rules_path)
    keys: tuple[ClientKey, ...] = ()
    if identity:
        key = read_identity(identity)
        if isinstance(key, str):
            _refuse(key)
        else:
            keys = (key,)
    with _store(journal_path) as store:
        changes = store.changes.history(keys, limit)
    if not changes:
        click.echo("Изменений закреплений нет." if not identity else f"У клиента «{identity}» изменений закреплений нет.")
        return
    tz = rules.department.timezone
    for c in changes:
        who = _name(rules, c.previous) + " → " + _name(rules, c.owner)
        what = "только открытые заявки" if c.threads_only else c.describe_keys()
        click.echo(f"№{c.id}  {c.at.astimezone(tz):%d.%m.%Y %H:%M}  {what}: {who}  ({c.describe_how()}; "
                   f"решил(а): {_name(rules, c.by)}{'; ' + c.why if c.why else ''})")  # fmt: skip


@clients.command()
@click.argument("change_id", metavar="НОМЕР", type=int)
@rules_option
@journal_option
def undo(change_id: int, rules_path: Path, journal_path: Path | None) -> None:
    """Отменить изменение: клиент (и его заявки) возвращается прежнему менеджеру.

    Номер — из inboxbot clients history или из уведомления. Отмена тоже попадает в
    историю, все трое получают уведомление.

    Пример: inboxbot clients undo 3
    """
    from inboxbot.run.handover import undo as undo_change

    rules = _rules(rules_path)
    with _store(journal_path) as store:
        _done(store, rules, undo_change(store, rules, cli_actor(), change_id, datetime.now(UTC)))


# -- helpers ------------------------------------------------------------------


def _rules(rules_path: Path) -> Any:
    from inboxbot.errors import RulesError
    from inboxbot.rules.load import load_rules

    try:
        return load_rules(rules_path)
    except RulesError as exc:
        click.echo(f"Ошибка настройки: {exc}", err=True)
        sys.exit(EXIT_REFUSED)


def _store(journal_path: Path | None) -> Any:
    from inboxbot.config import PREFIX, configured_values, find_journal
    from inboxbot.errors import InboxbotError
    from inboxbot.store.factory import open_store

    try:
        url = configured_values().get(f"{PREFIX}STORE", "").strip() if journal_path is None else ""
        return open_store(url or find_journal(journal_path).location)
    except InboxbotError as exc:
        click.echo(f"Ошибка: {exc}", err=True)
        sys.exit(EXIT_REFUSED)


def cli_actor() -> str:
    """Who acts from the command line, as the history names them."""
    try:
        return f"командная строка ({getpass.getuser()})"
    except (KeyError, OSError):  # no user name in the environment or the passwd file
        return "командная строка"


def _name(rules: Any, manager_id: str | None) -> str:
    if manager_id is None:
        return "никто"
    manager = rules.managers.get(manager_id)
    return str(manager.name) if manager is not None else manager_id


def _refuse(reason: str) -> None:
    click.echo(f"Не сделано: {reason}. Ничего не изменено.", err=True)
    sys.exit(EXIT_REFUSED)


def _done(store: Any, rules: Any, result: Any) -> None:
    """Say what changed (or why nothing did), then send the notices if SMTP is set up."""
    if result.change is None:
        _refuse(result.refusal)
    change = result.change
    click.echo(f"Изменение №{change.id}: {change.describe_keys() or 'открытые заявки'} — "
               f"{_name(rules, change.previous)} → {_name(rules, change.owner)}.")  # fmt: skip
    if change.requests:
        click.echo(f"Вместе с клиентом переданы открытые заявки: {len(change.requests)}.")
    click.echo(announce_changes(store, rules))


def announce_changes(store: Any, rules: Any) -> str:
    """Send the notices of the changes not announced yet when SMTP is set up (else the
    worker sends them after its next poll); what became of them, for the person."""
    from inboxbot.compose.template_check import load_templates
    from inboxbot.config import load_settings
    from inboxbot.errors import InboxbotError
    from inboxbot.run.handover_mail import Announcer
    from inboxbot.run.outbox import smtp_for

    later = "Уведомления руководителю и менеджерам уйдут при следующем опросе ящика (inboxbot run)."
    try:
        settings = load_settings()
    except InboxbotError:
        return later
    if settings.smtp is None:
        return later
    announcer = Announcer(store, lambda: rules, lambda: load_templates(rules), settings.bot_address,
                          lambda: datetime.now(UTC))  # fmt: skip
    try:
        with smtp_for(settings) as smtp:
            sent = announcer.announce(smtp)
    except InboxbotError as exc:
        return f"Уведомления не отправлены ({exc}); они уйдут при следующем опросе ящика."
    return f"Уведомления отправлены: {sent}." if sent else later
