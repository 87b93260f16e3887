"""The extraction scorer: its rules on small folders, and the bars on the sample corpus and
on our own fixtures (tests/fixtures/extract)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.extract.build import eml
from samples import CORPUS, RULES

from inboxbot.cli import cli
from inboxbot.extract.extract import Extractor
from inboxbot.rules.load import load_rules
from inboxbot.run.pipeline import Pipeline
from inboxbot.tools.labels import LabelsError, load_labels
from inboxbot.tools.score_text import format_report
from inboxbot.tools.scoring import Report, same_company, score_folder

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _score(folder: Path, extractor: Extractor) -> Report:
    """Scored under the demo company's rules (our domain severkarton.test, its managers)."""
    return score_folder(folder, Pipeline(load_rules(RULES), extractor))


def _assert_bars(report: Report) -> None:
    inn, company, region = (report.fields[f] for f in ("inn", "company", "region"))
    text = format_report(report)
    assert inn.wrong == 0 and inn.precision == 1.0, text
    assert inn.recall >= 0.99, text
    assert company.precision >= 0.95 and company.recall >= 0.95, text
    assert region.precision >= 0.95 and region.recall >= 0.95, text


@pytest.fixture(scope="module")
def corpus_report(extractor: Extractor) -> Report:
    assert CORPUS.is_dir(), f"the sample corpus is missing: {CORPUS}"
    return _score(CORPUS, extractor)


@pytest.fixture(scope="module")
def fixtures_report(extractor: Extractor) -> Report:
    return _score(FIXTURES, extractor)


def test_bars_on_the_sample_corpus(corpus_report: Report) -> None:
    _assert_bars(corpus_report)
    assert corpus_report.mails == 30 and corpus_report.skipped == 5
    # Every mail that shows its INN is counted for recall.
    assert corpus_report.fields["inn"].recall_total == 8


def test_bars_on_our_own_fixtures(fixtures_report: Report) -> None:
    _assert_bars(fixtures_report)
    assert fixtures_report.mails >= 100
    assert fixtures_report.fields["inn"].recall_total >= 60


def test_no_miss_at_all_on_the_fixtures(fixtures_report: Report) -> None:
    """The bars leave room for a new evaluation set; on our own cases nothing may be missed."""
    assert not fixtures_report.misses, format_report(fixtures_report)


# --- the rules, on a folder of three mails --------------------------------------------------


