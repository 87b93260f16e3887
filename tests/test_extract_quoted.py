"""The sender's facts in the sender's own words that sit in the quoted history or in a
forwarded original:

* a reply whose quote holds the client's OWN earlier mail (same address, or the same
  company domain) — its INN, company and region are the sender's; a quote of our manager
  or of a third party stays excluded, and on free mail only the very same address counts;
* a request forwarded INSIDE the client's company (a colleague forwards the director's
  letter with a short note): the original's facts are the sender's.

Each layout is one mail client's header (Outlook, Outlook Express/The Bat, Thunderbird,
Gmail, Mail.ru, Yandex; Russian and English). Companies, INNs and domains are fictional.
"""

from __future__ import annotations

import html

import pytest
from fixtures.extract.build import eml, inn10

from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse
from inboxbot.mail.textparts import split_text
from inboxbot.model.facts import Facts

INTERNAL = ("severkarton.test",)
OWN_NAME = ("ТД «Северный Картон», отдел продаж",)

CLIENT_INN = inn10("540712345")  # Novosibirsk (54)
OTHER_INN = inn10("662512345")  # a third party in Sverdlovsk (66)
OUR_INN = inn10("352512345")  # our company, Vologda (35)
CLIENT = "Иван Котов <kotov@sibtara-nsk.ru>"
DIRECTOR = "Сергей Белов <director@sibtara-nsk.ru>"
MANAGER = "Петров Дмитрий <d.petrov@severkarton.test>"

ORIGINAL = (
    "Добрый день! Просим рассчитать гофрокороба 600х400х400, 3000 шт.\n"
    "Доставка в Новосибирск.\n\n"
    "С уважением,\nИван Котов\nООО «Сибирская Тара»\n"
    f"ИНН {CLIENT_INN}\nг. Новосибирск, ул. Станционная, 30"
)
OUR_LETTER = (
    "Иван, добрый день! Цена 48 руб./шт., счёт пришлём после подтверждения.\n\n"
    f"С уважением,\nПетров Дмитрий\nТД «Северный Картон»\nИНН {OUR_INN}\nг. Вологда"
)
REPLY = "Добрый день! Подтверждаем, выставляйте счёт.\n\nИван"


def _chevron(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _facts(extractor: Extractor, raw: bytes) -> Facts:
    return extractor.extract(parse(raw), internal_domains=INTERNAL, own_company_names=OWN_NAME)


def _assert_client(facts: Facts) -> None:
    assert facts.company is not None, facts.notes
    assert facts.company.inn == CLIENT_INN, (facts.company, facts.notes)
    assert "Сибирская Тара" in (facts.company.name or ""), facts.company
    assert facts.region is not None and facts.region.code == "54", facts.region


# --- (a) the client's own earlier mail in the quote --------------------------------------------

def _outlook_express(author: str, body: str) -> str:
    return f"----- Original Message -----\nFrom: {author}\nTo: sales@severkarton.test\nSent: Monday, July 01, 2025 11:48 AM\nSubject: Коробки\n\n{_chevron(body)}"


def _outlook_ru(author: str, body: str) -> str:
    return f"От: {author}\nОтправлено: 1 июля 2025 г. 11:48\nКому: sales@severkarton.test\nТема: Коробки\n\n{body}"


def _outlook_en(author: str, body: str) -> str:
    return f"From: {author}\nSent: Tuesday, July 1, 2025 11:48 AM\nTo: sales@severkarton.test\nSubject: RE: Коробки\n\n{body}"


def _gmail_ru(author: str, body: str) -> str:
    return f"вт, 1 июл. 2025 г. в 11:48, {author}:\n\n{_chevron(body)}"


def _gmail_en(author: str, body: str) -> str:
    return f"On Tue, 1 Jul 2025 at 11:48, {author} wrote:\n\n{_chevron(body)}"


def _thunderbird_ru(author: str, body: str) -> str:
    address = author.split("<")[1].rstrip(">")
    return f"01.07.2025 11:48, {address} пишет:\n{_chevron(body)}"


def _mailru(author: str, body: str) -> str:
    return f"Вторник, 1 июля 2025, 11:48 +03:00 от {author}:\n\n{_chevron(body)}"


QUOTE_LAYOUTS = {
    "outlook-express": _outlook_express, "outlook-ru": _outlook_ru, "outlook-en": _outlook_en,
    "gmail-ru": _gmail_ru, "gmail-en": _gmail_en, "thunderbird-ru": _thunderbird_ru, "mailru": _mailru,
}


@pytest.mark.parametrize("layout", sorted(QUOTE_LAYOUTS))
def test_own_earlier_mail_quoted_directly(extractor: Extractor, layout: str) -> None:
    """«Подтверждаем» over the client's own first letter: its signature is the sender's."""
    quote = QUOTE_LAYOUTS[layout](CLIENT, ORIGINAL)
    _assert_client(_facts(extractor, eml(f"{REPLY}\n\n{quote}", frm=CLIENT, subject="Re: Коробки")))


@pytest.mark.parametrize(("outer", "inner"), [
    ("outlook-ru", "outlook-ru"), ("outlook-en", "outlook-express"), ("gmail-ru", "gmail-ru"),
    ("mailru", "mailru"), ("thunderbird-ru", "gmail-en"), ("outlook-en", "outlook-en"),
    ("outlook-express", "outlook-express"), ("gmail-en", "gmail-en"), ("gmail-ru", "outlook-ru"),
])
def test_own_mail_under_our_managers_quote(extractor: Extractor, outer: str, inner: str) -> None:
    """Reply → our manager's answer (our INN) → the client's first letter (its INN): the
    nested quote of the client is the client's, ours stays ours."""
    ours = f"{OUR_LETTER}\n\n{QUOTE_LAYOUTS[inner](CLIENT, ORIGINAL)}"
    raw = eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[outer](MANAGER, ours)}", frm=CLIENT, subject="Re: Коробки")
    facts = _facts(extractor, raw)
    _assert_client(facts)
    assert OUR_INN not in {r.value for r in facts.requisites if r.kind == "inn"} or facts.company.inn != OUR_INN


