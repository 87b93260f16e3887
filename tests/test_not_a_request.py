"""Not-a-request as a scored decision with named signals: pitches to us, robots' notices,
no-reply senders, phishing invoices. Asymmetric: skip only on strong signals; a client
describing what it makes while asking for our goods is a request; a weak sign forwards
the mail with a warning line."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from inboxbot.mail.classify import Verdict, classify
from inboxbot.mail.message import parse
from inboxbot.mail.signals import SKIP, total

SETTINGS = {
    "internal_domains": ("severkarton.test",),
    "bot_addresses": ("sales-bot@severkarton.test",),
    "loop_headers": ("X-Inboxbot",),
}


def verdict(body: str, *, subject: str = "Вопрос", sender: str = "Анна <anna@client-firm.ru>", pdf: bool = False) -> Verdict:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sales@severkarton.test"
    msg["Subject"] = subject
    msg["Message-ID"] = "<t@client-firm.ru>"
    msg.set_content(body)
    if pdf:
        msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="schet.pdf")
    return classify(parse(msg.as_bytes()), **SETTINGS)  # type: ignore[arg-type]


CLIENT_DESCRIBES_ITSELF = [
    "Добрый день! Мы производим сыр, нужна упаковка: коробки 300х200х100, 2000 шт.",
    "Здравствуйте. Мы производим мясные полуфабрикаты. Интересует стоимость лотков, пришлите цены.",
    "Наша компания занимается выпечкой. Требуется гофрокороб под торты, какая цена на 500 шт?",
    "Мы являемся производителем мёда. Подскажите, есть ли в наличии банки и крышки?",
    "We manufacture candles and need 1000 boxes, please quote.",
]


@pytest.mark.parametrize("body", CLIENT_DESCRIBES_ITSELF)
def test_client_describing_its_production_while_asking_is_a_request(body: str) -> None:
    v = verdict(body, subject="Упаковка")
    assert v.is_request
    assert not v.doubt


PITCHES = [
    ("Предлагаем услуги грузоперевозки по России. Стоимость от 30 руб/км.", "Сотрудничество"),
    ("Мы производим стрейч-плёнку. Направляем вам наш прайс-лист во вложении.", "Прайс"),
    ("Наша компания предлагает подбор персонала для вашего склада.", "Кадры"),
    ("Приглашаем вас на вебинар по продажам упаковки.", "Вебинар"),
]


@pytest.mark.parametrize(("body", "subject"), PITCHES)
def test_pitch_to_us_is_skipped_with_its_signals_listed(body: str, subject: str) -> None:
    v = verdict(body, subject=subject)
    assert v.kind == "offer"
    assert total(v.signals) >= SKIP
    assert "признаки:" in v.reason and v.signals[0].name in v.reason


def test_a_bare_self_description_is_forwarded_with_a_warning() -> None:
    v = verdict("Добрый день. Мы производим гофрокартон в Твери.", subject="Знакомство")
    assert v.is_request
    assert v.doubt.startswith("возможно, не заявка: описание своего производства")


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        ("Ваше обращение № 48213 зарегистрировано. Не отвечайте на это письмо.", "noreply@support.example.ru"),
        ("Уведомление о поступлении документа от ООО «Ромашка». Письмо сформировано автоматически.", "robot@edo-operator.example"),
        ("Протокол подведения итогов по закупке № 0123 размещён.", "notify@etp.example"),
        ("Обращение зарегистрировано, номер обращения 5521.", "support@okdesk.ru"),
    ],
)
def test_robot_notices_are_skipped(body: str, sender: str) -> None:
    v = verdict(body, sender=sender, subject="Уведомление")
    assert v.kind == "spam" and total(v.signals) >= SKIP, v.reason


def test_a_no_reply_sender_alone_is_not_enough() -> None:
    # Site forms often send from noreply@: the client's words decide.
    v = verdict("Имя: Олег\nСообщение: нужны коробки 40х30х30, 500 шт.", sender="noreply@client-site.ru", subject="Форма")
    assert v.is_request and not v.doubt
    bare = verdict("Новое сообщение с сайта.", sender="noreply@client-site.ru", subject="Форма")
    assert bare.is_request and bare.doubt.startswith("возможно, не заявка: адрес робота")


@pytest.mark.parametrize(
    "body",
    [
        "Счёт на оплату № 1532 от 02.12. Скачать счёт: https://invoice-view.example/doc?id=1",
        "Уважаемый клиент! Оплатите счёт по ссылке http://pay.example.top/x до конца дня.",
    ],
)
def test_phishing_invoice_with_a_link_is_skipped(body: str) -> None:
    v = verdict(body, subject="Счёт на оплату", sender="buh@unknown-firm.example")
    assert v.kind == "spam" and "фишинг" in v.reason


def test_an_invoice_with_a_pdf_is_no_phishing_and_a_client_asking_for_one_is_a_request() -> None:
    assert verdict("Счёт на оплату № 15 во вложении. Подробности: https://firm.example", pdf=True).kind != "spam"
    assert verdict("Выставьте, пожалуйста, счёт на оплату, реквизиты на сайте https://client.example").is_request


def test_the_warning_line_reaches_the_decision() -> None:
    from samples import RULES

    from inboxbot.model.facts import Facts
    from inboxbot.route.decide import decide
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import memory_store

    msg = EmailMessage()
    msg["From"] = "Анна <anna@client-firm.ru>"
    msg["To"] = "sales@severkarton.test"
    msg["Subject"] = "Знакомство"
    msg["Date"] = "Wed, 02 Dec 2026 10:00:00 +0300"
    msg.set_content("Добрый день. Мы производим гофрокартон в Твери.")
    decision = decide(parse(msg.as_bytes()), Facts(), load_rules(RULES), memory_store().history)
    assert decision.action != "skip"
    assert any(r.startswith("возможно, не заявка: описание своего производства") for r in decision.reasons)