def _folder(tmp_path: Path, mails: dict[str, tuple[bytes, dict[str, object]]], clients: str | None = None) -> Path:
    labels = {}
    for name, (raw, label) in mails.items():
        (tmp_path / name).write_bytes(raw)
        labels[name] = label
    (tmp_path / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    if clients:
        (tmp_path / "clients.csv").write_text(clients, encoding="utf-8")
    return tmp_path


def _label(company: str | None, inn: str | None, source: str | None, region: str | None, action: str = "forward") -> dict[str, object]:
    return {"sender_company": company, "inn": inn, "inn_source": source, "region_code": region, "expected_action": action}


def test_rules_skip_client_base_and_extra_values(tmp_path: Path, extractor: Extractor) -> None:
    clients = "name,inn,kpp,ogrn,region_code,city,manager,group,domains,alt_names\nООО «Грин Бокс»,5003157062,,,50,Видное,ivanova,,greenbox.ru,Green Box\n"
    folder = _folder(
        tmp_path,
        {
            # Skipped: identity fields not scored even though the newsletter names a company.
            "a.eml": (eml("Новости рынка от ООО «Пакмаркет», ИНН 7812345675.", frm="news@pakmarket.ru"), _label(None, None, None, None, "skip")),
            # Client base: the INN and region are not in the mail; only the name (in Latin) is.
            "b.eml": (eml("Hello, нужны короба.\n\nGreen Box LLC", frm="buyer@greenbox.ru"), _label("ООО «Грин Бокс»", "5003157062", "client_base", "50")),
            # The label knows no company; whatever is found is wrong (extra).
            "c.eml": (eml("Нужна плёнка.\n\nООО «Ромашка»\nИНН 7812345675", frm="x@mail.ru"), _label(None, None, None, None)),
        },
        clients,
    )
    report = _score(folder, extractor)
    assert report.mails == 3 and report.skipped == 1
    inn, company, region = (report.fields[f] for f in ("inn", "company", "region"))
    assert inn.recall_total == 0  # no mail shows the sender's labelled INN
    assert inn.wrong == 1 and [o.verdict for o in report.misses if o.field == "inn"] == ["extra"]
    assert company.recall_total == 1  # «Green Box» is in b.eml's text (an alt name)
    assert region.recall_total == 0  # the client-base region is precision only
    text = format_report(report)
    assert "c.eml  ИНН: лишнее; ожидалось —, найдено 7812345675" in text
    assert "Точность" not in text.split("\n")[0] and "ИНН" in text


def test_missing_labels_or_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(LabelsError, match=re.escape("labels.json")):
        load_labels(tmp_path)
    (tmp_path / "labels.json").write_text('{"x.eml": {}}', encoding="utf-8")
    with pytest.raises(LabelsError, match=re.escape("x.eml")):
        load_labels(tmp_path)


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        ("ООО \"Байкал продукт\"", "ООО «Байкал Продукт»", True),
        ("Байкал Продукта", "ООО «Байкал Продукт»", True),
        ("ФГБОУ ВО «Казанский технологический университет»", "Казанский технологический университет", True),
        ("ИП Захаров И.И.", "ИП Захаров Иван Ильич", True),
        ("ООО «Альянс Трейд»", "ООО «Альянс»", False),
        ("ООО «Тульская пряничная мануфактура»", "ООО «Тульская пряничная мануфактура» (бывш. «Пряник»)", True),
        # A CIS company's local form and its English one (names.LEGAL_FORMS), either script.
        ("Dala Foods LLP", "TOO «Dala Foods» (Dala Foods LLP)", True),
        ("Dala Foods LLP", "ТОО «Dala Foods»", True),
        ("ОсОО «Ала-Тоо Пак»", "Ala-Too Pak LLC", True),
        ("ЧТУП «Гродно Тара»", "Grodno Tara Limited", True),
        ("OOO «Vektor»", "ООО «Вектор»", True),
        ("Dala Foods LLP", "ТОО «Dala Trade»", False),
    ],
)
def test_same_company(got: str, want: str, same: bool) -> None:
    assert same_company(got, want) is same


