"""`inboxbot web`: the web pages over the same store and rules as `inboxbot run`, and
`inboxbot web passwd`: a local password for a manager. Thin: parse, call, print."""

from __future__ import annotations

from pathlib import Path

import click

from inboxbot import clickru
from inboxbot.cliopts import user_errors
from inboxbot.errors import ConfigError


@click.group(cls=clickru.Group, invoke_without_command=True)
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), default=Path("rules.toml"),
              show_default=True, help="Файл правил, как у inboxbot run.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Адрес, на котором слушать. Снаружи — только через обратный прокси с TLS (см. README).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Порт.")
@click.option("--journal", "journal_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Файл журнала. По умолчанию — тот же, что у inboxbot status (INBOXBOT_JOURNAL, inboxbot.sqlite, "
                   "журнал демо); INBOXBOT_STORE — база PostgreSQL.")
@click.pass_context
@user_errors
def web(ctx: click.Context, rules_path: Path, host: str, port: int, journal_path: Path | None) -> None:
    """Веб-страницы для руководителя и менеджеров: заявки, клиенты, неотправленные письма.

    Читает тот же журнал (INBOXBOT_STORE или INBOXBOT_JOURNAL) и те же правила, что inboxbot run.
    Вход — адрес и пароль рабочей почты (IMAP-сервер из INBOXBOT_IMAP_*) или пароль,
    заданный командой inboxbot web passwd.

    Пример: inboxbot web --rules /etc/inboxbot/rules.toml --port 8080
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from inboxbot.config import PREFIX, configured_values, find_journal, load_settings, store_url
    from inboxbot.run.rulesholder import RulesHolder
    from inboxbot.store.factory import open_store
    from inboxbot.web.app import build
    from inboxbot.web.serve import server_config
    from inboxbot.web.settings import load_web_settings

    values = configured_values()
    web_settings = load_web_settings()
    imap = None
    if "imap" in web_settings.login and values.get(f"{PREFIX}IMAP_HOST", "").strip():
        imap = load_settings().imap
    elif web_settings.login == ("imap",):
        raise ConfigError(f"{PREFIX}WEB_LOGIN=imap, а IMAP-сервер не задан: укажите {PREFIX}IMAP_HOST")
    location = store_url(values)
    if not location:
        found = find_journal(journal_path)
        if found.note:
            click.echo(found.note, err=True)
        location = str(found.location)
    holder = RulesHolder(rules_path)
    with open_store(location) as store:
        app = build(store, holder, web_settings, imap)
        click.echo(f"Веб-страницы: http://{host}:{port}/ (остановить — Ctrl+C)")
        uvicorn.Server(server_config(app, host, port)).run()


@web.command()
@click.argument("address", metavar="АДРЕС")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path, dir_okay=False), default=Path("rules.toml"),
              show_default=True, help="Файл правил: адрес должен быть адресом менеджера из него.")
@user_errors
def passwd(address: str, rules_path: Path) -> None:
    """Задать пароль для входа на веб-страницы (хранится хешем argon2 в файле INBOXBOT_WEB_PASSWORDS).

    Пример: inboxbot web passwd i.ivanova@company.ru
    """
    from inboxbot.rules.load import load_rules
    from inboxbot.web.passwords import PasswordFile
    from inboxbot.web.settings import load_web_settings

    rules = load_rules(rules_path)
    address = address.strip().lower()
    if not any(m.email.lower() == address for m in rules.managers.values()):
        known = ", ".join(sorted(m.email for m in rules.managers.values()))
        raise ConfigError(f"{address} — не адрес менеджера из {rules_path.name}; известны: {known}")
    password = click.prompt("Пароль", hide_input=True, confirmation_prompt="Ещё раз")
    settings = load_web_settings()
    PasswordFile(settings.passwords).set(address, password)
    click.echo(f"Пароль для {address} записан в {settings.passwords}")
