"""The client base searched at extraction time: `Facts.named_clients` holds the client the
mail names as its sender by the base's own forms, and the sender's company carries the
base's name (extract.base_company) — what `inboxbot score` and every rule read. Mails
against the demo base, one group of spellings and contexts per mechanism."""

from __future__ import annotations

import os
import time
from email.header import Header
from pathlib import Path

import pytest
from fixtures.extract.build import inn10
from samples import RULES

from inboxbot.directory.clients import ClientBase
from inboxbot.extract.base_company import split_name
from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import parse
from inboxbot.model.facts import Facts
from inboxbot.rules.load import load_rules

RULES_ = load_rules(RULES)
INTERNAL = tuple(RULES_.department.internal_domains)


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _mail(subject: str, body: str, sender: str = "=?utf-8?b?0JjRgNC40L3QsA==?= <irina.zakupki@mail.ru>") -> bytes:
    head = Header(subject, "utf-8").encode(maxlinelen=998)
    return (
        f"From: {sender}\r\nTo: sales@severkarton.ru\r\n"
        f"Subject: {head}\r\nDate: Mon, 01 Sep 2025 10:00:00 +0300\r\nMessage-ID: <{len(body)}.{len(subject)}@mail.ru>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + body.replace("\n", "\r\n").encode()


def _facts(extractor: Extractor, raw: bytes) -> Facts:
    return extractor.extract(parse(raw), internal_domains=INTERNAL, clients=RULES_.clients.dictionary)


@pytest.mark.parametrize(
    ("subject", "body", "sender", "want"),
    [
        # oblique case, no legal form, subject only
        ("Заявка от Вологодского молочного комбината", "Добрый день!\nНужны лотки 200 шт.\n\nИрина", None, "АО «Вологодский молочный комбинат»"),
        # a calling phrase in the body
        ("Лотки", "С Камской мебельной фабрики беспокоят, нужна плёнка 20 рулонов.\nИрина", None, "ООО «Камская мебельная фабрика»"),
        # short written form «ф-ки»
        ("Заявка от Камской мебельной ф-ки", "Нужна плёнка.\nИрина", None, "ООО «Камская мебельная фабрика»"),
        # the other alphabet, in the display name
        ("Заказ", "Нужны коробки 60х40х40.\n\nЗакупки", "Kubanskie Konservy - Zakupki <zakupki@mail.ru>", "ООО «Кубанские консервы»"),
        # the Latin alt name in the signature
        ("Коробки", "Нужны коробки для маркетплейса, 500 шт.\n\nС уважением,\nАнна\nGreen Box", None, "ООО «Грин Бокс»"),
        # the name in the signature, nominative, without quotes
        ("Коробки", "Повторите заказ.\n\nС уважением,\nОльга\nМагнитогорский хлебокомбинат", None, "ООО «Магнитогорский хлебокомбинат»"),
    ],
)
def test_the_sender_client_named_in_the_mail_becomes_the_company(
    extractor: Extractor, subject: str, body: str, sender: str | None, want: str
) -> None:
    raw = _mail(subject, body) if sender is None else _mail(subject, body, sender)
    facts = _facts(extractor, raw)
    assert [n.name for n in facts.named_clients] == [want]
    assert facts.company is not None and facts.company.name == want
    assert facts.company.inn is None  # never taken from the base


def test_without_the_dictionary_nothing_is_named(extractor: Extractor) -> None:
    facts = extractor.extract(parse(_mail("Заявка от Вологодского молочного комбината", "Нужны лотки.\nИрина")), internal_domains=INTERNAL)
    assert facts.named_clients == () and facts.company is None


@pytest.mark.parametrize(
    "body",
    [
        "Нужны лотки, как у Вологодского молочного комбината.\nИрина",
        "Для нашего заказчика Камская мебельная фабрика нужна плёнка.\nИрина",
        "Нужны коробки.\n\nС уважением,\nООО «Кубанские консервы и соки»",
    ],
)
def test_a_client_mentioned_or_a_longer_name_does_not_become_the_company(extractor: Extractor, body: str) -> None:
    facts = _facts(extractor, _mail("Запрос", body))
    assert facts.named_clients == ()
    assert facts.company is None or "Кубанские консервы и соки" in facts.company.name


def test_an_inn_of_another_company_keeps_the_mail_s_company(extractor: Extractor) -> None:
    """The display name names the client, but the INN the mail shows is another company's
    (the base knows the client under another INN): the mail's own company stays."""
    inn = inn10("231234567")
    raw = _mail("Заказ", f"Нужны коробки 60х40х40.\n\nИНН {inn}", "Kubanskie Konservy - Zakupki <zakupki@mail.ru>")
    facts = _facts(extractor, raw)
    assert [n.name for n in facts.named_clients] == ["ООО «Кубанские консервы»"]
    assert facts.company is not None and facts.company.inn == inn
    assert facts.company.name != "ООО «Кубанские консервы»"


@pytest.mark.parametrize(
    ("name", "form", "core"),
    [
        ("АО «Вологодский молочный комбинат»", "АО", "Вологодский молочный комбинат"),
        ("АО «АПХ „Заречье“»", "АО", "Заречье"),
        ("ГБУ СО «КЦСОН г. Тольятти»", "ГБУ", "КЦСОН г. Тольятти"),
        ("Green Box", None, "Green Box"),
    ],
)
def test_split_name(name: str, form: str | None, core: str) -> None:
    assert split_name(name) == (form, core)


def test_a_base_source_opens_the_same_base_and_changes_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("name,manager\nООО «Берег»,ivanova\n", encoding="utf-8")
    base = ClientBase.load(path)
    source = base.source
    assert source is not None
    assert [c.name for c in source.open()] == ["ООО «Берег»"]
    path.write_text("name,manager\nООО «Берег»,ivanova\nООО «Причал»,petrov\n", encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    changed = ClientBase.load(path).source
    assert changed is not None and changed != source and changed.stamp != source.stamp
    assert ClientBase([]).source is None
