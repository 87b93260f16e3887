"""The extractors one by one, over one read-only analysis of a mail (natasha's `Extractor`
shape: one function per kind of fact; "nothing found" is None or an empty tuple, never an
exception), and their composition, which is what `Extractor.extract` returns."""

from __future__ import annotations

import dataclasses

import pytest
from fixtures.extract.build import eml

from inboxbot.extract.analysis import Analysis, Settings, analyse_mail
from inboxbot.extract.company import extract_company
from inboxbot.extract.country import extract_country
from inboxbot.extract.extract import Extractor, extract_all
from inboxbot.extract.nlp import get_pipeline
from inboxbot.extract.people import extract_people
from inboxbot.extract.region import extract_regions
from inboxbot.extract.requisites import extract_requisites
from inboxbot.extract.traits import extract_language, extract_purchase_law
from inboxbot.mail.message import parse

INTERNAL = ("severkarton.test",)

CARD = """Добрый день, Ольга Викторовна!

Просим выставить счёт на 500 коробок по 44-ФЗ.

С уважением,
Громова Елизавета
ООО «Ромашка-Опт»
ИНН 7707083893
КПП 773601001
г. Самара, ул. Ленина, 5
"""

NOTHING = "ок\n"


def analysis(body: str, **kw: str) -> Analysis:
    return analyse_mail(get_pipeline(), parse(eml(body, **kw)), Settings(internal=INTERNAL))


@pytest.fixture(scope="module")
def card() -> Analysis:
    return analysis(CARD)


@pytest.fixture(scope="module")
def nothing() -> Analysis:
    return analysis(NOTHING, frm="i.petrov@gmail.com", subject="")


def test_the_analysis_is_frozen(card: Analysis) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.notes = ("changed",)  # type: ignore[misc]
    assert isinstance(card.founds, tuple) and card.founds


def test_each_extractor_finds_its_facts_with_their_evidence(card: Analysis) -> None:
    company = extract_company(card).value
    assert company.company is not None and company.company.inn == "7707083893"
    assert company.company.core == "Ромашка-Опт"
    assert company.sender is not None and company.sender.inn is not None
    requisites = extract_requisites(card, company.sender).value.taken
    assert [(r.kind, r.value) for r in requisites] == [("inn", "7707083893"), ("kpp", "773601001")]
    # every fact says where it came from: the evidence text is the text at its span
    for requisite in requisites:
        assert requisite.evidence is not None and requisite.evidence.text == requisite.value
    regions = extract_regions(card, company.sender).value
    assert regions and regions[0].code == "77" and regions[0].how == "inn"
    assert extract_country(card, company.company).value.code == "RU"
    people = extract_people(card).value
    assert [(p.name, p.role) for p in people][:2] == [("Ольга Викторовна", "addressee"), ("Громова Елизавета", "sender")]
    assert extract_purchase_law(card).value == "44-ФЗ"
    assert extract_language(card).value == "ru"


def test_nothing_found_is_none_or_empty_never_an_exception(nothing: Analysis) -> None:
    company = extract_company(nothing)
    assert company.value.company is None and company.value.mentioned == () and company.value.sender is None
    assert extract_requisites(nothing, None).value.taken == ()
    assert extract_regions(nothing, None).value == ()
    assert extract_country(nothing, None).value.code is None
    assert extract_people(nothing).value == ()
    assert extract_purchase_law(nothing).value is None


def test_notes_come_back_with_the_facts_not_through_shared_state() -> None:
    a = analysis("Оплатим по реквизитам: ИНН 7707083894\n")
    requisites = extract_requisites(a, None)
    assert requisites.value.taken == ()
    assert requisites.notes == ("ИНН 7707083894 не проходит проверку контрольных цифр — не использован",)
    ambiguous = analysis("Счёт на ИНН 7707083893, а договор на ИНН 5406248153.\n")
    assert extract_company(ambiguous).notes == ("в письме несколько ИНН без названия компании: какой из них отправителя, не ясно",)


def test_extractors_leave_the_analysis_as_it_was(card: Analysis) -> None:
    before = dataclasses.astuple(card.founds[0].segment)
    first = extract_all(card)
    assert extract_all(card) == first
    assert dataclasses.astuple(card.founds[0].segment) == before


def test_the_composition_is_what_the_extractor_returns() -> None:
    msg = parse(eml(CARD))
    assert Extractor().extract(msg, internal_domains=INTERNAL) == extract_all(analyse_mail(get_pipeline(), msg, Settings(internal=INTERNAL)))
