"""Splitting a mail's text into new text, signature, quoted history and a forwarded original."""

from __future__ import annotations

import pytest

from inboxbot.mail.textparts import parse_address, split_text

CASES = [
    # (id, text, subject, new text ends with, signature starts with or None, quote starts with or None)
    (
        "closing-formula",
        "Добрый день!\nНужны короба.\n\nС уважением,\nИван Петров\nООО «Ромашка»",
        "",
        "Нужны короба.",
        "С уважением,",
        None,
    ),
    (
        "dash-dash-space",
        "Нужна плёнка.\n-- \nООО «Вектор»\nтел. 8 (812) 300-00-00",
        "",
        "Нужна плёнка.",
        "-- ",
        None,
    ),
    (
        "bare-name-after-body",
        "Выставьте счёт на короба. Реквизиты во вложении.\nИрина",
        "",
        "Реквизиты во вложении.",
        "Ирина",
        None,
    ),
    (
        "trailing-block-no-closing",
        "Добрый день!\n\nНужны лотки 600х400.\nДоставка в Тулу, ул. Демонстрации, 8.\n\nГромова Елизавета\nменеджер по закупкам\n8 (4872) 25-61-30",
        "",
        "ул. Демонстрации, 8.",
        "Громова Елизавета",
        None,
    ),
    (
        "single-line-thanks-is-body",
        "Здравствуйте. Скотч 48х66 — 20 коробок. Счёт на ИНН 5406248153. Спасибо.",
        "",
        "Спасибо.",
        None,
        None,
    ),
    (
        "outlook-quote",
        "Согласны.\n\nС уважением,\nСергей\n\nОт: Сидоров Алексей <a.sidorov@severkarton.test>\nОтправлено: 25 июля 2025 г. 15:10\nКому: Сергей <s@x.ru>\nТема: КП\n\nСергей, добрый день!",
        "RE: КП",
        "Согласны.",
        "С уважением,",
        "От: Сидоров Алексей",
    ),
    (
        "english-outlook-quote",
        "Agreed, please invoice.\n\nFrom: Olga Smirnova <o.smirnova@severkarton.test>\nSent: Monday, July 7, 2025 10:00\nTo: buyer@firm.uz\nSubject: Offer\n\nDear Bekzod,",
        "RE: Offer",
        "Agreed, please invoice.",
        None,
        "From: Olga Smirnova",
    ),
    (
        "original-message-marker",
        "Ок, ждём.\n\n-----Original Message-----\nFrom: a@b.ru\nSent: Monday\n\nтекст",
        "",
        "Ок, ждём.",
        None,
        "-----Original Message-----",
    ),
    (
        "on-wrote",
        "Thanks!\n\nOn Mon, 7 Jul 2025 at 10:00, Olga Smirnova <o.smirnova@severkarton.test> wrote:\n> Dear Bekzod,",
        "",
        "Thanks!",
        None,
        "On Mon, 7 Jul 2025",
    ),
    (
        "gmail-russian",
        "Подтверждаю заказ.\n\nпн, 1 июл. 2025 г. в 11:48, Ольга Смирнова <o.smirnova@severkarton.test>:\n> Добрый день!",
        "",
        "Подтверждаю заказ.",
        None,
        "пн, 1 июл. 2025 г. в 11:48",
    ),
    (
        "yandex-russian",
        'Да, верно.\n\n01.07.2025, 11:48, "Ольга Смирнова" <o.smirnova@severkarton.test>:\n> Добрый день!',
        "",
        "Да, верно.",
        None,
        "01.07.2025, 11:48",
    ),
    (
        "chevron-only",
        "Присылайте.\n> старый текст\n> ещё",
        "",
        "Присылайте.",
        None,
        "> старый текст",
    ),
    (
        "sent-from-iphone",
        "Нужен счёт на 10 рулонов.\n\nОтправлено с iPhone",
        "",
        "Нужен счёт на 10 рулонов.",
        "Отправлено с iPhone",
        None,
    ),
    (
        "crlf",
        "Добрый день!\r\nНужны ящики.\r\n\r\nС уважением,\r\nМарина\r\n",
        "",
        "Нужны ящики.",
        "С уважением,",
        None,
    ),
    ("empty", "", "", "", None, None),
]


