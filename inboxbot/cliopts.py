"""Options and error handling every command shares (cli.py and the command groups in
cli_*.py): the rules file, the journal, user errors mapped to one line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from inboxbot import clickru
from inboxbot.config import FoundJournal
from inboxbot.errors import ConfigError, InboxbotError, RulesError

# Before any option is declared with these: click names the metavars of paths («ФАЙЛ») on creation.
clickru.install()

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CONFIG = 2
EXIT_RUNTIME = 3

def rules_option(func: F) -> F:
    return click.option(
        "--rules",
        "rules_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=Path("rules.toml"),
        show_default=True,
        help="Файл правил; файлы, которые он называет, ищутся рядом с ним.",
    )(func)

def journal_option(func: F) -> F:
    from inboxbot.config import DEFAULT_JOURNAL, DEMO_JOURNAL, DEMO_OUT

    return click.option(
        "--journal", "journal_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
        help=f"Файл журнала. По умолчанию — тот, куда пишет inboxbot run (INBOXBOT_JOURNAL, иначе {DEFAULT_JOURNAL}), "
             f"а если его нет — журнал демо {DEMO_OUT}/{DEMO_JOURNAL}.",
    )(func)

def existing_journal(journal_path: Path | None) -> FoundJournal:
    """The journal a read-only command reads (config.find_journal: the shared store of
    INBOXBOT_STORE too); says so on stderr when it is the demo's rather than the configured one."""
    from inboxbot.config import find_journal

    found = find_journal(journal_path)
    if found.note:
        click.echo(found.note, err=True)
    return found

def user_errors(func: F) -> F:
    """Map user errors to one clear line and an exit code; bugs keep their traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, RulesError) as exc:
            click.echo(f"Ошибка настройки: {exc}", err=True)
            sys.exit(EXIT_CONFIG)
        except InboxbotError as exc:
            click.echo(f"Ошибка: {exc}", err=True)
            sys.exit(EXIT_RUNTIME)

    return wrapper  # type: ignore[return-value]

