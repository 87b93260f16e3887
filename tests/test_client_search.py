"""The client base searched in the whole mail (extract.client_search over
directory.client_dictionary): small hand-written mails against a small base, one group of
spellings and contexts per mechanism — oblique case, no legal form, short forms and
initials, the other alphabet, the subject only, a former name — and the contexts that make
a named client someone else rather than the sender."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import Header
from pathlib import Path

import pytest
from samples import RULES

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.name_forms import form_of, initials, latin_to_cyrillic
from inboxbot.extract.client_search import MailText, describe, named, search_clients
from inboxbot.extract.extract import extract_facts
from inboxbot.mail.message import parse
from inboxbot.route.decide import decide
from inboxbot.route.identity import identify
from inboxbot.rules.load import load_rules
from inboxbot.store.factory import memory_store


def _client(name: str, line: int, *, alt: tuple[str, ...] = (), former: tuple[str, ...] = (), manager: str = "ivanova") -> Client:
    return Client(name, None, None, None, None, None, manager, None, (), alt, "clients.csv", line, former_names=former)


BASE = ClientDictionary(
    [
        _client("АО «Вологодский молочный комбинат»", 2),
        _client("ООО «Камская мебельная фабрика»", 3),
        _client("ООО «Кубанские консервы»", 4),
        _client("ООО «Fresh Line»", 5),
        _client("ООО «Нордпак»", 6, alt=("Nordpack",)),
        _client("ООО «Берег»", 7, former=("Старый причал",)),
        _client("ООО «Агроимпульс»", 8),
        _client("ООО «Восток»", 9),
        _client("ГБУЗ «Городская клиническая больница № 25»", 10),
        _client("ООО «Торговый дом Уральский хлеб»", 11),
        _client("ООО «Сибирский хлебозавод»", 12),
        _client("АО «Сибирский хлебозавод»", 13),
        _client("ООО «Магнитогорский хлебокомбинат»", 14),
        _client("ФГУП «Научно-производственное объединение „Меридиан“»", 15),
        _client("ГБУ СО «Комплексный центр социального обслуживания населения г. Сызрани»", 16),
        _client("АО «АПХ „Заречье“»", 17),
    ]
)


def _sender(*texts: tuple[str, str]) -> str | None:
    found = search_clients(BASE, [MailText(source, text) for source, text in texts])
    return found.sender.client.name if found.sender else None


@pytest.mark.parametrize(
    "texts",
    [
        [("body", "Добрый день!\nС Вологодского молочного комбината беспокоят, нужны лотки.")],
        [("body", "Пишу из Вологодского молочного комбината по поводу лотков.")],
        [("body", "Вас беспокоят из АО «Вологодский молочный комбинат».")],
        [("signature", "С уважением,\nИрина\nВологодский молочный комбинат")],
        [("body", "Меня зовут Ирина, я представляю Вологодский молочный комбинат.")],
        [("body", "Добрый день, с Вологодского МК беспокоят.")],
        [("signature", "ВМК, отдел закупок")],
        [("subject", "Вологодский мол. к-т: заявка")],
    ],
)
def test_oblique_case_and_no_legal_form(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) == "АО «Вологодский молочный комбинат»"


@pytest.mark.parametrize(
    "texts",
    [
        [("subject", "Заявка от Камской мебельной ф-ки")],
        [("subject", "Заявка от Камской мебельной фабрики")],
        [("body", "Беспокоят из Камской мебельной ф-ки, нужна плёнка.")],
        [("signature", "Камская мебельная ф-ка, отдел снабжения")],
        [("signature", "Снабжение КМФ")],  # the initials: no other client has them
    ],
)
def test_short_forms_and_initials(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) == "ООО «Камская мебельная фабрика»"


@pytest.mark.parametrize(
    ("texts", "want"),
    [
        ([("signature", "Снабжение МХК")], 14),  # a compound word gives two letters
        ([("body", "Беспокоят из НПО «Меридиан», нужна упаковка.")], 15),
        ([("signature", "С уважением,\nНПО Меридиан")], 15),
        ([("body", "Нужна плёнка.\n\nГБУ СО «КЦСОН г. Сызрани»\nспециалист по закупкам")], 16),
        ([("signature", "КЦСОН г. Сызрани, бухгалтерия")], 16),
    ],
)
def test_abbreviations_of_a_long_name(texts: list[tuple[str, str]], want: int) -> None:
    found = search_clients(BASE, [MailText(source, text) for source, text in texts])
    assert found.sender is not None and found.sender.client.line == want


@pytest.mark.parametrize(
    "texts",
    [
        [("body", "Добрый день. Агроном АПХ «Заречие», отделение в Ракитном, нужны ящики.")],  # and a typo
        [("body", "Менеджер по закупкам АО «АПХ „Заречье“» Ольга, нужны ящики.")],
        [("body", "Счёт выставьте на нас, АПХ «Заречье», реквизиты ниже.")],
        [("quote", "пт, 11 июл. 2025 г., Ольга <olga@mail.ru>:\n> Нужны ящики.\n>\n> С уважением,\n> Ольга\n> АПХ «Заречье»")],
        [("quote", "> АО «АПХ „Заречье“» (овощи), нужны ящики под капусту.")],
    ],
)
def test_self_introductions(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) == "АО «АПХ „Заречье“»"


def test_a_client_named_in_the_quote_counts_less_than_one_named_now() -> None:
    found = search_clients(
        BASE,
        [MailText("signature", "Фреш Лайн"), MailText("quote", "> С уважением,\n> Камская мебельная фабрика")],
    )
    assert found.sender is not None and found.sender.client.name == "ООО «Fresh Line»"


@pytest.mark.parametrize(
    ("texts", "want"),
    [
        ([("header", "Kubanskie Konservy - Zakupki")], "ООО «Кубанские консервы»"),
        ([("signature", "Kubanskie konservy LLC")], "ООО «Кубанские консервы»"),
        ([("signature", "Менеджер по закупкам\nФреш Лайн")], "ООО «Fresh Line»"),
        ([("subject", "Заказ коробок от Фреш Лайн")], "ООО «Fresh Line»"),
        ([("header", "Nordpack Rus")], "ООО «Нордпак»"),
        ([("subject", "Запрос от Нордпака")], "ООО «Нордпак»"),
    ],
)
def test_the_other_alphabet(texts: list[tuple[str, str]], want: str) -> None:
    assert _sender(*texts) == want


@pytest.mark.parametrize(
    "texts",
    [
        [("body", "Беспокоят из «Старого причала», нужны коробки."), ("signature", "Иван")],
        [("signature", "ООО «Новый берег» (бывш. «Старый причал»)")],
        [("body", "Мы — ООО «Северная гавань» (ранее Старый причал).")],
    ],
)
def test_a_former_name(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) == "ООО «Берег»"


@pytest.mark.parametrize(
    "texts",
    [
        [("body", "Нужны такие же лотки, как у Вологодского молочного комбината.")],
        [("body", "Для нашего заказчика Камская мебельная фабрика нужна плёнка.")],
        [("subject", "Короба для Камской мебельной фабрики")],
        [("body", "Работаем с Агроимпульсом давно, пришлите прайс.")],
        [("body", "Отгрузка на восток, в Хабаровск.")],
        [("body", "Агроимпульс продаёт такие же лотки дешевле.")],
        [("header", "Закупки ГКБ 3 Тамбов")],
        [("body", "Беспокоят из Городской клинической больницы № 3.")],
        [("subject", "Re: Упаковка для Агро")],
    ],
)
def test_mentioned_or_different_is_not_the_sender(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) is None


@pytest.mark.parametrize(
    "texts",
    [
        [("signature", "ООО «Берег Плюс»")],
        [("signature", "С уважением, ООО “Новый берег”")],
        [("body", "Это ООО «Восток-Сервис», нужны коробки")],
        [("header", "Компания \"Агроимпульс Север\"")],
        [("subject", "Заявка от ООО «Кубанские консервы и соки»")],
    ],
)
def test_a_form_inside_a_longer_quoted_name_is_not_that_client(texts: list[tuple[str, str]]) -> None:
    assert _sender(*texts) is None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ООО «Берег»", 7),
        ("Компания \"Агроимпульс\"", 8),
        ("АО «Молочный завод „Берег“»", 7),  # the innermost quoted name is the client's
        ("Заявка от ООО «Кубанские консервы»", 4),
    ],
)
def test_a_whole_quoted_name_is_still_found(text: str, line: int) -> None:
    found = search_clients(BASE, [MailText("signature", text)])
    assert found.sender is not None and found.sender.client.line == line


def test_a_mentioned_client_is_listed_apart_from_the_sender() -> None:
    found = search_clients(
        BASE,
        [MailText("body", "Нужны коробки, как у Агроимпульса."), MailText("signature", "Камская мебельная фабрика")],
    )
    assert found.sender is not None and found.sender.client.line == 3
    assert [m.client.line for m in found.mentioned] == [8]


def test_a_name_two_clients_share_is_ambiguous() -> None:
    found = search_clients(BASE, [MailText("signature", "Сибирский хлебозавод")])
    assert found.sender is None
    assert sorted(m.client.line for m in found.rivals) == [12, 13]


def test_attachments_are_read_only_when_the_mail_names_no_sender() -> None:
    read: list[str] = []

    def more() -> list[MailText]:
        read.append("yes")
        return [MailText("attachment", "Покупатель: ООО «Кубанские консервы»", "заявка.pdf")]

    assert search_clients(BASE, [MailText("subject", "Заявка")], more).sender is not None
    assert read == ["yes"]
    assert search_clients(BASE, [MailText("signature", "Фреш Лайн")], more).sender is not None
    assert read == ["yes"]


def test_the_explanation_says_what_was_found_where() -> None:
    found = search_clients(BASE, [MailText("subject", "Заявка от Вологодского молочного комбината")])
    assert found.sender is not None
    assert describe(named(found.sender)) == (
        "«Вологодского молочного комбината» в теме письма → клиент из базы АО «Вологодский молочный комбинат» (clients.csv, строка 2)"
    )
    former = search_clients(BASE, [MailText("signature", "ООО «Новый берег» (бывш. «Старый причал»)")]).sender
    assert former is not None and "прежнее название «Старый причал»" in describe(named(former))
    evidence = former.evidence
    assert (evidence.source, evidence.text) == ("signature", "Старый причал")
    short = search_clients(BASE, [MailText("subject", "Заявка от Камской мебельной ф-ки")]).sender
    assert short is not None and short.evidence.text == "Камской мебельной ф-ки"
    near = search_clients(BASE, [MailText("body", "Агроном АПХ «Заречие», нужны ящики")]).sender
    assert near is not None and describe(named(near)).startswith("АПХ «Заречие» в тексте письма → клиент из базы АО «АПХ „Заречье“»")
    assert describe(named(near)).endswith("написание близкое к АО «АПХ „Заречье“»)")


def test_name_forms() -> None:
    assert form_of("Камской мебельной ф-ки") == form_of("ООО «Камская мебельная фабрика»")
    assert form_of("Kubanskie Konservy") == form_of("Кубанские консервы")
    assert form_of("ТД «Уральский хлеб»") == form_of("Торгового дома «Уральский хлеб»") == form_of("Уральский хлеб")
    assert latin_to_cyrillic("kubanskiy") == "кубанский"
    assert initials("АО «Вологодский молочный комбинат»") == "ВМК"
    assert initials("ГБУЗ «Городская клиническая больница № 25»") is None
    assert initials("ООО «Агроимпульс»") is None


def test_former_names_column_loads(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("name,manager,former_names\nООО «Берег»,ivanova,Старый причал; Причал\n", encoding="utf-8")
    base = ClientBase.load(path)
    assert next(iter(base)).former_names == ("Старый причал", "Причал")
    assert base.by_name("Старый причал").best is not None
    found = search_clients(base.dictionary, [MailText("signature", "Старый причал")])
    assert found.sender is not None and found.sender.kind == "former"


def _mail(subject: str, body: str) -> bytes:
    # Written out by hand: email's generator folds a long subject into encoded words and
    # loses the space between them («Вологодскогомолочного»).
    head = Header(subject, "utf-8").encode(maxlinelen=998)
    return (
        "From: =?utf-8?b?0JjRgNC40L3QsA==?= <irina.zakupki@mail.ru>\r\nTo: sales@severkarton.ru\r\n"
        f"Subject: {head}\r\nDate: Mon, 01 Sep 2025 10:00:00 +0300\r\nMessage-ID: <{len(body)}.{len(subject)}@mail.ru>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body.replace("\n", "\r\n").encode()


def test_routing_finds_the_client_the_mail_names_in_the_subject_only() -> None:
    rules = load_rules(RULES)
    msg = parse(_mail("Заявка от Вологодского молочного комбината", "Добрый день!\nНужны лотки 200 шт.\n\nИрина"))
    facts = extract_facts(msg, internal_domains=rules.department.internal_domains, clients=rules.clients.dictionary)
    ident = identify(msg, facts, rules)
    assert ident.client is not None and ident.client.name == "АО «Вологодский молочный комбинат»"
    assert ident.how == "name" and ident.named is not None
    with memory_store() as journal:
        decision = decide(msg, facts, rules, journal.history, received_at=datetime(2025, 9, 1, 10, tzinfo=UTC))
    assert decision.rule == "client_name" and decision.owner == ident.client.manager
    assert any("в теме письма → клиент из базы АО «Вологодский молочный комбинат» (clients.csv, строка" in r for r in decision.reasons)


def test_routing_ignores_a_client_named_as_a_model() -> None:
    rules = load_rules(RULES)
    msg = parse(_mail("Лотки", "Добрый день!\nНужны лотки, как у Вологодского молочного комбината.\n\nИрина"))
    facts = extract_facts(msg, internal_domains=rules.department.internal_domains, clients=rules.clients.dictionary)
    assert identify(msg, facts, rules).client is None


SOLE_TRADERS = ClientDictionary(
    [
        _client("ИП Гарипов Ренат Ильдарович", 2, manager="ivanova"),
        _client("ИП Гарипова Алсу Ринатовна", 3, manager="petrov"),
        _client("Индивидуальный предприниматель Кузьмина Ольга Петровна", 4, manager="sidorov"),
    ]
)


@pytest.mark.parametrize(
    ("texts", "line"),
    [
        ([("body", "Добрый день! ИП Гарипов Р.И., Казань, у вас уже закупались.")], 2),
        ([("signature", "ИП Гарипов Р. И.")], 2),
        ([("signature", "Р.И. Гарипов")], 2),
        ([("signature", "Гарипов Ренат")], 2),
        ([("header", "Ренат Гарипов")], 2),
        ([("signature", "ИП Гарипова А.Р.")], 3),
        ([("body", "Это ИП Кузьмина О.П., нужны пакеты.")], 4),
    ],
)
def test_a_sole_trader_is_found_by_surname_and_initials(texts: list[tuple[str, str]], line: int) -> None:
    found = search_clients(SOLE_TRADERS, [MailText(source, text) for source, text in texts])
    assert found.sender is not None and found.sender.client.line == line


@pytest.mark.parametrize(
    "texts",
    [
        [("signature", "Гарипов")],  # a surname alone is anybody's
        [("signature", "ИП Гарипов И.А.")],  # other initials: another Гарипов
        [("body", "Нужны пакеты, как у ИП Гарипов Р.И.")],  # a model, not the writer
    ],
)
def test_another_person_or_a_mention_is_not_the_sole_trader(texts: list[tuple[str, str]]) -> None:
    found = search_clients(SOLE_TRADERS, [MailText(source, text) for source, text in texts])
    assert found.sender is None
