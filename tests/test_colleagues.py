"""Two outside writers of one thread are one party when one names the other by first name
(extract.domains.colleagues): a director's request forwarded by the buyer who was told to
order («Алсу, закажи …»), inline or attached as message/rfc822; a bookkeeper's reply
about the quoted author («Ильдар Маратович в командировке»). Their INN and company are the
sender's; a forwarded or quoted stranger's stay someone else's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fixtures.extract.build import eml, inn10

from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse

INTERNAL = ("severkarton.test",)
INN = inn10("165069054")


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _inline(note: str, original_from: str, original: str) -> bytes:
    body = f"{note}\n\n-------- Пересылаемое сообщение --------\n10.07.2025, 18:02, {original_from}:\n\n{original}\n\n-------- Конец пересылаемого сообщения --------"
    return eml(body, frm="Алсу <alsu.zakup@yandex.ru>", subject="Fwd: упаковка")


def _attached(note: str, original_from: str, original: str) -> bytes:
    inner = eml(original, frm=original_from, to="alsu.zakup@yandex.ru", subject="упаковка")
    return eml(note, frm="Алсу <alsu.zakup@yandex.ru>", subject="Fwd: упаковка", forwarded=inner)


ORDER = [
    f"Алсу, закажи у Северного Картона лотки 600х400 — 15 тыс.\nСчёт на нас, ООО «Челнинский хлебокомбинат», ИНН {INN}.\n\nР. Гайнуллин",
    f"Добрый вечер, Алсу! Оформи, пожалуйста, заказ на стрейч, 20 рулонов.\nООО «Челнинский хлебокомбинат»\nИНН {INN}",
    f"Алсу Ринатовна, нужен счёт на пакеты 40 тыс. Реквизиты: ООО «Челнинский хлебокомбинат», ИНН {INN}.",
]


@pytest.mark.parametrize("original", ORDER)
@pytest.mark.parametrize("build", [_inline, _attached], ids=["inline", "rfc822"])
def test_a_forwarded_request_that_names_the_forwarder_is_the_sender_s(extractor: Extractor, build: Callable[[str, str, str], bytes], original: str) -> None:
    raw = build("Добрый день! Пересылаю заявку директора, прошу выставить счёт.\n\nАлсу Мингазова", '"Гайнуллин Рустам" <director@chelny-hleb.ru>', original)
    facts = extractor.extract(parse(raw), internal_domains=INTERNAL)
    assert facts.company is not None and facts.company.inn == INN
    assert "Челнинский хлебокомбинат" in facts.company.name


@pytest.mark.parametrize("build", [_inline, _attached], ids=["inline", "rfc822"])
def test_a_forwarded_stranger_s_letter_stays_someone_else_s(extractor: Extractor, build: Callable[[str, str, str], bytes]) -> None:
    """The original is another company's offer: it does not name the forwarder."""
    original = f"Добрый день! Предлагаем поставку лотков.\nООО «Лоток-Сервис», ИНН {INN}\nМенеджер Ольга"
    raw = build("Посмотрите, пожалуйста, цены конкурента, нужны такие же лотки.\n\nАлсу Мингазова", '"Ольга" <olga@lotok-servis.ru>', original)
    facts = extractor.extract(parse(raw), internal_domains=INTERNAL)
    assert facts.company is None or facts.company.inn != INN


def _reply(new: str, quoted_from: str) -> bytes:
    quote = "\n".join(f"> {line}" for line in f"Добрый день.\nООО «УФК», нужны коробки под банку 0,5 л — 6 000 шт.\nИНН {INN}\n\nГалиев Ильдар".split("\n"))
    body = f"{new}\n\nвт, 10 июн. 2025 г. в 15:00, {quoted_from}:\n{quote}"
    return eml(body, frm="Резеда <rezeda.buh@mail.ru>", subject="Re: Запрос: коробки")


@pytest.mark.parametrize(
    "new",
    [
        "Добрый день!\nЯ бухгалтер, Ильдар Маратович сейчас в командировке. Будет ли счёт? Реквизиты те же.\n\nРезеда",
        "Здравствуйте. Ильдар просил узнать, когда будет счёт по этому запросу.\nРезеда, бухгалтерия",
        "Добрый день, за Ильдара отвечаю я: счёт, пожалуйста, на те же реквизиты.\nРезеда",
    ],
)
def test_a_reply_about_the_quoted_colleague_takes_the_quoted_requisites(extractor: Extractor, new: str) -> None:
    facts = extractor.extract(parse(_reply(new, "Ильдар Галиев <galiev.ildar@bk.ru>")), internal_domains=INTERNAL)
    assert facts.company is not None and facts.company.inn == INN and "УФК" in facts.company.name


def test_a_reply_that_does_not_name_the_quoted_author_keeps_them_apart(extractor: Extractor) -> None:
    new = "Добрый день! Будет ли счёт по этому запросу?\n\nРезеда"
    facts = extractor.extract(parse(_reply(new, "Ильдар Галиев <galiev.ildar@bk.ru>")), internal_domains=INTERNAL)
    assert facts.company is None or facts.company.inn != INN