@pytest.mark.parametrize(("header", "own"), [("Котов Иван", True), ("Иван Котов", True), ("Олег Смирнов", False), ("Иван", False)])
def test_an_outlook_header_without_an_address_counts_by_the_senders_full_name(extractor: Extractor, header: str, own: bool) -> None:
    """Outlook writes «От: Котов Иван» for someone in its address book: the sender's own
    name (any order, two words at least) makes the letter the sender's."""
    for layout in (_outlook_ru, _outlook_en):
        nested = f"{OUR_LETTER}\n\n{layout(header, ORIGINAL)}"
        facts = _facts(extractor, eml(f"{REPLY}\n\n{_outlook_en(MANAGER, nested)}", frm=CLIENT, subject="Re: Коробки"))
        if own:
            _assert_client(facts)
        else:
            assert facts.company is None or facts.company.inn != CLIENT_INN, facts.company


@pytest.mark.parametrize("layout", ["outlook-ru", "gmail-ru", "mailru"])
def test_a_colleague_at_the_same_company_domain_counts(extractor: Extractor, layout: str) -> None:
    """The director wrote first, the buyer replies from the same company domain."""
    quote = QUOTE_LAYOUTS[layout](DIRECTOR, ORIGINAL)
    _assert_client(_facts(extractor, eml(f"{REPLY}\n\n{quote}", frm=CLIENT, subject="Re: Коробки")))


@pytest.mark.parametrize("layout", ["outlook-ru", "gmail-en", "outlook-express"])
def test_free_mail_needs_the_same_address(extractor: Extractor, layout: str) -> None:
    sender = "Иван Котов <kotov.ivan@mail.ru>"
    same = eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[layout](sender, ORIGINAL)}", frm=sender, subject="Re: Коробки")
    _assert_client(_facts(extractor, same))
    # The same address under our manager's answer.
    nested = f"{OUR_LETTER}\n\n{QUOTE_LAYOUTS[layout](sender, ORIGINAL)}"
    _assert_client(_facts(extractor, eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[layout](MANAGER, nested)}", frm=sender, subject="Re: Коробки")))
    # Another mail.ru user's letter quoted: its INN is not the sender's.
    other = eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[layout]('Олег <oleg.sib@mail.ru>', ORIGINAL)}", frm=sender, subject="Re: Коробки")
    facts = _facts(extractor, other)
    assert facts.company is None or facts.company.inn != CLIENT_INN, facts.company


@pytest.mark.parametrize("layout", ["outlook-ru", "gmail-ru", "outlook-express"])
def test_third_party_and_our_quotes_stay_excluded(extractor: Extractor, layout: str) -> None:
    third = ORIGINAL.replace(CLIENT_INN, OTHER_INN).replace("Сибирская Тара", "Уральский Упак")
    raw = eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[layout]('Поставщик <sales@uralupak.ru>', third)}", frm=CLIENT, subject="Re: Коробки")
    facts = _facts(extractor, raw)
    assert facts.company is None or facts.company.inn != OTHER_INN, facts.company
    raw = eml(f"{REPLY}\n\n{QUOTE_LAYOUTS[layout](MANAGER, OUR_LETTER)}", frm=CLIENT, subject="Re: Коробки")
    facts = _facts(extractor, raw)
    assert facts.company is None or facts.company.inn != OUR_INN, facts.company


