"""«для ООО „X“ (ИНН …)» in a request (extract.context): a bare «для» with the company's
INN is the payer the writer buys for — their own company; a third party comes with its
noun («для нашего заказчика», «для клиента», «для конечного покупателя») and stays a
mentioned company, its INN not the sender's."""

from __future__ import annotations

import pytest
from fixtures.extract.build import eml, inn10

from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse

INN = inn10("771234567")


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.mark.parametrize(
    "line",
    [
        f"Нужны коробки для ООО «Ромашка» (ИНН {INN}), счёт на них.",
        f"Нужны коробки 500 шт. для ООО «Ромашка», ИНН {INN}.",
        f"Закупаем стрейч для АО «Ромашка» — ИНН {INN}, оплата по счёту.",
        f"Прошу выставить счёт для ООО «Ромашка» (ИНН {INN}).",
    ],
)
def test_the_company_the_writer_buys_for_with_its_inn_is_theirs(extractor: Extractor, line: str) -> None:
    facts = extractor.extract(parse(eml(f"Добрый день!\n{line}\nАнна", frm="Анна <anna@mail.ru>")), internal_domains=("severkarton.test",))
    assert facts.company is not None and "Ромашка" in facts.company.name and facts.company.inn == INN


@pytest.mark.parametrize(
    "line",
    [
        f"Мы дилер, нужны коробки для нашего заказчика ООО «Ромашка» (ИНН {INN}).",
        f"Нужны коробки для клиента ООО «Ромашка» (ИНН {INN}), доставка к ним.",
        f"Нужны коробки для конечного покупателя ООО «Ромашка», ИНН {INN}.",
        "Нужны коробки для ООО «Ромашка», как в прошлый раз.",  # no INN: nothing says whose
    ],
)
def test_a_third_party_or_a_bare_mention_is_not_the_sender(extractor: Extractor, line: str) -> None:
    facts = extractor.extract(parse(eml(f"Добрый день!\n{line}\nАнна", frm="Анна <anna@mail.ru>")), internal_domains=("severkarton.test",))
    assert facts.company is None or facts.company.inn != INN
