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


def verdict(
    body: str,
    *,
    subject: str = "Вопрос",
    sender: str = "Анна <anna@client-firm.ru>",
    pdf: bool = False,
    headers: dict[str, str] | None = None,
) -> Verdict:
    msg = EmailMessage()
    for name, value in (headers or {}).items():
        msg[name] = value
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


# --- issue 13: kinds forwarded as requests on unseen mail ------------------------------------

_DIGEST = """Здравствуйте!
{intro}

1. Поставка гофрокоробов для нужд ГБУЗ «Городская больница № 2»
Заказчик: ГБУЗ «Городская больница № 2»
НМЦК: 450 000,00 руб.
Окончание подачи заявок: 10.12.2026
Требуется поставка коробок 600х400х400, 2000 шт.

2. Упаковка картонная для столовой
Заказчик: ООО «Агроторг»
Начальная цена: 120 000 руб.
Нужно 500 коробок, доставка за счёт поставщика.

{outro}
"""


@pytest.mark.parametrize(
    ("subject", "sender", "intro", "outro"),
    [
        ("Новые тендеры за 02.12", "info@tender-watch.example", "Подборка по вашему профилю.", "Подробнее на сайте."),
        ("Закупки за 02.12", "noreply@tender-watch.example", "По вашим ключевым словам найдено 2 закупки.", ""),
        ("Дайджест закупок", "digest@tender-watch.example", "Свежие закупки:", "Отписаться: https://tender-watch.example/u"),
        ("Закупки", "mail@tenderplan.ru", "Найдено 2 закупки.", ""),
    ],
)
def test_a_tender_digest_is_skipped_though_its_listings_ask_for_goods(subject: str, sender: str, intro: str, outro: str) -> None:
    v = verdict(_DIGEST.format(intro=intro, outro=outro), subject=subject, sender=sender)
    assert not v.is_request, v.reason


def test_a_customer_writing_about_its_own_tender_is_a_request() -> None:
    body = (
        "Добрый день!\nГБУЗ «Областная больница» проводит закупку по 223-ФЗ № 32615 на поставку гофрокоробов.\n"
        "Заказчик: ГБУЗ «Областная больница». НМЦК 450 000 руб., окончание подачи заявок 10.12.2026.\n\n"
        "Лот 2: лотки, начальная цена 90 000 руб.\n\nПросим направить коммерческое предложение.\n"
    )
    assert verdict(body, subject="Закупка № 32615", sender="zakupki@oblbolnica.example").is_request
    assert verdict(body, subject="Закупка № 32615", sender="noreply@oblbolnica.example").is_request
    won = verdict("Мы выиграли тендер на поставку фруктов, нужно срочно 5000 коробок. Сколько стоит?", subject="Тендер")
    assert won.is_request and not won.doubt


PITCHES_TO_US = [
    ("We are packaging manufacturer", "Dear Sir/Madam,\nGlad to hear that you're on the market for packaging boxes.\n"
     "We are a leading manufacturer of paper boxes with 15 years of experience.\nPlease find our catalogue attached.\n"
     "If you need any packaging, please send us your inquiry.\nBest regards,\nLily"),
    ("Packaging from China", "Hello,\nThis is Tom from Xiamen Paper Co., Ltd, a professional manufacturer of corrugated cartons since 2005.\n"
     "Our advantages: factory price, fast delivery. OEM/ODM service is welcome.\nLooking forward to your reply."),
    ("Cooperation", "Dear purchasing manager,\nWe would like to introduce our company. We can offer you high quality kraft bags "
     "at competitive prices and high quality.\nFeel free to contact me. Looking forward to our cooperation."),
    ("Сотрудничество", "Здравствуйте!\nМы — производитель упаковки из Китая: коробки, пакеты, гофрокартон.\n"
     "Высылаем наш каталог. Минимальный заказ 1000 шт.\nЕсли вам нужна упаковка, пишите!"),
    ("Упаковка из Китая", "Добрый день. Наша фабрика находится в Гуанчжоу, собственное производство.\n"
     "Каталог продукции во вложении. Присылайте ваши заявки, рассчитаем быстро."),
]


@pytest.mark.parametrize(("subject", "body"), PITCHES_TO_US)
def test_a_foreign_suppliers_pitch_is_skipped_in_english_and_russian(subject: str, body: str) -> None:
    v = verdict(body, subject=subject, sender="Lily <sales@pack-factory.example>")
    assert v.kind == "offer", v.reason


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Request for quotation", "Hello,\nWe are a food manufacturer from Kazakhstan. We need 10,000 corrugated boxes 400x300x200.\n"
         "Please send your best price and lead time.\nLooking forward to your reply."),
        ("Inquiry", "Dear team, could you quote 5000 mailer boxes with our logo? Our company produces cosmetics. Thanks, John"),
        ("Boxes", "Hi, this is John from ABC Foods, a manufacturer of snacks. We are interested in your kraft boxes, how much for 2000 pcs?"),
    ],
)
def test_a_client_writing_in_english_for_a_quote_is_a_request(subject: str, body: str) -> None:
    v = verdict(body, subject=subject, sender="John <john@abc-foods.example>")
    assert v.is_request and not v.doubt, v.reason