# --- (b) a request forwarded inside the client's company ---------------------------------------

NOTE = "Коллеги, добрый день! Пересылаю запрос нашего директора, прошу ответить мне.\n\nАнна Лисина, закупки"


def _fw_gmail(author: str, body: str) -> str:
    return f"---------- Forwarded message ---------\nFrom: {author}\nDate: Tue, 1 Jul 2025 at 11:48\nSubject: Коробки\nTo: Анна <lisina@sibtara-nsk.ru>\n\n{body}"


def _fw_yandex(author: str, body: str) -> str:
    return f"-------- Пересылаемое сообщение --------\n01.07.2025, 11:48, {author}:\n\n{body}\n\n-------- Конец пересылаемого сообщения --------"


def _fw_mailru(author: str, body: str) -> str:
    return (f"-------- Пересылаемое сообщение --------\nОт кого: {author}\nКому: Анна <lisina@sibtara-nsk.ru>\n"
            f"Дата: Вторник, 1 июля 2025, 11:48 +03:00\nТема: Коробки\n\n{body}")


def _fw_outlook_ru(author: str, body: str) -> str:
    return f"От: {author}\nОтправлено: 1 июля 2025 г. 11:48\nКому: Лисина Анна <lisina@sibtara-nsk.ru>\nТема: Коробки\n\n{body}"


def _fw_outlook_en(author: str, body: str) -> str:
    return f"-----Original Message-----\nFrom: {author}\nSent: Tuesday, July 1, 2025 11:48 AM\nTo: Lisina Anna <lisina@sibtara-nsk.ru>\nSubject: Коробки\n\n{body}"


def _fw_thunderbird(author: str, body: str) -> str:
    return f"-------- Forwarded Message --------\nSubject: \tКоробки\nDate: \tTue, 1 Jul 2025 11:48:00 +0700\nFrom: \t{author}\nTo: \tlisina@sibtara-nsk.ru\n\n{body}"


def _fw_apple(author: str, body: str) -> str:
    return f"Begin forwarded message:\n\nFrom: {author}\nSubject: Коробки\nDate: 1 July 2025 at 11:48:00 GMT+7\nTo: lisina@sibtara-nsk.ru\n\n{body}"


def _fw_outlook_original_ru(author: str, body: str) -> str:
    return f"-----Исходное сообщение-----\nОт: {author}\nОтправлено: 1 июля 2025 г. 11:48\nКому: Лисина Анна\nТема: Коробки\n\n{body}"


FORWARD_LAYOUTS = {
    "gmail": _fw_gmail, "yandex": _fw_yandex, "mailru": _fw_mailru, "outlook-ru": _fw_outlook_ru,
    "outlook-en": _fw_outlook_en, "thunderbird": _fw_thunderbird, "apple": _fw_apple,
    "outlook-original-ru": _fw_outlook_original_ru,
}
COLLEAGUE = "Анна Лисина <lisina@sibtara-nsk.ru>"


@pytest.mark.parametrize("layout", sorted(FORWARD_LAYOUTS))
def test_forward_inside_the_clients_company(extractor: Extractor, layout: str) -> None:
    body = f"{NOTE}\n\n{FORWARD_LAYOUTS[layout](DIRECTOR, ORIGINAL)}"
    for subject in ("Fwd: Коробки", "FW: Коробки", "Коробки"):
        facts = _facts(extractor, eml(body, frm=COLLEAGUE, subject=subject))
        _assert_client(facts)


def _html_lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


@pytest.mark.parametrize(("layout", "subject"), [("gmail", "Fwd: Коробки"), ("outlook", "FW: Коробки"), ("outlook", "Коробки")])
def test_forward_inside_the_clients_company_in_html_only(extractor: Extractor, layout: str, subject: str) -> None:
    if layout == "gmail":
        header = ("---------- Forwarded message ---------<br>From: <b>Сергей Белов</b> <span>&lt;director@sibtara-nsk.ru&gt;</span><br>"
                  "Date: Tue, 1 Jul 2025 at 11:48<br>Subject: Коробки<br>To: &lt;lisina@sibtara-nsk.ru&gt;<br>")
    else:
        header = ("<div style='border-top:solid 1pt'><p><b>От:</b> Сергей Белов &lt;director@sibtara-nsk.ru&gt;<br>"
                  "<b>Отправлено:</b> 1 июля 2025 г. 11:48<br><b>Кому:</b> Анна Лисина<br><b>Тема:</b> Коробки</p></div>")
    page = f"<html><body><div>{_html_lines(NOTE)}</div><div>{header}</div><p>{_html_lines(ORIGINAL)}</p></body></html>"
    _assert_client(_facts(extractor, eml(None, html=page, frm=COLLEAGUE, subject=subject)))


