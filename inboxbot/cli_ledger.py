"""Commands over who owns a client: `inboxbot conflicts` (list, settle) and `inboxbot
clients export` (added to the `clients` group of clients_cli.py). A thin layer: parse options, call run/conflicts.py and
tools/ledger_export.py, print."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from inboxbot import clickru
from inboxbot.clients_cli import announce_changes, cli_actor, clients
from inboxbot.cliopts import existing_journal, journal_option, rules_option, user_errors
from inboxbot.model.conflicts import KIND_WORDS, Conflict
from inboxbot.model.handover import Change
from inboxbot.rules.model import Rules


def conflict_lines(conflicts: list[Conflict], rules: Rules) -> list[str]:
    """The list as the head reads it: number, what, the client, who, since when, details."""
    from inboxbot.run.conflicts import verdict_text

    if not conflicts:
        return ["Нерешённых споров нет."]
    lines = []
    tz = rules.department.timezone
    for c in conflicts:
        who = " / ".join(rules.manager_name(m) for m in c.dispute.owners)
        state = f"решён: {verdict_text(rules, c)}" if not c.open else "не решён"
        lines += [f"№ {c.number}  {c.raised_at.astimezone(tz):%d.%m.%Y}  {KIND_WORDS[c.dispute.kind]} — {c.dispute.client}",
                  f"      {who}; {state}", f"      {c.dispute.detail}"]  # fmt: skip
    return lines


def change_line(rules: Rules, change: Change) -> str:
    """«Изменение №5: ИНН 7707083893 — Петров П. П. → Сидоров С. С.»: the move a verdict made."""
    before = rules.manager_name(change.previous) if change.previous else "никто"
    return f"Изменение №{change.id}: {change.describe_keys()} — {before} → {rules.manager_name(change.owner or '')}."


def conflict_json(c: Conflict) -> dict[str, object]:
    return {"number": c.number, **c.dispute.to_dict(), "raised_at": c.raised_at.isoformat(), "notified": c.notified,
            "settled_at": c.settled_at.isoformat() if c.settled_at else None, "verdict": c.verdict, "owner": c.owner,
            "why": c.why, "change_id": c.change_id}  # fmt: skip


def ledger_warnings(rules: Rules, journal_path: Path | None) -> list[str]:
    """`inboxbot check`: where the client ledger and the client base disagree. Only with a
    journal named (--journal) or configured (INBOXBOT_JOURNAL, inboxbot.sqlite): the
    demo's journal says nothing about this base."""
    from inboxbot.config import find_journal
    from inboxbot.errors import ConfigError
    from inboxbot.route.disputes import ledger_disagreements
    from inboxbot.store.factory import open_store

    try:
        found = find_journal(journal_path)
    except ConfigError:
        if journal_path is not None:
            raise
        return []
    if found.note:  # the demo's journal, not this department's
        return []
    with open_store(found.location) as store:
        entries = store.ledger.entries()
    return [f"журнал закреплений расходится с базой клиентов: {d.client} — {d.detail}"
            for d in ledger_disagreements(rules, entries)]  # fmt: skip


@click.group(cls=clickru.Group, invoke_without_command=True)
@rules_option
@journal_option
@click.option("--all", "show_all", is_flag=True, help="И решённые споры, с решением.")
@click.option("--json", "as_json", is_flag=True, help="Список как JSON.")
@click.pass_context
@user_errors
def conflicts(ctx: click.Context, rules_path: Path, journal_path: Path | None, show_all: bool, as_json: bool) -> None:
    """Споры о том, чей клиент: письмо не владельцу, журнал против базы, ИНН у двух менеджеров,
    компания холдинга в чужом округе. Без команды — список нерешённых.

    Пример: inboxbot conflicts --rules rules.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    from inboxbot.rules.load import load_rules
    from inboxbot.run.conflicts import sweep_base
    from inboxbot.store.factory import open_store

    rules = load_rules(rules_path)
    with open_store(existing_journal(journal_path).location) as store:
        sweep_base(store, rules, datetime.now(UTC))  # the base and the ledger as they are now
        found = store.conflicts.listing(open_only=not show_all)
    if as_json:
        click.echo(json.dumps([conflict_json(c) for c in found], ensure_ascii=False, indent=2))
        return
    for line in conflict_lines(found, rules):
        click.echo(line)
    if any(c.open for c in found):
        click.echo("Решить: inboxbot conflicts settle НОМЕР --owner МЕНЕДЖЕР (клиент за ним) или --keep (оставить как есть)")


@conflicts.command()
@rules_option
@journal_option
@click.argument("number", metavar="НОМЕР", type=int)
@click.option("--owner", default=None, help="Менеджер (id из [[manager]]), за которым клиент.")
@click.option("--keep", is_flag=True, help="Оставить как есть.")
@click.option("--why", default="", help="Почему так решено (попадёт в список и отчёт).")
@user_errors
def settle(rules_path: Path, journal_path: Path | None, number: int, owner: str | None, keep: bool, why: str) -> None:
    """Решить спор: клиент за менеджером (--owner) или всё как есть (--keep). Решённый спор
    больше не поднимается по тем же обстоятельствам.

    Пример: inboxbot conflicts settle 3 --owner sidorov --why "клиент Сидорова с 2019 года"
    """
    from inboxbot.rules.load import load_rules
    from inboxbot.run.conflicts import settle as settle_conflict
    from inboxbot.run.conflicts import verdict_text
    from inboxbot.store.factory import open_store

    rules = load_rules(rules_path)
    with open_store(existing_journal(journal_path).location) as store:
        settled, change = settle_conflict(store, rules, number, owner=owner, keep=keep, why=why, by=cli_actor(),
                                          now=datetime.now(UTC))  # fmt: skip
        click.echo(f"Спор № {settled.number} решён: {verdict_text(rules, settled)}.")
        if change is not None:
            click.echo(f"{change_line(rules, change)} Отменить: inboxbot clients undo {change.id}")
            click.echo(announce_changes(store, rules))


@clients.command()
@rules_option
@journal_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True, help="Формат файла.")
@click.option("--out", "out_path", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Куда записать.")
@user_errors
def export(rules_path: Path, journal_path: Path | None, fmt: str, out_path: Path) -> None:
    """Выгрузить журнал закреплений в колонках базы клиентов ([clients.columns] в правилах),
    для загрузки в CRM или 1С; файл читается обратно как база клиентов.

    Пример: inboxbot clients export --format xlsx --out закрепления.xlsx
    """
    from inboxbot.directory.client import ColumnMap
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import open_store
    from inboxbot.tools.ledger_export import ledger_rows, write_export

    rules = load_rules(rules_path)
    with open_store(existing_journal(journal_path).location) as store:
        entries = store.ledger.entries()
        sources = {e.source for e in entries}
        requests = {r.message_id: r for r in store.queries.requests(datetime(1970, 1, 1, tzinfo=UTC)) if r.message_id in sources}
    rows = ledger_rows(entries, requests)
    source = rules.clients.source  # None without a client base: its default columns, UTF-8
    if source is None:
        write_export(out_path, fmt, rows, ColumnMap())
    else:
        write_export(out_path, fmt, rows, source.columns, encoding=source.encoding, delimiter=source.delimiter)
    click.echo(f"Записано клиентов: {len(rows)} → {out_path}")
