"""`inboxbot conflicts`, `conflicts settle`, `clients export` and the ledger part of
`inboxbot check`, over a real SQLite journal and the demo rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import RULES

from inboxbot.cli import cli
from inboxbot.directory.clients import ClientBase
from inboxbot.model.conflicts import Dispute
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.rules.load import load_rules
from inboxbot.store.factory import open_store

T0 = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
TULA_INN = "7106346026"  # Сидоров's client in the demo base


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.sqlite"
    with open_store(path) as store:
        store.ledger.claim([
            Assignment(ClientKey("inn", TULA_INN), "orlov", T0, rule="pool", pool="main", source="t1@x"),
            Assignment(ClientKey("domain", "polimer-trade.ru"), "petrov", T0, rule="pool", pool="main", source="p1@x"),
            Assignment(ClientKey("address", "anna@polimer-trade.ru"), "petrov", T0, rule="pool", pool="main", source="p1@x"),
            Assignment(ClientKey("address", "kuzmin@gmail.com"), "ivanova", T0, rule="territory", source="k1@x"),
        ])  # fmt: skip
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--rules", str(RULES)])
    return result.exit_code, result.output


def test_check_lists_where_the_ledger_and_the_base_disagree(journal: Path) -> None:
    code, out = run("check", "--journal", str(journal))
    assert code == 0, out
    assert (f"предупреждение: журнал закреплений расходится с базой клиентов: ИНН {TULA_INN} — по базе клиентов "
            "клиента ведёт Сидоров, а в журнале закреплений он за Орлов с 09.06.2025") in out  # fmt: skip
    assert "правила в порядке, предупреждений:" in out
    code, out = run("check", "--journal", str(journal.parent / "нет.sqlite"))
    assert code == 2 and "нет.sqlite не найден (он указан в --journal)" in out


def test_a_dispute_is_listed_settled_once_and_not_raised_again(journal: Path) -> None:
    code, out = run("conflicts", "--journal", str(journal))
    assert code == 0, out
    assert "№ 1  " in out and f"журнал закреплений и база клиентов расходятся — ИНН {TULA_INN}" in out
    assert "Сидоров / Орлов; не решён" in out and "Решить: inboxbot conflicts settle" in out
    code, out = run("conflicts", "--journal", str(journal), "--json")
    listed = json.loads(out)
    assert [(c["number"], c["kind"], c["owners"]) for c in listed] == [(1, "ledger_base", ["sidorov", "orlov"])]
    # Bad input: a clear Russian answer, nothing changed.
    for args, said in ((["1"], "укажите одно из двух"), (["1", "--owner", "nobody"], "менеджера «nobody» нет в правилах"),
                       (["7", "--keep"], "спора № 7 нет. Открытые: 1"), (["1", "--keep", "--owner", "petrov"], "укажите одно из двух")):  # fmt: skip
        code, out = run("conflicts", "settle", *args, "--journal", str(journal))
        assert code == 2 and said in out, out
    code, out = run("conflicts", "settle", "1", "--owner", "sidorov", "--why", "клиент Сидорова с 2019 года", "--journal", str(journal))
    assert code == 0, out
    assert out.splitlines() == [
        "Спор № 1 решён: клиент за Сидоров: клиент Сидорова с 2019 года.",
        f"Изменение №1: ИНН {TULA_INN} — Орлов → Сидоров. Отменить: inboxbot clients undo 1",
        "Уведомления руководителю и менеджерам уйдут при следующем опросе ящика (inboxbot run).",
    ]
    with open_store(journal) as store:  # the verdict moved the client in the ledger, announced like any change
        (entry,) = store.changes.entries(ClientKey("inn", TULA_INN))
        (change,) = store.changes.history()
        assert (entry.owner, entry.how) == ("sidorov", "head")
        assert (change.how, change.previous, change.owner, change.why) == ("head", "orlov", "sidorov", "спор № 1: клиент Сидорова с 2019 года")
        assert store.changes.unannounced() == [change] and store.conflicts.get(1).change_id == change.id  # type: ignore[union-attr]
    code, out = run("conflicts", "settle", "1", "--keep", "--journal", str(journal))
    assert code == 2 and "спор № 1 уже решён (клиент за Сидоров: клиент Сидорова с 2019 года)" in out
    # The same facts are swept again on every listing: settled, they stay out of it.
    code, out = run("conflicts", "--journal", str(journal))
    assert out.strip() == "Нерешённых споров нет."
    code, out = run("conflicts", "--journal", str(journal), "--all")
    assert "решён: клиент за Сидоров: клиент Сидорова с 2019 года" in out


AGRO_INN = "2221555396"  # Сидоров's client in the demo base, not in the ledger


def test_a_verdict_the_ledger_cannot_carry_out_is_refused_and_changes_nothing(journal: Path) -> None:
    with open_store(journal) as store:
        store.conflicts.raise_conflict(Dispute("addressed", f"«АО «Агроимпульс»» (ИНН {AGRO_INN})", ("petrov", "sidorov"),
                                               "письмо адресовано Петрову", "a1@x", (ClientKey("inn", AGRO_INN),)), T0)  # fmt: skip
    code, out = run("conflicts", "settle", "1", "--owner", "petrov", "--journal", str(journal))
    assert code == 2, out
    assert (f"спор № 1 не решён: ИНН {AGRO_INN} — клиент из базы клиентов «АО «Агроимпульс»» (менеджер sidorov)"
            in " ".join(out.split())), out  # fmt: skip
    with open_store(journal) as store:
        assert store.conflicts.get(1).open and store.changes.history() == []  # type: ignore[union-attr]
    # The base gives the client to Сидоров already: the verdict stands with nothing to move.
    code, out = run("conflicts", "settle", "1", "--owner", "sidorov", "--journal", str(journal))
    assert code == 0 and out.splitlines() == ["Спор № 1 решён: клиент за Сидоров."], out
    with open_store(journal) as store:
        assert store.changes.history() == [] and store.conflicts.get(1).change_id is None  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_reads_back_as_a_client_base(journal: Path, tmp_path: Path, fmt: str) -> None:
    out_path = tmp_path / f"закрепления.{fmt}"
    code, out = run("clients", "export", "--format", fmt, "--out", str(out_path), "--journal", str(journal))
    assert code == 0, out
    assert out.strip() == f"Записано клиентов: 3 → {out_path}"
    rules = load_rules(RULES)
    source = rules.clients.source
    assert source is not None
    base = ClientBase.load(out_path, source.columns, encoding=source.encoding, delimiter=source.delimiter)
    assert base.damage == ()
    rows = sorted((c.name, c.inn, c.manager, c.domains, c.since) for c in base)
    assert rows == sorted([
        (f"ИНН {TULA_INN}", TULA_INN, "orlov", (), T0.date()),
        ("polimer-trade.ru", None, "petrov", ("polimer-trade.ru",), T0.date()),
        ("kuzmin@gmail.com", None, "ivanova", (), T0.date()),
    ], key=str)  # fmt: skip
    assert base.by_inn(TULA_INN).manager == "orlov"  # type: ignore[union-attr]
    assert [c.manager for c in base.by_domain("polimer-trade.ru")] == ["petrov"]


def test_an_export_to_an_unwritable_place_says_so(journal: Path, tmp_path: Path) -> None:
    code, out = run("clients", "export", "--format", "csv", "--out", str(tmp_path / "нет" / "x.csv"), "--journal", str(journal))
    assert code == 2 and "не записан" in out


@pytest.mark.parametrize("command", [["conflicts"], ["conflicts", "settle"], ["clients", "export"]])
def test_the_help_is_russian_down_to_the_metavars(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "--journal ФАЙЛ" in result.output and "FILE" not in result.output


def test_an_exported_client_is_named_as_its_first_request_named_it() -> None:
    from inboxbot.mail.message import parse
    from inboxbot.model.decision import Decision
    from inboxbot.model.records import MessageKey
    from inboxbot.store.factory import memory_store
    from inboxbot.tools.ledger_export import ledger_rows

    store = memory_store()
    msg = parse(b"From: anna@polimer-trade.ru\r\nMessage-ID: <p1@x>\r\nSubject: x\r\n\r\nx\r\n")
    store.messages.record_decision(MessageKey("INBOX", 1, 1), msg, Decision("forward", "petrov", "pool", ("x",)),
                                   details={"company": {"name": "ООО «Полимер-Трейд»", "inn": "6316123456"},
                                            "region": {"code": "63", "name": "Самарская область", "district": "ПФО"}},
                                   seen_at=T0)  # fmt: skip
    store.ledger.claim([Assignment(ClientKey("domain", "polimer-trade.ru"), "petrov", T0, source="p1@x")])
    requests = {r.message_id: r for r in store.queries.requests(T0)}
    (row,) = ledger_rows(store.ledger.entries(), requests)
    assert (row["name"], row["inn"], row["region_code"], row["manager"], row["domains"], row["since"]) == (
        "ООО «Полимер-Трейд»", "6316123456", "63", "petrov", "polimer-trade.ru", "2025-06-09")


def test_a_dispute_recorded_before_it_had_keys_moves_the_client_its_label_names(journal: Path) -> None:
    from inboxbot.errors import ConfigError
    from inboxbot.model.conflicts import label_keys
    from inboxbot.run.conflicts import settle

    assert label_keys("«ООО «Тула»» (ИНН 7106346026)") == (ClientKey("inn", "7106346026"),)
    assert label_keys("адрес Kuzmin@gmail.com") == (ClientKey("address", "kuzmin@gmail.com"),)
    assert label_keys("домен polimer-trade.ru") == (ClientKey("domain", "polimer-trade.ru"),)
    assert label_keys("группа «Агроимпульс», СФО") == ()
    rules = load_rules(RULES)
    with open_store(journal) as store:
        store.conflicts.raise_conflict(Dispute("addressed", "адрес kuzmin@gmail.com", ("petrov", "ivanova"), "x"), T0)
        settled, change = settle(store, rules, 1, owner="petrov", keep=False, why="", by="volkov", now=T0)
        assert change is not None and (change.previous, change.owner, change.why) == ("ivanova", "petrov", "спор № 1")
        assert settled.change_id == change.id
        assert store.changes.entries(ClientKey("address", "kuzmin@gmail.com"))[0].owner == "petrov"
        # Nothing in the label names the client: refused, the verdict left to «оставить как есть».
        store.conflicts.raise_conflict(Dispute("holding", "группа «Агроимпульс», СФО", ("petrov", "sidorov"), "y"), T0)
        with pytest.raises(ConfigError, match="не назван ни ИНН, ни доменом, ни адресом"):
            settle(store, rules, 2, owner="petrov", keep=False, why="", by="volkov", now=T0)
        assert store.conflicts.get(2).open  # type: ignore[union-attr]


def test_a_verdict_that_loses_a_race_takes_its_move_back(journal: Path) -> None:
    from dataclasses import replace

    from inboxbot.errors import ConfigError
    from inboxbot.run.conflicts import settle

    class SettledMeanwhile:
        """The store's own conflicts, where another head's «оставить как есть» lands just
        before this verdict."""

        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def settle(self, number: int, *args: object, **kwargs: object) -> object:
            self.inner.settle(number, "keep", None, "", "orlov", T0)  # type: ignore[attr-defined]
            return self.inner.settle(number, *args, **kwargs)  # type: ignore[attr-defined]

    rules = load_rules(RULES)
    with open_store(journal) as store:
        store.conflicts.raise_conflict(Dispute("addressed", "адрес kuzmin@gmail.com", ("petrov", "ivanova"), "x",
                                               keys=(ClientKey("address", "kuzmin@gmail.com"),)), T0)  # fmt: skip
        racing = replace(store, conflicts=SettledMeanwhile(store.conflicts))
        with pytest.raises(ConfigError, match="спор № 1 уже решён \\(оставить как есть\\)"):
            settle(racing, rules, 1, owner="petrov", keep=False, why="", by="volkov", now=T0)
        assert store.changes.entries(ClientKey("address", "kuzmin@gmail.com"))[0].owner == "ivanova"  # moved back
        assert [c.how for c in store.changes.history()] == ["undo", "head"]
