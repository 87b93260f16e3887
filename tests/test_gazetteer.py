"""Gazetteer: regions, towns in running text, phone area codes, domains, postal indexes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from samples import CORPUS

from inboxbot.data import build_forms
from inboxbot.directory import gazetteer as g

# The scenario is authoritative for region codes, names, districts and area codes. It lives
# next to the repository; a missing file is a failure, never a skip.
SCENARIO = CORPUS / "scenario.json"


def _scenario() -> dict[str, Any]:
    with SCENARIO.open(encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- regions


def test_regions_match_scenario() -> None:
    expected = {r["code"]: (r["name"], r["federal_district"]) for r in _scenario()["regions"]}
    assert len(expected) == 89
    assert {r.code: (r.name, r.district) for r in g.all_regions()} == expected


@pytest.mark.parametrize("code", [f"{n:02d}" for n in range(1, 96)])
def test_every_region_code_resolves(code: str) -> None:
    merged_or_unused = {"80", "81", "82", "84", "85", "88"}
    region = g.region_by_code(code)
    if code in merged_or_unused:
        assert region is None
    else:
        assert region is not None and region.code == code and region.district_name.endswith("федеральный округ")


@pytest.mark.parametrize("code", ["00", "99", "96", "", "7", "777"])
def test_codes_that_are_no_region(code: str) -> None:
    assert g.region_by_code(code) is None


def test_new_regions_tax_codes() -> None:
    names = {code: g.region_by_code(code).name for code in ("90", "93", "94", "95")}  # type: ignore[union-attr]
    assert names == {
        "90": "Запорожская область",
        "93": "Донецкая Народная Республика",
        "94": "Луганская Народная Республика",
        "95": "Херсонская область",
    }


def test_official_names_resolve_to_their_code() -> None:
    for region in _scenario()["regions"]:
        found = g.region_by_name(region["name"])
        assert found is not None and found.code == region["code"], region["name"]


@pytest.mark.parametrize(
    "text, code",
    [
        ("Татарстан", "16"),
        ("Татария", "16"),
        ("в Татарстане", "16"),
        ("РТ", "16"),
        ("Свердловская обл.", "66"),
        ("Свердловской области", "66"),
        ("Подмосковье", "50"),
        ("Ленобласть", "47"),
        ("Кузбасс", "42"),
        ("Югра", "86"),
        ("ХМАО", "86"),
        ("ХМАО-Югра", "86"),
        ("ЯНАО", "89"),
        ("Башкирия", "02"),
        ("Чувашия", "21"),
        ("Удмуртия", "18"),
        ("Якутия", "14"),
        ("Коми", "11"),
        ("Респ. Коми", "11"),
        ("Краснодарский край", "23"),
        ("по Краснодарскому краю", "23"),
        ("Кубань", "23"),
        ("Приморье", "25"),
        ("Крым", "91"),
        ("ДНР", "93"),
        ("ЛНР", "94"),
        ("Москва", "77"),
        ("г. Москва", "77"),
        ("Санкт-Петербург", "78"),
        ("Севастополь", "92"),
        ("Горный Алтай", "04"),
        ("Алтайский край", "22"),
    ],
)
def test_region_by_name(text: str, code: str) -> None:
    region = g.region_by_name(text)
    assert region is not None and region.code == code


@pytest.mark.parametrize("text", ["Алтай", "Калуга", "Свердловская", "Урал", "Россия", ""])
def test_region_by_name_refuses_towns_and_ambiguous_names(text: str) -> None:
    # "Алтай" is either Алтайский край or Республика Алтай; a town is not a region.
    assert g.region_by_name(text) is None


# ---------------------------------------------------------------- places in text


def _places(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(m.text, m.name, m.region_codes) for m in g.find_places(text)]


@pytest.mark.parametrize(
    "text, span, name, code",
    [
        ("Поставка из Калуги.", "Калуги", "Калуга", "40"),
        ("Склад в Нижнем Новгороде", "Нижнем Новгороде", "Нижний Новгород", "52"),
        ("Доставка по Екатеринбургу", "Екатеринбургу", "Екатеринбург", "66"),
        ("Офис в Санкт-Петербурге", "Санкт-Петербурге", "Санкт-Петербург", "78"),
        ("Филиал в Ростове-на-Дону", "Ростове-на-Дону", "Ростов-на-Дону", "61"),
        ("Компании из Москвы и области", "Москвы", "Москва", "77"),
        ("Заводы Подмосковья", "Подмосковья", "Московская область", "50"),
        ("Работаем в Свердловской области", "Свердловской области", "Свердловская область", "66"),
        ("Мы из Набережных Челнов", "Набережных Челнов", "Набережные Челны", "16"),
        ("Отгрузка на форелевое хозяйство в Кондопоге", "Кондопоге", "Кондопога", "10"),
        ("Поставка до Иркутска, ТК на выбор", "Иркутска", "Иркутск", "38"),
        ("Офис в Комсомольске-на-Амуре", "Комсомольске-на-Амуре", "Комсомольск-на-Амуре", "27"),
        ("Едем в Великий Новгород", "Великий Новгород", "Великий Новгород", "53"),
        ("Склад в Петропавловске-Камчатском", "Петропавловске-Камчатском", "Петропавловск-Камчатский", "41"),
        ("Доставка в Йошкар-Олу", "Йошкар-Олу", "Йошкар-Ола", "12"),
        ("Поставки в Улан-Удэ", "Улан-Удэ", "Улан-Удэ", "03"),
        ("Работаем в Республике Татарстан", "Республике Татарстан", "Республика Татарстан", "16"),
        ("Мы из Питера", "Питера", "Санкт-Петербург", "78"),
        ("Офис: СПб, Невский пр., 1", "СПб", "Санкт-Петербург", "78"),
        ("Доставка в Екб", "Екб", "Екатеринбург", "66"),
        ("Склад в Нск", "Нск", "Новосибирск", "54"),
        ("г. Н.Новгород, ул. Рождественская, 1", "Н.Новгород", "Нижний Новгород", "52"),
        ("Работаем в Нижнем и области", "Нижнем", "Нижний Новгород", "52"),
        ("ООО «ДонПак Сервис», г. Ростов-на-Дону", "Ростов-на-Дону", "Ростов-на-Дону", "61"),
        ("МАДОУ «Детский сад № 154» г. Челябинска просит", "Челябинска", "Челябинск", "74"),
        ("в Кургане", "Кургане", "Курган", "45"),
        ("во Владимире", "Владимире", "Владимир", "33"),
        ("из Иванова", "Иванова", "Иваново", "37"),
        ("г. Королёв, ул. Ленина, 1", "Королёв", "Королёв", "50"),
        ("ТОРГОВЫЙ ДОМ, Г. ЕКАТЕРИНБУРГ", "ЕКАТЕРИНБУРГ", "Екатеринбург", "66"),
        ("Ханты-Мансийский автономный округ — Югра", "Ханты-Мансийский автономный округ — Югра", "Ханты-Мансийский автономный округ — Югра", "86"),
        ("в Кемеровской обл.", "Кемеровской обл", "Кемеровская область — Кузбасс", "42"),
    ],
)
def test_inflected_places(text: str, span: str, name: str, code: str) -> None:
    assert _places(text) == [(span, name, (code,))]


@pytest.mark.parametrize(
    "text, codes",
    [
        ("г. Кировск", ("47", "94", "51")),
        ("г. Железногорск", ("46", "24")),
        ("г. Троицк", ("74", "77")),
        ("г. Советск", ("39", "43", "71")),
        ("г. Заречный", ("58", "66")),
        ("г. Радужный", ("86", "33")),
        ("г. Краснознаменск", ("50", "39")),
        ("г. Благовещенск", ("28", "02")),
        ("г. Белогорск", ("28", "91")),
        ("г. Берёзовский", ("66", "42")),
        ("г. Донецк", ("93", "61")),
        ("г. Киров", ("43", "40")),
        ("г. Мирный", ("14", "29")),
        # "Ростов" alone is most likely Ростов-на-Дону; Ростов Великий (Ярославская обл.) stays second.
        ("в Ростове", ("61", "76")),
        ("в Пушкине", ("78", "50")),
    ],
)
def test_ambiguous_towns_give_several_codes(text: str, codes: tuple[str, ...]) -> None:
    assert [m.region_codes for m in g.find_places(text)] == [codes]


def test_ambiguous_rostov_is_named_rostov_on_don() -> None:
    assert [m.name for m in g.find_places("Доставка в Ростов")] == ["Ростов-на-Дону"]
    assert [m.region_codes for m in g.find_places("Ростов Великий")] == [("76",)]


@pytest.mark.parametrize(
    "text",
    [
        "ул. Ленина, д. 5",
        "пр. Мира, 12",
        "ул. Королёва, 8",
        "Московский проспект, 10",
        "ул. Московская, 3",
        "Московское шоссе, 7",
        "Калужская улица",
        "Пушкин Александр Сергеевич",
        "А.С. Пушкин",
        "Королёв С.П.",
        "Анна Королёва",
        "Иванова Мария",
        "Передайте Иванову",
        "Владимир Петрович, добрый день!",
        "Артём, посмотрите счёт",
        "Киров Андрей",
        "Мирный договор",
        "Лесной склад",
        "Заречный район",
        "Тара и упаковка",
        "Находка для нас",
        "Шахты и рудники",
        "им. Кирова",
        "м. Сокол",
        "ООО «Тара»",
        "в 11:00 МСК",
        "в калуге",
        "Свердловская",
        "Радужный",
        "Октябрьский",
    ],
)
def test_not_places(text: str) -> None:
    assert g.find_places(text) == ()


def test_in_address() -> None:
    text = "Реквизиты: ИНН 5904088431, 614066, г. Пермь, ш. Космонавтов, 111.\nГоловной офис в Ярославле."
    assert [(m.text, m.in_address) for m in g.find_places(text)] == [("Пермь", True), ("Ярославле", False)]


@pytest.mark.parametrize(
    "text, names",
    [
        ("614000, г. Пермь, ул. Кирова, 15", ["Пермь"]),
        ("614000, г. Пермь, Кирова, 15", ["Пермь"]),
        ("г. Самара, Куйбышева 10", ["Самара"]),
        ("Кирова 15, г. Киров", ["Киров"]),
        ("Курган и Орёл", ["Орёл"]),  # "Курган" opens the sentence: maybe just a mound
    ],
)
def test_streets_named_after_towns_and_people(text: str, names: list[str]) -> None:
    assert [m.name for m in g.find_places(text)] == names


def test_address_only_towns_need_an_address() -> None:
    assert _places("623456, Свердловская обл., Лесной, ул. Ленина, 1") == [
        ("Свердловская обл", "Свердловская область", ("66",)),
        ("Лесной", "Лесной", ("66",)),
    ]


def test_spans_point_into_the_text() -> None:
    text = "Доставка на производство в Туле, ул. Демонстрации, 8. Филиал в Нижнем Новгороде."
    for m in g.find_places(text):
        assert text[m.start : m.end] == m.text


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "text, digits, area, region, ambiguous",
    [
        ("8 (4872) 25-61-30", "4872256130", "4872", "71", False),
        ("+7 (495) 108-44-61", "4951084461", "495", "77", False),
        ("8 (8172) 21-60-93", "8172216093", "8172", "35", False),
        ("тел. (3952) 70-14-25", "3952701425", "3952", "38", False),
        ("(48439) 2-11-11", "4843921111", "48439", "40", False),
        ("+7 343 217-00-00", "3432170000", "343", "66", False),
        ("тел./факс: 8(3452)55-66-77", "3452556677", "3452", "72", False),
        ("(861) 992-31-07", "8619923107", "861", "23", False),
        ("+7 (498) 123-45-67", "4981234567", "498", "50", True),
        ("+7 (496) 123-45-67", "4961234567", "496", "50", False),
        ("+7 (499) 123-45-67", "4991234567", "499", "77", False),
        ("+7 (812) 123-45-67", "8121234567", "812", "78", False),
        ("+7 (813) 712-34-56", "8137123456", "813", "47", False),
        ("(8443) 29-50-00 доб. 4412", "8443295000", "8443", "34", False),
        ("т. 8-81853-4-12-34", "8185341234", "81853", "83", False),
        ("8 913 217-40-56", "9132174056", "913", None, False),
        ("+7 915 302-77-19", "9153027719", "915", None, False),
        ("+79151234567", "9151234567", "915", None, False),
        ("моб. 89151234567", "9151234567", "915", None, False),
        ("8-800-555-35-35", "8005553535", "800", None, False),
        ("8 (804) 333-22-11", "8043332211", "804", None, False),
        ("+7 727 123 45 67", "7271234567", "727", None, False),
    ],
)
def test_phones(text: str, digits: str, area: str, region: str | None, ambiguous: bool) -> None:
    (phone,) = g.find_phones(text)
    assert (phone.digits, phone.area_code, phone.region_code, phone.ambiguous) == (digits, area, region, ambiguous)
    assert text[phone.start : phone.end] == phone.text


@pytest.mark.parametrize(
    "text",
    [
        "+375 17 123-45-67",
        "+998 71 200 45 17",
        "+380 44 123 45 67",
        "ИНН 7106346026, КПП 710601001",
        "ИНН 667191272063",
        "ОГРН 1027700132195",
        "40 000 шт/мес",
        "8 000 000 000 руб.",
        "89151234567",
        "р/с 40702810938000012345",
        "20.06.2025 в 11:00",
    ],
)
def test_not_russian_phones(text: str) -> None:
    assert g.find_phones(text) == ()


def test_area_codes_match_scenario() -> None:
    for entry in _scenario()["landline_area_codes"]:
        national = (entry["code"] + "0000000")[:10]
        region, area, _ambiguous = g.region_by_phone_digits(national)
        assert (region, area) == (entry["region_code"], entry["code"]), entry


@pytest.mark.parametrize("national", ["9161234567", "8001234567", "7011234567", "123", "abcdefghij"])
def test_no_region_by_phone(national: str) -> None:
    assert g.region_by_phone_digits(national)[0] is None


# ---------------------------------------------------------------- domains, indexes


@pytest.mark.parametrize(
    "domain, code",
    [
        ("spb.ru", "78"),
        ("firm.spb.ru", "78"),
        ("mail.kaluga.ru", "40"),
        ("msk.ru", "77"),
        ("nnov.ru", "52"),
        ("zavod.nsk.ru", "54"),
        ("perm.ru", "59"),
        ("kazan.ru", "16"),
        ("tatarstan.ru", "16"),
        ("chel.ru", "74"),
        ("udm.ru", "18"),
        ("khv.ru", "27"),
        ("kchr.ru", "09"),
        ("vladivostok.ru", "25"),
        ("Mail.Kaluga.RU.", "40"),
    ],
)
def test_region_by_domain(domain: str, code: str) -> None:
    region = g.region_by_domain(domain)
    assert region is not None and region.code == code


@pytest.mark.parametrize("domain", ["vspb.ru", "kaluga-pack.ru", "mail.ru", "yandex.ru", "spb.com", "severkarton.test", ""])
def test_no_region_by_domain(domain: str) -> None:
    assert g.region_by_domain(domain) is None


@pytest.mark.parametrize(
    "domain, country",
    [
        ("samarkandtex.uz", "UZ"),
        ("x.kz", "KZ"),
        ("minsk.by", "BY"),
        ("firm.am", "AM"),
        ("firm.ge", "GE"),
        ("gmbh.de", "DE"),
        ("factory.com.cn", "CN"),
        ("shop.co.uk", "GB"),
        ("kaluga.ru", None),
        ("пример.рф", None),
        ("xn--e1afmkfd.xn--p1ai", None),
        ("old.su", None),
        ("gmail.com", None),
        ("site.net", None),
        ("ngo.org", None),
        ("startup.io", None),
        ("severkarton.test", None),
    ],
)
def test_country_by_domain(domain: str, country: str | None) -> None:
    assert g.country_by_domain(domain) == country


@pytest.mark.parametrize(
    "index, code",
    [
        ("614066", "59"),
        ("101000", "77"),
        ("125009", "77"),
        ("141400", "50"),
        ("190000", "78"),
        ("188300", "47"),
        ("300041", "71"),
        ("248000", "40"),
        ("620014", "66"),
        ("664003", "38"),
        ("628400", "86"),
        ("629300", "89"),
        ("385000", "01"),
        ("295000", "91"),
        ("299011", "92"),
        ("690091", "25"),
        ("220030", None),
        ("12345", None),
        ("1234567", None),
    ],
)
def test_postal_index_region(index: str, code: str | None) -> None:
    assert g.postal_index_region(index) == code


# ---------------------------------------------------------------- data files


def _tsv(name: str) -> list[list[str]]:
    lines = (build_forms.DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")][1:]


def test_cities_file() -> None:
    rows = _tsv("cities.tsv")
    codes = {r.code for r in g.all_regions()}
    assert len(rows) >= 1000
    assert all(len(r) == 5 and r[1] in codes and int(r[2]) >= 0 for r in rows)
    assert codes == {r[1] for r in rows}, "every region has at least one town"
    assert len({(r[0], r[1]) for r in rows}) == len(rows), "no duplicate (town, region)"


def test_phone_codes_stay_in_their_zone() -> None:
    rows = {r[0]: r[1] for r in _tsv("phone_codes.tsv")}
    # A city code belongs to the region of its 3-digit zone; Нарьян-Мар is the one exception.
    assert [code for code, region in rows.items() if rows[code[:3]] != region] == ["81853"]


def test_place_forms_are_up_to_date() -> None:
    """place_forms.tsv is generated; edit cities.tsv/regions.json and run build_forms."""
    assert build_forms.OUT.read_text(encoding="utf-8") == build_forms.render(build_forms.build_rows())
