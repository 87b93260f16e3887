"""The one requisites normaliser: identifiers written in groups, with dashes, broken across
a line, in INN/KPP pairs and table cells, from every source (plain text, HTML, attachments);
and every number not taken keeps its reason, which the decision shows."""

from __future__ import annotations

import pytest
from fixtures.extract.build import eml, inn10, inn12

from inboxbot.extract.extract import Extractor
from inboxbot.extract.nlp import get_pipeline
from inboxbot.extract.normalise import written_identifiers
from inboxbot.extract.numbers import find_requisites
from inboxbot.mail.message import parse
from inboxbot.model.facts import Facts

INTERNAL = ("severkarton.test",)
ORG = inn10("526261362")
PERSON = inn12("6321010101")
BAD = ORG[:-1] + str((int(ORG[-1]) + 1) % 10)


def spaced(value: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for n in sizes:
        parts.append(value[i : i + n])
        i += n
    return sep.join(parts)


WRITTEN = [
    ("spaces 4-3-3", f"Счёт на ИНН {spaced(ORG, (4, 3, 3), ' ')}, как обычно.", ORG),
    ("dashes", f"ИНН: {spaced(ORG, (4, 3, 3), '-')}", ORG),
    ("en dash with spaces", f"ИНН {spaced(ORG, (2, 2, 6), ' – ')}", ORG),
    ("pairs of two", f"ИНН {spaced(ORG, (2, 2, 2, 2, 2), ' ')} тел. 8 912 345 67 89", ORG),
    ("broken by wrapping", f"реквизиты: ИНН {ORG[:5]}\n{ORG[5:]} спасибо", ORG),
    ("broken inside a quote", f"> ИНН {ORG[:6]}\n> {ORG[6:]}", ORG),
    ("no-break spaces", f"ИНН\u00a0{spaced(ORG, (4, 3, 3), chr(0xA0))}", ORG),
    ("person, 12 digits", f"ИП Гарипов, ИНН {spaced(PERSON, (4, 4, 4), ' ')}", PERSON),
    ("qualified label", f"ИНН организации {spaced(ORG, (3, 3, 4), ' ')}", ORG),
    ("institution", f"ИНН учреждения {ORG}", ORG),
    ("table cell with pipes", f"| ИНН | {ORG} |", ORG),
    ("HTML cell text", f"ИНН: {ORG} КПП: 526201001", ORG),
]


@pytest.mark.parametrize(("text", "want"), [c[1:] for c in WRITTEN], ids=[c[0] for c in WRITTEN])
def test_written_inn_is_read(text: str, want: str) -> None:
    accepted, _ = find_requisites(text)
    assert [h.value for h in accepted if h.kind == "inn"] == [want]


@pytest.mark.parametrize(
    "text",
    [
        f"ИНН {spaced(BAD, (4, 3, 3), ' ')}",  # grouped, wrong check digit
        f"ИНН {BAD[:5]}\n{BAD[5:]}",
        f"тел. {spaced(ORG, (4, 3, 3), ' ')}",  # grouped, but no identifier label: a phone
        f"Заказ № {spaced(ORG, (4, 3, 3), ' ')}",
    ],
)
def test_grouped_number_not_taken_without_label_or_check_digit(text: str) -> None:
    accepted, _ = find_requisites(text)
    assert accepted == ()


def test_a_full_first_group_is_not_joined_with_the_next() -> None:
    # «ИНН 7707083893 770701001»: two numbers, the second not glued to the INN.
    assert written_identifiers(f"ИНН {ORG} 526201001") == ()
    accepted, _ = find_requisites(f"ИНН {ORG} 526201001")
    assert [h.value for h in accepted] == [ORG]


@pytest.mark.parametrize("sep", ["/", " / ", "\\", " | "])
def test_inn_kpp_pair(sep: str) -> None:
    accepted, _ = find_requisites(f"ИНН/КПП: {ORG}{sep}526201001")
    assert [(h.kind, h.value) for h in accepted] == [("inn", ORG), ("kpp", "526201001")]


def test_ogrn_in_groups() -> None:
    accepted, _ = find_requisites("ОГРН 1 027 700 132 195")
    assert [(h.kind, h.value) for h in accepted] == [("ogrn", "1027700132195")]


def test_grouped_bad_inn_is_rejected_with_its_reason() -> None:
    _, rejected = find_requisites(f"ИНН {spaced(BAD, (4, 3, 3), ' ')}")
    assert [(h.value, h.reason) for h in rejected] == [(BAD, "checksum")]


# --- every source, through the whole extraction ---------------------------------------

@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(get_pipeline())


def facts_of(extractor: Extractor, raw: bytes) -> Facts:
    return extractor.extract(parse(raw), internal_domains=INTERNAL)


def test_html_table_gives_the_inn(extractor: Extractor) -> None:
    html = (
        "<p>Прошу выставить счёт на 300 коробок.</p><table><tr><td>Организация</td><td>ООО «Полимер-Юг»</td></tr>"
        f"<tr><td>ИНН:</td><td>{spaced(ORG, (4, 3, 3), ' ')}</td></tr></table>"
    )
    facts = facts_of(extractor, eml(None, html=html))
    assert ORG in [r.value for r in facts.requisites]


def test_attachment_text_gives_the_grouped_inn(extractor: Extractor) -> None:
    card = f"Карточка предприятия\nООО «Полимер-Юг»\nИНН {spaced(ORG, (4, 3, 3), '-')}\nКПП 526201001\n".encode()
    raw = eml("Реквизиты во вложении, прошу счёт.", attachments=(("rekvizity.txt", "text/plain", card),))
    assert ORG in [r.value for r in facts_of(extractor, raw).requisites]


def test_bad_check_digit_is_an_unused_requisite_with_reason(extractor: Extractor) -> None:
    facts = facts_of(extractor, eml(f"Прошу счёт на плёнку, ИНН {BAD}.\nИван"))
    assert BAD not in [r.value for r in facts.requisites]
    assert [(u.value, u.note) for u in facts.unused_requisites] == [
        (BAD, f"ИНН {BAD} не проходит проверку контрольных цифр — не использован")
    ]


OUR_QUOTE = """Добрый день! Прошу счёт на 200 коробок.

Иван Петров

12.03.2026, Ольга Иванова <o.ivanova@severkarton.test> пишет:
> Высылаю наши реквизиты для договора.
> ООО «Северный Картон»
> ИНН {ours}
> Ольга Иванова, менеджер
"""


def test_our_managers_inn_in_the_quote_is_named_as_ours(extractor: Extractor) -> None:
    ours = inn10("780100123")
    facts = facts_of(extractor, eml(OUR_QUOTE.format(ours=ours), subject="Re: Коробки"))
    assert facts.company is None or facts.company.inn != ours
    notes = [u.note for u in facts.unused_requisites]
    assert notes == [f"ИНН {ours} из цитаты письма нашего менеджера — не использован"]


def test_the_pool_says_why_the_inn_shown_was_not_used() -> None:
    from dataclasses import replace

    from samples import RULES

    from inboxbot.model.facts import Evidence, UnusedRequisite
    from inboxbot.route.decide import decide
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import memory_store

    raw = eml(f"Прошу счёт на плёнку, ИНН {BAD}.", frm="Пётр <petr.k@mail.ru>", headers=(("Date", "Wed, 02 Dec 2026 10:00:00 +0300"),))
    why = "не проходит проверку контрольных цифр — не использован"
    facts = Facts(unused_requisites=(UnusedRequisite("inn", BAD, why, Evidence("body", BAD), "ИНН"),))
    rules = load_rules(RULES)
    rules = replace(rules, rules=tuple(r for r in rules.rules if r.when != "not_a_request"))
    decision = decide(parse(raw), facts, rules, memory_store().history)
    note = f"ИНН {BAD} {why}"
    assert any(note in r for r in decision.reasons), decision.reasons
    assert any(note in s.detail for s in decision.trail if s.rule == "client_inn")