TICKET_ACKS = [
    ("Ваше обращение зарегистрировано [#48213]", "Здравствуйте!\nВаше обращение зарегистрировано под номером 48213. Мы ответим в течение 24 часов.\n\n"
     "Текст вашего обращения:\nДобрый день, нужно 300 коробок и счёт на оплату."),
    ("Заявка №1123 принята", "Мы зарегистрировали ваше обращение. Специалист свяжется с вами.\n----------\nНужно срочно 300 коробок, прошу счёт."),
    ("[Ticket#2026120210000123] Коробки", "Спасибо за обращение! Вашей заявке присвоен номер 1123.\nТема: Нужны коробки 40х30х30\n"),
    ("Re: Коробки", "Your request #5521 has been received. Our team will reply shortly.\nYour message: we need 500 boxes, please quote."),
]


@pytest.mark.parametrize(("subject", "body"), TICKET_ACKS)
def test_a_ticket_systems_auto_acknowledgement_quoting_the_request_is_skipped(subject: str, body: str) -> None:
    v = verdict(body, subject=subject, sender="support@helpdesk.example", headers={"Auto-Submitted": "auto-replied"})
    assert v.kind == "auto_reply", v.reason
    # Without the header: the acknowledgement and the robot's wording together.
    bare = verdict(body + "\nЭто письмо сформировано автоматически.", subject=subject, sender="support@helpdesk.example")
    assert not bare.is_request, bare.reason


def test_an_acknowledgement_told_by_its_subject_alone_with_a_request_quoted_is_a_request() -> None:
    """Only a header marks a ticket system's acknowledgement: a subject that merely
    contains «(заголовок» (the reason quotes it) is no header."""
    body = "Ваше обращение зарегистрировано под номером 48213. Нужно 300 коробок, прошу выставить счёт."
    v = verdict(body, subject="Автоответ (заголовок: коробки)", sender="support@helpdesk.example")
    assert v.is_request, v.reason


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Re: Ваше обращение зарегистрировано [#48213]", "Спасибо. Добавьте, пожалуйста, ещё 200 коробок и выставьте счёт.\n\n"
         "02.12.2026 10:00, sales@severkarton.test пишет:\n> Ваше обращение зарегистрировано под номером 48213.\n"),
        ("Re: Автоответ", "Ваше обращение зарегистрировано, а ответа нет. Нужно 300 коробок к пятнице."),
        ("Обращение № 5521", "Добрый день. Номер обращения 5521 — до сих пор нет ответа. Прошу ускорить отгрузку 300 коробок."),
        ("Наша заявка №77", "По нашей заявке № 77 нужно 400 лотков, пришлите счёт."),
    ],
)
def test_a_client_replying_to_an_acknowledgement_or_citing_its_ticket_is_a_request(subject: str, body: str) -> None:
    v = verdict(body, subject=subject)
    assert v.is_request and not v.doubt, v.reason


@pytest.mark.parametrize(
    ("subject", "body", "sender"),
    [
        ("Уведомление о поступлении документа", "В системе ЭДО для ООО «Северный картон» поступил документ «Акт сверки» от ООО «Ромашка».\n"
         "Необходимо подписать документ. Для просмотра перейдите по ссылке: https://edo.example/doc/1", "edo@operator.example"),
        ("Акт сверки в системе ЭДО", "Вам поступил акт сверки от АО «Поставщик». Требуется ваша подпись. Открыть документ: https://edo.example/x",
         "noreply@edo-lite.example"),
        ("Документ ожидает подписи", "Контрагент ООО «Ромашка» направил вам документ «УПД № 15». Документ ожидает вашей подписи.\n"
         "Письмо сформировано автоматически.", "robot@edo.example"),
    ],
)
def test_an_edo_operators_notice_is_skipped(subject: str, body: str, sender: str) -> None:
    v = verdict(body, subject=subject, sender=sender)
    assert not v.is_request, v.reason


def test_a_client_sending_a_reconciliation_act_through_edo_is_not_skipped() -> None:
    asks = verdict("Направляем акт сверки через ЭДО, просим подписать. И нужно 200 коробок в декабре, пришлите счёт.", subject="Акт")
    assert asks.is_request and not asks.doubt
    only_act = verdict("Направили акт сверки через ЭДО, просим подписать.", subject="Акт сверки")
    assert only_act.is_request  # at most a warning: one sign is no robot


@pytest.mark.parametrize(
    ("body", "sender"),
    [
        ("Уважаемый клиент!\nИнформируем об изменении тарифов на расчётно-кассовое обслуживание. "
         "Необходимо ознакомиться с условиями в интернет-банке.\nНе отвечайте на это письмо.", "info@bank-example.ru"),
        ("Уважаемые клиенты! Платёж № 554 исполнен. Выписка по счёту доступна в интернет-банке.", "noreply@bank-example.ru"),
    ],
)
def test_a_banks_notice_is_skipped(body: str, sender: str) -> None:
    v = verdict(body, subject="Уведомление", sender=sender)
    assert v.kind == "spam", v.reason


@pytest.mark.parametrize(
    "body",
    [
        "Направляем счёт на оплату № 1532 от 02.12.2026. Просим оплатить до конца недели.\nСчёт доступен по ссылке: http://docs.example.top/i",
        "Добрый день. Оплатите счёт № 77 от 01.12 — скачать счёт: https://bit.example/x",
        "Счёт к оплате сформирован, просмотреть документ: http://pay.example.top/doc",
    ],
)
def test_a_phishing_invoice_asking_to_pay_is_skipped(body: str) -> None:
    v = verdict(body, subject="Счёт на оплату", sender="buh@unknown-firm.example")
    assert v.kind == "spam" and "фишинг" in v.reason, v.reason
