"""A town inside a company's name is not where the company is (extract.region): «Сибирская
Тара» is no Тара (Омская область), «Ялта Трейд» no Ялта — in quotes, found by the pipeline,
or after a company word; the INN, the signature's address or the phone decide instead."""

from __future__ import annotations

import pytest
from fixtures.extract.build import eml, inn10

from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse

INTERNAL = ("severkarton.test",)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.mark.parametrize(
    ("signature", "region"),
    [
        ("ООО «Сибирская Тара»\n630099, г. Новосибирск, ул. Ленина, 5", "54"),
        (f"ООО «Сибирская Тара»\nИНН {inn10('540312345')}", "54"),
        ("ООО «Ялта Трейд»\nг. Красноярск", "24"),
        ("ООО \"Тара-Сибирь Пак\"\nтел. (383) 220-10-10", "54"),
        ("Анна, компания Тара Урала\nг. Екатеринбург", "66"),
        ("ТД «Ялта»\n660049, Красноярск, пр. Мира, 10", "24"),
        ("ООО «Сибирская Тара»", None),  # nothing but the name: nobody can tell
    ],
)
def test_a_town_in_the_company_name_is_no_region(extractor: Extractor, signature: str, region: str | None) -> None:
    raw = eml(f"Нужны коробки 600х400х400, 500 шт.\n\nС уважением,\n{signature}", frm="Анна <anna.tara@mail.ru>")
    facts = extractor.extract(parse(raw), internal_domains=INTERNAL)
    assert (facts.region.code if facts.region else None) == region, facts.region_candidates
    assert "55" not in {r.code for r in facts.region_candidates} and "91" not in {r.code for r in facts.region_candidates}


@pytest.mark.parametrize(
    ("signature", "region"),
    [
        ("ООО «Лотос»\nг. Тара, ул. Ленина, 5", "55"),  # the town itself, after «г.»
        ("ООО «Лотос», Ялта", "91"),
    ],
)
def test_the_town_itself_still_counts(extractor: Extractor, signature: str, region: str) -> None:
    raw = eml(f"Нужны коробки.\n\nС уважением,\n{signature}", frm="Анна <anna.lotos@mail.ru>")
    facts = extractor.extract(parse(raw), internal_domains=INTERNAL)
    assert facts.region is not None and facts.region.code == region, facts.region_candidates