def test_forward_inside_the_company_as_an_attached_message(extractor: Extractor) -> None:
    original = eml(ORIGINAL, frm=DIRECTOR, subject="Коробки")
    _assert_client(_facts(extractor, eml(NOTE, frm=COLLEAGUE, subject="Fwd: Коробки", forwarded=original)))


@pytest.mark.parametrize("layout", ["gmail", "mailru", "outlook-ru", "yandex", "thunderbird"])
def test_forward_of_an_outside_letter_is_not_the_senders(extractor: Extractor, layout: str) -> None:
    """A buyer forwards a third party's letter (its INN is not the buyer's company)."""
    third = ORIGINAL.replace(CLIENT_INN, OTHER_INN).replace("Сибирская Тара", "Уральский Упак")
    facts = _facts(extractor, eml(f"{NOTE}\n\n{FORWARD_LAYOUTS[layout]('Поставщик <sales@uralupak.ru>', third)}", frm=COLLEAGUE, subject="Fwd: Коробки"))
    assert facts.company is None or facts.company.inn != OTHER_INN, facts.company


# --- the text split behind both: one quote block per earlier letter, the forward's author ------

def test_a_quoted_thread_is_cut_into_one_block_per_letter() -> None:
    inner = _gmail_ru(CLIENT, ORIGINAL)
    ours = f"{OUR_LETTER}\n\n{inner}"
    text = f"{REPLY}\n\n{_outlook_en(MANAGER, ours)}"
    parts = split_text(text, "Re: Коробки")
    assert [q.author.email if q.author else None for q in parts.quotes] == ["d.petrov@severkarton.test", "kotov@sibtara-nsk.ru"]
    first, second = (q.part.of(text) for q in parts.quotes)
    assert OUR_INN in first and CLIENT_INN not in first
    assert CLIENT_INN in second and OUR_INN not in second


def test_a_chevron_quote_without_a_header_has_no_author() -> None:
    parts = split_text(f"{REPLY}\n\n{_chevron(ORIGINAL)}")
    assert len(parts.quotes) == 1 and parts.quotes[0].author is None


@pytest.mark.parametrize("layout", ["yandex", "mailru"])
def test_the_forwarded_originals_author_is_read(layout: str) -> None:
    text = f"{NOTE}\n\n{FORWARD_LAYOUTS[layout](DIRECTOR, ORIGINAL)}"
    parts = split_text(text, "Fwd: Коробки")
    assert parts.forwarded is not None and parts.forwarded.sender is not None
    assert parts.forwarded.sender.email == "director@sibtara-nsk.ru"
    assert CLIENT_INN in parts.forwarded.body.signature_text or CLIENT_INN in parts.forwarded.body.new_text


@pytest.mark.parametrize(
    "header",
    ["02.07.2025 14:50, Голубев Артём пишет:", "2 июля 2025 г., 14:50 пользователь Артём Голубев написал:", "02.07.2025, 14:50, Голубев Артём написал(а):"],
)
def test_the_writer_s_own_earlier_letter_under_an_address_less_header_is_theirs(header: str) -> None:
    """A reminder quoting the writer's own first letter («… Голубев Артём пишет:», no
    address): its signature gives the company and the region."""
    quote = "\n".join(f"> {line}" for line in ["Прошу рассчитать плёнку ВПП — 40 рулонов.", "", "-- ", "С уважением,", "Голубев Артём Николаевич", "ООО «Атомтехснаб»", "тел. +7 (39197) 5-40-12"])
    raw = eml(f"Добрый день!\nНапоминаю про наш запрос — где счёт?\n\n{header}\n{quote}", frm="Голубев Артём <golubev@atomtehsnab.ru>", subject="Re: Плёнка ВПП")
    facts = Extractor().extract(parse(raw), internal_domains=("severkarton.test",))
    assert facts.company is not None and "Атомтехснаб" in facts.company.name
    assert facts.region is not None and facts.region.code == "24"
