"""A manager named in the text, not only in a greeting: «прошу передать Дмитрию Петрову»,
«для Петрова Д.С.» in the subject, «вопрос к Смирновой». Real extraction and routing over
built mails with the example rules; never the sender's own name, the signature, the quote,
a street or a company named after a person."""

from __future__ import annotations

from dataclasses import replace
from email.header import Header
from email.utils import parseaddr

import pytest
from samples import RULES

from inboxbot.extract.extract import extract_facts
from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.route.decide import decide
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules
from inboxbot.store.factory import memory_store


@pytest.fixture(scope="module")
def rules() -> Rules:
    rules = load_rules(RULES)
    return replace(rules, rules=tuple(r for r in rules.rules if r.when != "not_a_request"))


def _mail(body: str, subject: str, frm: str) -> ParsedMessage:
    name, address = parseaddr(frm)
    sender = f"{Header(name, 'utf-8').encode()} <{address}>" if name else address
    lines = [
        f"From: {sender}",
        "To: sales@severkarton.test",
        f"Subject: {Header(subject, 'utf-8').encode()}",
        "Date: Mon, 30 Jun 2025 10:00:00 +0300",  # nobody is away
        "Message-ID: <in-text@client.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return parse("\n".join(lines).encode("utf-8"))


def _decide(rules: Rules, body: str, subject: str = "Заявка на упаковку", frm: str = "Иван Кузьмин <kuzmin@gmail.com>") -> Decision:
    msg = _mail(body, subject, frm)
    facts = extract_facts(msg, internal_domains=["severkarton.test"])
    return decide(msg, facts, rules, memory_store().history)


def _body(line: str) -> str:
    return f"Добрый день!\n{line}\nНужны коробки 400х300х200, 1000 шт.\n\nС уважением,\nИван Кузьмин"


@pytest.mark.parametrize(
    ("line", "subject", "owner"),
    [
        ("Прошу передать Дмитрию Петрову.", "Заявка на упаковку", "petrov"),
        ("прошу передать Диме Петрову", "Заявка на упаковку", "petrov"),
        ("", "Для Петрова Д.С.: заявка на коробки", "petrov"),
        ("", "Петрову Д. С. — счёт на коробки", "petrov"),
        ("Для Д.С. Петрова.", "Заявка на упаковку", "petrov"),
        ("Передайте, пожалуйста, Ольге Викторовне, что нужны лотки.", "Заявка на упаковку", "smirnova"),
        ("Вопрос к Смирновой по лоткам.", "Заявка на упаковку", "smirnova"),
        ("Вопрос к Смирновой О.В. по лоткам.", "Заявка на упаковку", "smirnova"),
        ("Сидорову А.В. — нужен счёт.", "Заявка на упаковку", "sidorov"),
        ("Вниманию Кузнецовой Елены Павловны.", "Заявка на упаковку", "kuznetsova"),
        ("Прошу перенаправить Орлову Максиму.", "Заявка на упаковку", "orlov"),
        ("", "Вопрос к Ирине Александровне", "ivanova"),
        ("", "Для Смирновой Срочно: лотки", "smirnova"),  # a stray capitalised word after the name
    ],
)
def test_a_manager_named_in_the_subject_or_text_gets_the_mail(rules: Rules, line: str, subject: str, owner: str) -> None:
    d = _decide(rules, _body(line), subject)
    assert (d.rule, d.owner) == ("addressed", owner)


def test_the_trail_says_what_was_found_and_where(rules: Rules) -> None:
    d = _decide(rules, _body("Прошу передать Дмитрию Петрову."))
    assert d.reasons == ("«Прошу передать Дмитрию Петрову» в тексте письма → Петров",)
    d = _decide(rules, _body(""), "Для Петрова Д.С.: заявка на коробки")
    assert d.reasons == ("«Для Петрова Д.С.» в теме письма → Петров",)


def test_passing_on_wins_over_the_greeting(rules: Rules) -> None:
    """Whoever reads the shared box is greeted; the one to pass the mail to is named."""
    d = _decide(rules, "Ольга Викторовна, добрый день!\nПрошу передать Дмитрию Петрову: нужны коробки.\n\nИван Кузьмин")
    assert (d.rule, d.owner) == ("addressed", "petrov")


@pytest.mark.parametrize(
    ("body", "subject", "frm"),
    [
        # The sender is a Petrov: his signature and his own name in the subject.
        (
            "Добрый день!\nНужны коробки 1000 шт.\n\nС уважением,\nДмитрий Петров\nООО «Ромашка»",
            "Заявка на упаковку",
            "Дмитрий Петров <d.petrov@romashka-opt.ru>",
        ),
        ("Добрый день!\nНужны коробки.\n\nПетров Д.С.", "Для Петрова Д.С.: коробки", "Дмитрий Петров <dp@mail.ru>"),
        # Only the quoted history names Смирнова.
        (
            "Добрый день!\nНужны коробки.\n\nИван\n\n-----Original Message-----\nFrom: sales@severkarton.test\n"
            "Вопрос к Смирновой по лоткам.",
            "Re: лотки",
            "Иван Кузьмин <kuzmin@gmail.com>",
        ),
        # Only a forwarded original names her.
        (
            "Добрый день! Пересылаю заявку нашего филиала.\n\nИван\n\n---------- Forwarded message ---------\n"
            "From: Пётр Сидоренко <ps@filial.ru>\nDate: Mon, 30 Jun 2025\nSubject: лотки\n\nВопрос к Смирновой по лоткам.",
            "Fwd: лотки",
            "Иван Кузьмин <kuzmin@gmail.com>",
        ),
        # A street and a company named after a person.
        (_body("Доставка: г. Тверь, ул. Петрова, д. 5."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
        (_body("Счёт выставьте на ИП Петрова Д.С."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
        (_body("Это для ИП Смирновой."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
        # Another Petrov, another Sidorov: the initials or the first name disagree.
        (_body("Для Петрова И.И."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
        (_body("Сидорову Д. — нужен счёт."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
        # A surname in running text is no address.
        (_body("Смирнова из вашего отдела обещала скидку."), "Заявка на упаковку", "Иван Кузьмин <kuzmin@gmail.com>"),
    ],
)
def test_names_that_address_no_manager(rules: Rules, body: str, subject: str, frm: str) -> None:
    d = _decide(rules, body, subject, frm)
    assert d.rule != "addressed", d.reasons


def test_two_managers_named_is_no_decision(rules: Rules) -> None:
    d = _decide(rules, _body("Прошу передать Дмитрию Петрову, копию — для Ольги Викторовны."))
    assert d.rule != "addressed"
    assert "названы несколько менеджеров" in next(s.detail for s in d.trail if s.rule == "addressed")


@pytest.mark.parametrize(
    "greeting",
    [
        "Петрову Ивану, добрый день!",  # dative, surname first
        "Иван Петров, здравствуйте!",  # nominative, first name first
        "Уважаемый Иван Петров!",
        "Добрый день, Петров Иван!",
        "Дмитрий Иванович, добрый день!",  # the patronymic is another Дмитрий's
        "Здравствуйте, Дмитрий Сидоров!",  # Petrov's first name, another surname
        "Алексей Петров, добрый день!",  # Sidorov's first name, Petrov's surname: nobody
    ],
)
def test_a_greeting_with_another_person_s_name_part_reaches_no_manager(rules: Rules, greeting: str) -> None:
    body = f"{greeting}\nНужны коробки 400х300х200, 1000 шт.\n\nС уважением,\nОльга Кузьмина"
    d = _decide(rules, body, frm="Ольга Кузьмина <kuzmina@gmail.com>")
    assert d.rule != "addressed", d.reasons


@pytest.mark.parametrize(
    ("greeting", "owner"),
    [
        ("Дмитрий Петров, добрый день!", "petrov"),
        ("Петрову Дмитрию, здравствуйте!", "petrov"),
        ("Дмитрий Сергеевич, добрый день!", "petrov"),
        ("Добрый день, Дмитрий!", "petrov"),
        ("Господин Петров, добрый день!", "petrov"),
        ("Алексей Викторович, здравствуйте!", "sidorov"),
    ],
)
def test_a_greeting_whose_name_parts_agree_reaches_the_manager(rules: Rules, greeting: str, owner: str) -> None:
    body = f"{greeting}\nНужны коробки 400х300х200, 1000 шт.\n\nС уважением,\nОльга Кузьмина"
    d = _decide(rules, body, frm="Ольга Кузьмина <kuzmina@gmail.com>")
    assert (d.rule, d.owner) == ("addressed", owner), d.reasons