@pytest.mark.parametrize(("text", "subject", "new_end", "sig_start", "quote_start"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_split(text: str, subject: str, new_end: str, sig_start: str | None, quote_start: str | None) -> None:
    parts = split_text(text, subject)
    assert parts.new_text.endswith(new_end), parts
    if sig_start is None:
        assert parts.signature is None, parts.signature_text
    else:
        assert parts.signature is not None and parts.signature.of(text).startswith(sig_start), parts.signature_text
    if quote_start is None:
        assert not parts.quotes
    else:
        assert parts.quotes and parts.quotes[0].part.of(text).startswith(quote_start)
    # Spans are offsets into the original text, in order, not overlapping.
    assert 0 <= parts.new.start <= parts.new.end <= len(text)
    if parts.signature:
        assert parts.new.end <= parts.signature.start <= parts.signature.end <= len(text)


def test_quote_author_is_read() -> None:
    parts = split_text(CASES[5][1], "RE: КП")
    author = parts.quotes[0].author
    assert author is not None and author.email == "a.sidorov@severkarton.test"


@pytest.mark.parametrize(
    ("text", "subject", "sender", "fwd_subject", "body_start", "sig_start"),
    [
        (
            (
                "Пришло на info@, пересылаю.\n\nАнастасия\n\n-------- Пересылаемое сообщение --------\nТема: упаковка\nДата: Tue, 1 Jul 2025 11:48:30 +0300\n"
                "От: Егор Смолин <smolin.egor@yandex.ru>\nКому: info@severkarton.test\n\nДобрый день. Пришлите прайс.\n\nЕгор Смолин\nООО «Северная мебель»\nтел. (8172) 21-60-93"
            ),
            "Fwd: упаковка",
            "smolin.egor@yandex.ru",
            "упаковка",
            "Добрый день. Пришлите прайс.",
            "Егор Смолин",
        ),
        (
            "FYI\n\n---------- Forwarded message ---------\nFrom: Рустам Галиев <galiev@ufa-moloko.ru>\nDate: Tue, 1 Jul 2025 at 11:48\nSubject: Лотки\nTo: <info@severkarton.test>\n\nНужны лотки.\n\nС уважением,\nРустам",
            "Fwd: Лотки",
            "galiev@ufa-moloko.ru",
            "Лотки",
            "Нужны лотки.",
            "С уважением,",
        ),
        (
            "Это к вам.\n\nОт: Глеб <gleb@ugol.ru>\nОтправлено: 3 июля 2025 г. 9:12\nКому: info@severkarton.test\nТема: мешки\n\nНужны мешки.",
            "Fwd: мешки",
            "gleb@ugol.ru",
            "мешки",
            "Нужны мешки.",
            None,
        ),
        (
            "Begin forwarded message:\n\nFrom: Jan <jan@firm.lv>\nSubject: Order\nDate: 1 July 2025\n\nWe need boxes.",
            "Fw: Order",
            "jan@firm.lv",
            "Order",
            "We need boxes.",
            None,
        ),
    ],
)
def test_forwarded_original(text: str, subject: str, sender: str, fwd_subject: str, body_start: str, sig_start: str | None) -> None:
    parts = split_text(text, subject)
    fw = parts.forwarded
    assert fw is not None
    assert fw.sender is not None and fw.sender.email == sender
    assert fw.subject == fwd_subject
    assert fw.body.new_text.startswith(body_start)
    if sig_start:
        assert fw.body.signature_text.startswith(sig_start)
    assert not parts.quotes  # a forward is not quoted history


def test_reply_with_outlook_block_is_a_quote_not_a_forward() -> None:
    text = "Спасибо!\n\nОт: Иван <i@x.ru>\nОтправлено: 1 июля\nКому: sales@severkarton.test\nТема: заказ\n\nЗаказ во вложении."
    parts = split_text(text, "RE: заказ")
    assert parts.forwarded is None and parts.quotes


@pytest.mark.parametrize(
    ("value", "name", "email"),
    [
        ("Егор Смолин <smolin.egor@yandex.ru>", "Егор Смолин", "smolin.egor@yandex.ru"),
        ("Smolin Egor [mailto:Smolin@Firm.ru]", "Smolin Egor", "smolin@firm.ru"),
        ("smolin@firm.ru", "", "smolin@firm.ru"),
        ('"Иванов, Иван" <i@x.ru>', "Иванов, Иван", "i@x.ru"),
    ],
)
def test_parse_address(value: str, name: str, email: str) -> None:
    addr = parse_address(value)
    assert addr is not None and addr.name == name and addr.email == email


def test_parse_address_without_email() -> None:
    assert parse_address("Егор Смолин") is None


def test_never_raises_on_odd_text() -> None:
    for text in ("\n" * 1000, ">" * 10_000, "От: \nКому:\n" * 500, "С уважением," * 2000, "\x00\ufffd" * 100):
        split_text(text, "Fwd: x")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("02.07.2025 14:50, Голубев Артём пишет:", "Голубев Артём"),
        ("1 июля 2025 г., 11:48 пользователь Иван Петров написал:", "Иван Петров"),
        ("On Mon, 1 Jul 2025 at 11:48, John Smith wrote:", "John Smith"),
        ("02.07.2025, 14:50, Голубев Артём написал(а):", "Голубев Артём"),
        ("Вы писали:", ""),  # no name: nobody
    ],
)
def test_an_address_less_quote_header_names_its_writer(header: str, name: str) -> None:
    text = f"Где счёт?\n\n{header}\n> Прошу рассчитать плёнку.\n> Голубев Артём\n"
    parts = split_text(text, "Re: плёнка")
    assert [q.author_name for q in parts.quotes] == [name]
