"""What the forward says about the client: «клиент с …» from the client base's `since`
column, the holding, the reason trail summed up in one or two sentences, the reply link."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from samples import CORPUS, DEMO_DATA, RULES, demo_department

from inboxbot.compose.absence import compose_absence_notice
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.forward import compose_forward
from inboxbot.compose.templates import Templates
from inboxbot.directory.cells import parse_since
from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.mail.message import Address, parse
from inboxbot.model.decision import ClientRef, Decision
from inboxbot.model.facts import Company, Facts, Region
from inboxbot.rules.load import load_rules

HEADER = "name,inn,kpp,ogrn,region_code,city,manager,group,domains,alt_names,since"
NOW = datetime(2025, 6, 10, 11, 30, tzinfo=UTC)
ORLOV = Recipient("orlov", "Орлов Максим Игоревич", "m.orlov@severkarton.test")
PETROV = Recipient("petrov", "Петров Дмитрий Сергеевич", "d.petrov@severkarton.test", date(2025, 7, 20))
IVANOVA = Recipient("ivanova", "Иванова Ирина Александровна", "i.ivanova@severkarton.test")
BOT = Address("ТД «Северный Картон»", "sales-bot@severkarton.test")


# -- the `since` column ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-03-15", date(2021, 3, 15)),
        ("15.03.2021", date(2021, 3, 15)),
        ("5.3.2021", date(2021, 3, 5)),
        (" 2021-3-5 ", date(2021, 3, 5)),
        ("31.02.2021", None),
        ("2021/03/15", None),
        ("15.03.21", None),
        ("март 2021", None),
    ],
)
def test_parse_since(text: str, expected: date | None) -> None:
    assert parse_since(text) == expected


def test_since_column_and_its_row_problems(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(
        f"{HEADER}\n"
        "ООО «Ромашка»,7707083893,,,77,Москва,orlov,,romashka.ru,,15.03.2021\n"
        "ООО «Лютик»,,,,77,Москва,orlov,,lyutik.ru,,2019-11-02\n"
        "ООО «Василёк»,,,,77,Москва,orlov,,vasilek.ru,,31.02.2021\n"
        "ООО «Мак»,,,,77,Москва,orlov,,mak.ru,,\n",
        encoding="utf-8",
    )
    base = ClientBase.load(path)
    assert [c.since for c in base] == [date(2021, 3, 15), date(2019, 11, 2), None, None]
    assert base.problems == (
        "clients.csv, строка 4: дата «31.02.2021» (колонка since) — нужна дата вида 2021-03-15 или 15.03.2021 — дата не учтена",
    )
    assert len(base) == 4  # a bad date costs the date, not the client
    assert base.by_inn("7707083893").ref().since == date(2021, 3, 15)  # type: ignore[union-attr]


def test_since_column_is_optional_and_can_be_renamed(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_text("Компания;Менеджер;Клиент с\nООО «Ромашка»;orlov;01.09.2020\n", encoding="utf-8")
    base = ClientBase.load(path, ColumnMap(name="Компания", manager="Менеджер", since="Клиент с"))
    assert [c.since for c in base] == [date(2020, 9, 1)]
    assert [c.since for c in ClientBase.load(path, ColumnMap(name="Компания", manager="Менеджер", since="нет"))] == [None]


def test_since_from_an_excel_date_cell(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "manager", "since"])
    sheet.append(["ООО «Ромашка»", "orlov", datetime(2018, 4, 9)])
    book.save(tmp_path / "clients.xlsx")
    assert [c.since for c in ClientBase.load(tmp_path / "clients.xlsx")] == [date(2018, 4, 9)]


def test_rules_toml_may_name_the_since_column(tmp_path: Path) -> None:
    text = RULES.read_text(encoding="utf-8")
    assert '\nsince = "since"' in text
    demo_department(tmp_path, text.replace('\nsince = "since"', '\nsince = "Клиент с"'))
    csv = tmp_path / "clients.csv"
    lines = csv.read_text(encoding="utf-8").split("\n")
    csv.write_text("\n".join([lines[0].replace(",since", ",Клиент с"), *lines[1:]]), encoding="utf-8")
    rules = load_rules(tmp_path / "rules.toml")
    client = rules.clients.by_inn("1001328149")
    assert client is not None and client.since is not None


def test_every_demo_client_has_a_plausible_since() -> None:
    base = ClientBase.load(DEMO_DATA / "clients.csv")
    assert base.problems == ()
    assert all(c.since is not None and date(2005, 1, 1) <= c.since <= date(2025, 6, 1) for c in base)


def test_client_ref_round_trip_keeps_since() -> None:
    ref = ClientRef("ООО «Ромашка»", "7707083893", "orlov", "clients.csv", 2, "77", "Цветы", date(2021, 3, 15))
    decision = Decision(action="forward", owner="orlov", rule="client_inn", reasons=("x",), client=ref)
    stored = json.loads(json.dumps(decision.to_dict()))  # as the journal keeps it
    assert stored["client"]["since"] == "2021-03-15"
    assert Decision.from_dict(stored) == decision
    del stored["client"]["since"]  # a decision journalled before the column existed
    assert Decision.from_dict(stored).client == ClientRef("ООО «Ромашка»", "7707083893", "orlov", "clients.csv", 2, "77", "Цветы")


# -- the forward -----------------------------------------------------------------------------


def _texts(raw: bytes, facts: Facts, decision: Decision, owner: Recipient = ORLOV,
           base: Recipient | None = None) -> tuple[str, str]:
    context = ForwardContext("ТД «Северный Картон»", BOT, ("X-Inboxbot",), owner, base)
    out = compose_forward(raw, parse(raw), facts, decision, context, Templates(), now=NOW)
    seen = email.message_from_bytes(out.as_bytes(), policy=email.policy.default)
    plain, html = seen.get_body(("plain",)), seen.get_body(("html",))  # type: ignore[attr-defined]
    return plain.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def _kareliya() -> tuple[bytes, Facts]:
    raw = (CORPUS / "004-kareliya-forel-yashchiki.eml").read_bytes()
    msg = parse(raw)
    facts = Facts(client_address=msg.sender, company=Company("ООО «Карельская форель»", "Карельская форель"),
                  region=Region("10", "Республика Карелия", "СЗФО", "client_base"), new_text=msg.text)
    return raw, facts


CLIENT = ClientRef("ООО «Карельская форель»", "1001328149", "orlov", "clients.csv", 219, "10", "Нордфиш",
                   date(2021, 3, 15))
CLIENT_REASONS = (
    "домен отправителя kareliafish.ru — клиент ООО «Карельская форель» (clients.csv, строка 219)",
    "менеджер клиента — Орлов",
)


def test_forward_says_since_when_and_the_holding() -> None:
    raw, facts = _kareliya()
    decision = Decision(action="forward", owner="orlov", rule="client_domain", reasons=CLIENT_REASONS, client=CLIENT)
    plain, html = _texts(raw, facts, decision)
    for body in (plain, html):
        assert "Клиент с 15 марта 2021" in body and "clients.csv, строка 219" in body
        assert "Холдинг: «Нордфиш»" in body
        assert "Это ваш клиент по базе клиентов. Как узнали: домен отправителя kareliafish.ru." in body
        for reason in CLIENT_REASONS:  # the detail is kept below the summary
            assert reason in body
    assert plain.index("ПОЧЕМУ ВАМ") < plain.index("ЗАЯВКА") < plain.index("КАК БОТ РЕШИЛ")


def test_forward_to_the_backup_names_whose_client_it_is() -> None:
    raw, facts = _kareliya()
    decision = Decision(
        action="forward", owner="ivanova", rule="absence_backup",
        reasons=(*CLIENT_REASONS[:1], "менеджер клиента — Петров", "Петров в отпуске 07.07–20.07 → заместитель Иванова"),
        base_owner="petrov", notify=("petrov",),
        client=ClientRef(CLIENT.name, CLIENT.inn, "petrov", CLIENT.file, CLIENT.line),  # no `since`
    )  # fmt: skip
    plain, _ = _texts(raw, facts, decision, IVANOVA, PETROV)
    assert "Клиента по базе ведёт Петров Дмитрий Сергеевич. Как узнали: домен отправителя kareliafish.ru." in plain
    assert "Клиент из базы (clients.csv, строка 219)" in plain  # no date in the base: no «клиент с»
    notice = compose_absence_notice(
        parse(raw), facts, decision, ForwardContext("Отдел", BOT, (), IVANOVA, PETROV), PETROV, Templates(), now=NOW
    )
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "заявку вашего клиента ООО «Карельская форель» бот передал заместителю — Иванова Ирина Александровна" in text
    assert "Почему заявка ваша: Это ваш клиент по базе клиентов." in text


@pytest.mark.parametrize(
    "reasons, summary",
    [
        (
            ("регион 54 Новосибирская область: по ИНН «5406248153», из текста письма", "Сибирский федеральный округ → Орлов"),
            "Новосибирская область — ваша территория. Регион определён по ИНН «5406248153», из текста письма.",
        ),
        (
            ("обращение «Максим Игоревич» (из текста письма) — это Орлов",),
            "Обращение «Максим Игоревич» (из текста письма) — это вы.",
        ),
        (
            ("ни клиента, ни региона определить не удалось", "очередь «main»: первый по кругу → Орлов",
             "пропущены: Сидоров в отпуске до 15.08"),
            "Ни клиента, ни региона определить не удалось. Очередь «main»: первый по кругу → вам.",
        ),
        (
            ("госзаказчики → Кузнецова", "Кузнецова в отпуске 16.06–27.06 → заместитель Орлов"),
            "Госзаказчики → Кузнецова.",
        ),
        ((), "Правило «territory»."),
    ],
)
def test_reasons_summed_up_without_a_client(reasons: tuple[str, ...], summary: str) -> None:
    raw, facts = _kareliya()
    decision = Decision(action="forward", owner="orlov", rule="territory", reasons=reasons)
    plain, html = _texts(raw, facts, decision)
    assert f"ПОЧЕМУ ВАМ\n{summary}\n" in plain
    assert summary in html
    assert "Новая компания — в базе клиентов не найдена" in plain


def test_territory_of_an_absent_manager() -> None:
    raw, facts = _kareliya()
    decision = Decision(
        action="forward", owner="ivanova", rule="absence_backup", base_owner="petrov", notify=("petrov",),
        reasons=("регион 35 Вологодская область: по коду телефона «(8172) 21-60-93», из подписи",
                 "регион 35 → Петров", "Петров в отпуске 07.07–20.07 → заместитель Иванова"),
    )  # fmt: skip
    plain, _ = _texts(raw, facts, decision, IVANOVA, PETROV)
    assert (
        "ПОЧЕМУ ВАМ\nВологодская область — территория, которую ведёт Петров Дмитрий Сергеевич. "
        "Регион определён по коду телефона «(8172) 21-60-93», из подписи.\n" in plain
    )
    context = ForwardContext("Отдел", BOT, (), IVANOVA, PETROV)
    notice = compose_absence_notice(parse(raw), facts, decision, context, PETROV, Templates(), now=NOW)
    assert "Почему заявка ваша: Вологодская область — ваша территория." in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_reply_link_goes_to_the_client_in_the_thread() -> None:
    raw, facts = _kareliya()
    msg = parse(raw)
    decision = Decision(action="forward", owner="orlov", rule="client_domain", reasons=CLIENT_REASONS, client=CLIENT)
    _, html = _texts(raw, facts, decision)
    href = html.split('<a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    link = urlsplit(href)
    assert link.scheme == "mailto" and unquote(link.path) == "m.laukkanen@kareliafish.ru"
    query = parse_qs(link.query)
    assert query == {"subject": [f"Re: {msg.subject}"], "In-Reply-To": [f"<{msg.message_id}>"]}
