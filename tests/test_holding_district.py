"""The holding policy «one owner per federal district» (groups.csv policy
one_owner_per_district): a new company of the group goes to whoever already handles the
group's companies in its district; a district without them goes on to the territory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import demo_department

from inboxbot.model.facts import Company, Evidence, Facts, Region
from inboxbot.route.decide import decide
from inboxbot.rules.load import check, load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store
from inboxbot.tools.fair_month import anonymous_request

MOMENT = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
MEMBERS = (
    "ООО «Метса Карелия»,,,,10,Петрозаводск,petrov,Метса,,,\n"
    "ООО «Метса Подольск»,,,,50,Подольск,ivanova,Метса,,,\n"
    "ООО «Метса Тверь»,,,,69,Тверь,ivanova,Метса,,,\n"
    "ООО «Метса Калуга»,,,,40,Калуга,smirnova,Метса,,,\n"
)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Rules:
    folder = tmp_path_factory.mktemp("metsa")
    path = demo_department(folder)
    with (folder / "clients.csv").open("a", encoding="utf-8") as f:
        f.write(MEMBERS)
    with (folder / "groups.csv").open("a", encoding="utf-8") as f:
        f.write("Метса,one_owner_per_district,,Metsä Group; Метса; Metsa\n")
    return load_rules(path)


def _new_member(code: str, district: str) -> Facts:
    company = Company(name="Метса Бумага", core="Метса Бумага", legal_form="ООО")
    region = Region(code=code, name="", district=district, how="phone", evidence=Evidence("signature", "тел."))
    return Facts(company=company, region=region)


@pytest.mark.parametrize(
    ("code", "district", "owner", "rule"),
    [
        ("10", "СЗФО", "petrov", "group"),  # Karelia: Petrov handles the group's company there
        ("77", "ЦФО", "ivanova", "group"),  # Moscow: two of the three ЦФО companies are Ivanova's
        ("66", "УФО", "sidorov", "territory"),  # no company of the group in УФО: the territory decides
    ],
)
def test_a_new_member_goes_to_the_groups_owner_in_its_district(rules: Rules, code: str, district: str, owner: str, rule: str) -> None:
    d = decide(anonymous_request(1, MOMENT), _new_member(code, district), rules, memory_store().history, received_at=MOMENT)
    assert (d.owner, d.rule) == (owner, rule), d.trail
    step = next(s for s in d.trail if s.rule == "group")
    if rule == "group":
        assert step.detail.startswith(f"группа «Метса» в {district}: «Метса» в названии")
        assert d.reasons[-1].startswith(f"группа «Метса», политика «один владелец в округе»: в {district} компании группы ведёт ")
    else:
        assert step.detail == "у группы «Метса» в УФО ещё нет клиентов в базе — дальше по территории"


def test_the_reason_names_the_count_and_an_example(rules: Rules) -> None:
    d = decide(anonymous_request(1, MOMENT), _new_member("77", "ЦФО"), rules, memory_store().history, received_at=MOMENT)
    assert d.reasons == (
        "компания группы «Метса» («Метса» в названии «Метса Бумага»), регион 77 Москва: по коду телефона «тел.», из подписи",
        "группа «Метса», политика «один владелец в округе»: в ЦФО компании группы ведёт Иванова "
        "(2 в базе, например ООО «Метса Подольск», clients.csv, строка 266)",
    )


def test_unknown_district_goes_on(rules: Rules) -> None:
    facts = Facts(company=Company(name="Метса Бумага", core="Метса Бумага", legal_form="ООО"))
    d = decide(anonymous_request(1, MOMENT), facts, rules, memory_store().history, received_at=MOMENT)
    assert d.rule == "pool"
    assert next(s for s in d.trail if s.rule == "group").detail.startswith("группа «Метса» («Метса» в названии")


def test_check_lists_the_new_policy(tmp_path: Path) -> None:
    path = demo_department(tmp_path)
    with (tmp_path / "groups.csv").open("a", encoding="utf-8") as f:
        f.write("Метса,per_district,,Метса\n")
    errors, _ = check(path)
    assert len(errors) == 1 and errors[0].endswith(
        "groups.csv, строка 10: политика «per_district» неизвестна. Допустимо: one_owner, independent, one_owner_per_district"
    ), errors