def test_cli_score_table_and_json(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    for name in ("001-pryaniki-korobki-inn.eml", "002-pakmarket-novosti.eml"):
        shutil.copy(CORPUS / name, folder / name)
    labels = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
    (folder / "labels.json").write_text(json.dumps({k: labels[k] for k in ("001-pryaniki-korobki-inn.eml", "002-pakmarket-novosti.eml")}, ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["score", "--rules", str(RULES), str(folder)])
    assert result.exit_code == 0, result.output
    assert "Писем: 2, из них пропускаемых (не оцениваются): 1" in result.output
    assert "Промахов нет." in result.output
    result = runner.invoke(cli, ["score", "--rules", str(RULES), "--json", str(folder)])
    data = json.loads(result.output)
    assert data["fields"]["inn"] == {"found": 1, "right": 1, "wrong": 0, "recall_total": 1, "recall_hit": 1, "precision": 1.0, "recall": 1.0}
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["score", "--rules", str(RULES), str(empty)])
    assert result.exit_code == 3 and "labels.json" in result.output


# --- routing: action, owner and rule, per field and per expected rule ------------------------

_REQUEST_TULA = eml(
    "Добрый день! Нужны гофрокоробы 400х300х300, 2000 шт. Пришлите цену.\n\nООО «Тульская пряничная мануфактура»\nИНН 7106346026",
    frm="Анна <anna.tpm@gmail.com>", subject="Запрос цены на коробки",
)
_REQUEST_KRASNODAR = eml(
    "Здравствуйте! Просим счёт на стрейч-плёнку 500 мм, 20 рулонов.\n\nС уважением,\nОльга\nООО «ЮгТара», г. Краснодар",
    frm="Ольга <olga@yugtara-kuban.ru>", subject="Стрейч-плёнка",
)
_NEWSLETTER = eml(
    "Новости рынка упаковки за неделю. Отписаться от рассылки: https://news.example/unsubscribe",
    frm="news@pakmarket.ru", subject="Дайджест недели", headers=(("List-Unsubscribe", "<https://news.example/unsubscribe>"),),
)


def _route_label(owner: str | None, action: str, rule: str, company: str | None = None, inn: str | None = None,
                 source: str | None = None, region: str | None = None) -> dict[str, object]:
    return {**_label(company, inn, source, region, action), "expected_owner": owner, "rule": rule}


@pytest.fixture(scope="module")
def routing_report(tmp_path_factory: pytest.TempPathFactory, extractor: Extractor) -> Report:
    folder = _folder(
        tmp_path_factory.mktemp("routing"),
        {
            # Right: the client's INN in the signature → its manager.
            "a-right.eml": (_REQUEST_TULA, _route_label("sidorov", "forward", "client_inn", "ООО «Тульская пряничная мануфактура»", "7106346026", "signature", "71")),
            # Wrong owner: the labeller expected the greeting to address Petrov; territory gives Orlov.
            "b-wrong-owner.eml": (_REQUEST_KRASNODAR, _route_label("petrov", "forward", "addressed", "ООО «ЮгТара»", None, None, "23")),
            # A request the bot skips (the label says it is one): action and owner both missed.
            "c-skipped-request.eml": (_NEWSLETTER, _route_label("orlov", "forward", "territory")),
            # A newsletter rightly skipped: routing scored, extraction not.
            "d-right-skip.eml": (_NEWSLETTER, _route_label(None, "skip", "not_a_request")),
        },
    )
    return _score(folder, extractor)


def test_routing_counts_per_field(routing_report: Report) -> None:
    r = routing_report
    assert r.mails == 4 and r.skipped == 1
    assert (r.route["action"].n, r.route["action"].right) == (4, 3)
    assert (r.route["owner"].n, r.route["owner"].right) == (3, 1)  # the skip label names no owner
    assert (r.route["rule"].n, r.route["rule"].right) == (4, 2)
    assert round(r.route["owner"].accuracy, 4) == 0.3333


def test_routing_counts_per_expected_rule(routing_report: Report) -> None:
    rules = {name: (t.n, t.right, t.rule_right) for name, t in routing_report.rules.items()}
    assert rules == {"client_inn": (1, 1, 1), "addressed": (1, 0, 0), "territory": (1, 0, 0), "not_a_request": (1, 1, 1)}


def test_a_miss_lists_expected_found_and_the_reasons(routing_report: Report) -> None:
    text = format_report(routing_report)
    block = text.split("b-wrong-owner.eml  Ответственный:")[1].split("\n\n")[0]
    assert block.startswith(" неверно; ожидалось petrov, найдено orlov")
    assert "решение: переслать → orlov [territory]" in block
    assert "• Южный федеральный округ → Орлов" in block
    assert "✓ territory:" in block and "· addressed:" in block  # why the expected rule did not match
    skipped = text.split("c-skipped-request.eml  Действие:")[1].split("\n\n")[0]
    assert "ожидалось forward, найдено skip" in skipped and "рассылка (заголовок List-Unsubscribe)" in skipped
    assert "a-right.eml" not in text and "d-right-skip.eml" not in text
    assert "Промахи: 5" in text  # owner+rule of b, action+owner+rule of c


def test_json_keeps_routing_and_the_decisions_of_misses(routing_report: Report) -> None:
    data = json.loads(json.dumps(routing_report.as_dict(), ensure_ascii=False))
    assert data["route"]["owner"] == {"n": 3, "right": 1, "accuracy": 0.3333}
    assert data["rules"]["addressed"] == {"n": 1, "right": 0, "accuracy": 0.0, "rule_right": 0}
    assert {(m["file"], m["field"]) for m in data["misses"]} == {
        ("b-wrong-owner.eml", "owner"), ("b-wrong-owner.eml", "rule"),
        ("c-skipped-request.eml", "action"), ("c-skipped-request.eml", "owner"), ("c-skipped-request.eml", "rule"),
    }
    assert set(data["decisions"]) == {"b-wrong-owner.eml", "c-skipped-request.eml"}
    decision = data["decisions"]["b-wrong-owner.eml"]
    assert decision["owner"] == "orlov" and decision["rule"] == "territory" and decision["reasons"]
    assert any(step.startswith("· addressed:") for step in decision["trail"])
